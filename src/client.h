/*
 * The CLI subcommands that talk to a running daemon over its HTTP API
 * (libcurl): deploy, rollback. URL and token come from TURNOUT_URL /
 * TURNOUT_TOKEN, else from the config file.
 */
#ifndef TURNOUT_CLIENT_H
#define TURNOUT_CLIENT_H

/*
 * Runs a client subcommand; argv[0] is its name. config_path is the
 * config to read the URL and token from (may be missing when both
 * variables are set). Returns the exit code of SPEC §2.
 */
int client_main(const char *config_path, int argc, char **argv);

#endif
