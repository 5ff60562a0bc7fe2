/*
 * The CLI subcommands that talk to a running daemon over its HTTP API
 * (libcurl), each a row of main's command table, and the exit codes every
 * command of that table returns. URL and token come from TURNOUT_URL /
 * TURNOUT_TOKEN, else from the config file.
 */
#ifndef TURNOUT_CLIENT_H
#define TURNOUT_CLIENT_H

/*
 * The exit codes of SPEC §2. EXIT_SHOW_USAGE is no exit status: a command
 * returns it when its arguments do not fit its usage line, and main prints
 * that line from its table and exits with EXIT_USAGE.
 */
enum exit_code {
	EXIT_SHOW_USAGE = -1,
	EXIT_OK = 0,         /* success */
	EXIT_FAILED = 1,     /* the operation failed, e.g. --wait and it failed */
	EXIT_USAGE = 2,      /* usage or config error */
	EXIT_UNREACHABLE = 3 /* the daemon cannot be reached */
};

/*
 * The client commands, each called with argv[0] its name and the rest its
 * arguments as the user gave them (argv is borrowed). Each takes -c FILE
 * anywhere after its name for the config to read the URL and token from
 * (else $TURNOUT_CONFIG, else the default path; it may be missing when both
 * variables are set). Each returns an enum exit_code, which it has
 * explained on stderr unless it is EXIT_OK or EXIT_SHOW_USAGE. Their usage
 * lines are in main's table.
 */
int client_cmd_deploy(int argc, char **argv);
int client_cmd_rollback(int argc, char **argv);
int client_cmd_status(int argc, char **argv);
int client_cmd_history(int argc, char **argv);
int client_cmd_logs(int argc, char **argv);
int client_cmd_cancel(int argc, char **argv);
int client_cmd_freeze(int argc, char **argv);
int client_cmd_unfreeze(int argc, char **argv);

#endif
