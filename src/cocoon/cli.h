/* Subcommands of the cocoon CLI. Each returns the process exit code. */
#ifndef COCOON_CLI_H
#define COCOON_CLI_H

int cmd_policy(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_kbs(int argc, char **argv);
int cmd_evidence(int argc, char **argv);
int cmd_vm(int argc, char **argv);

#endif
