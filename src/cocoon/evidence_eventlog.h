/* `cocoon evidence replay-eventlog` (evidence_eventlog.c). */
#ifndef COCOON_EVIDENCE_EVENTLOG_H
#define COCOON_EVIDENCE_EVENTLOG_H

/* argv[0] is "replay-eventlog"; returns the exit code. */
int cmd_replay_eventlog(int argc, char **argv);

#endif
