/*
 * commands.h - the commands main.c dispatches to, one per cmd_<name>.c.
 * Each takes the arguments after "gridsmith" (argv[0] is its name) and
 * returns the exit status.
 */
#ifndef GS_COMMANDS_H
#define GS_COMMANDS_H

int cmd_validate(int argc, char **argv);
int cmd_patrol(int argc, char **argv);
int cmd_hotspots(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_assess(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_partition(int argc, char **argv);

#endif /* GS_COMMANDS_H */
