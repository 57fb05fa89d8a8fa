/* `cocoon evidence get` and `cocoon evidence detect` (evidence_get.c). */
#ifndef COCOON_EVIDENCE_GET_H
#define COCOON_EVIDENCE_GET_H

/* argv[0] is "get" / "detect"; each returns the exit code. */
int cmd_evidence_get(int argc, char **argv);
int cmd_evidence_detect(int argc, char **argv);

#endif
