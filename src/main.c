/*
 * turnout's entry point: the table of subcommands (git's cmd_* style), the
 * usage text made from it, and the commands that read the config here.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "init.h"
#include "conf.h"
#include "log.h"
#include "sandbox.h"
#include "serve.h"
#include "banned.h"

/* One row a subcommand: its usage line is "turnout NAME ARGS", then HELP. */
struct cmd {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the name; an enum exit_code */
	const char *args;
	const char *help;
};

static int cmd_serve(int, char **);
static int cmd_check_config(int, char **);
static int cmd_version(int, char **);
static int cmd_config_keys(int, char **);
static int cmd_help(int, char **);

static const struct cmd cmds[] = {
	{ "serve", cmd_serve, "[-c FILE]", "run the daemon in the foreground" },
	{ "check-config", cmd_check_config, "[-c FILE]", "validate the config, print problems" },
	{ "deploy", client_cmd_deploy, "APP [COMMIT] [--wait]",
	    "queue a deployment (branch head if no commit)" },
	{ "rollback", client_cmd_rollback, "APP [--wait]",
	    "send traffic back to the previous color" },
	{ "status", client_cmd_status, "[APP]", "apps, live color, live commit, queue" },
	{ "history", client_cmd_history, "APP [-n N]", "past deployments, newest first" },
	{ "logs", client_cmd_logs, "ID [-f]", "a deployment's log; -f follows it live" },
	{ "cancel", client_cmd_cancel, "ID", "cancel a queued or running deployment" },
	{ "freeze", client_cmd_freeze, "APP --reason TEXT [--until TIME]",
	    "hold new deployments (webhooks still queue)" },
	{ "unfreeze", client_cmd_unfreeze, "APP", "let the held deployments start" },
	{ "init", init_main, "APP [--switch nginx|socket|haproxy] [--dir DIR]",
	    "starter config, secret, token, proxy snippet" },
	{ "config-keys", cmd_config_keys, "", "list every config key and its default" },
	{ "version", cmd_version, "", "print the version" },
	{ "help", cmd_help, "", "show this list" },
};

/* Writes "NAME ARGS" of a row into buf. */
static void
synopsis(const struct cmd *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", c->name, *c->args != '\0' ? " " : "", c->args);
}

/* Prints the usage text: a line for every row of the table. */
static void
usage(FILE *f)
{
	char line[160];

	fprintf(f, "usage: turnout COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (cmds[i].help == NULL)
			continue; /* not for people */
		synopsis(&cmds[i], line, sizeof line);
		fprintf(f, "  turnout %-25s  %s\n", line, cmds[i].help);
	}
	fprintf(f, "\nThe config is read from -c FILE, else $TURNOUT_CONFIG, else %s.\n",
	    CONF_DEFAULT_PATH);
}

/* Takes -c FILE out of argv; returns the config path to use or NULL on a usage error. */
static const char *
config_path(int argc, char **argv, const char *cmd)
{
	const char *path = getenv("TURNOUT_CONFIG");

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "turnout %s: -c needs a file name\n", cmd);
				return NULL;
			}
			path = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
		else {
			fprintf(stderr, "turnout %s: unknown argument '%s' (try: turnout help)\n",
			    cmd, argv[i]);
			return NULL;
		}
	}
	return path != NULL && *path != '\0' ? path : CONF_DEFAULT_PATH;
}

/* Loads the config, printing every problem; NULL when it has errors. */
static struct config *
load(const char *path, int quiet_ok)
{
	int errors, warnings;
	struct config *cfg = conf_load(path, stderr, &errors, &warnings);

	if (cfg == NULL)
		fprintf(stderr, "turnout: %s: %d error%s; fix %s and run 'turnout check-config'\n",
		    path, errors, errors == 1 ? "" : "s", errors == 1 ? "it" : "them");
	else if (!quiet_ok)
		printf("%s: ok, %zu app%s%s\n", path, cfg->napps, cfg->napps == 1 ? "" : "s",
		    warnings ? " (see the warnings above)" : "");
	return cfg;
}

static int
cmd_serve(int argc, char **argv)
{
	const char *path = config_path(argc, argv, "serve");
	struct config *cfg;
	int rc;

	if (path == NULL)
		return EXIT_USAGE;
	if ((cfg = load(path, 1)) == NULL)
		return EXIT_USAGE;
	rc = serve_run(cfg);
	conf_free(cfg);
	return rc;
}

static int
cmd_check_config(int argc, char **argv)
{
	const char *path = config_path(argc, argv, "check-config");
	struct config *cfg;

	if (path == NULL)
		return EXIT_USAGE;
	if ((cfg = load(path, 0)) == NULL)
		return EXIT_USAGE;
	if (geteuid() == 0 && cfg->server.user == NULL)
		fprintf(stderr,
		    "%s: warning: started as root, the network-facing process keeps root's"
		    " rights; set 'user' in [server] (e.g. user = turnout)\n",
		    path);
	conf_free(cfg);
	return EXIT_OK;
}

static int
cmd_version(int argc, char **argv)
{
	printf("turnout %s\nnetwork process filter: %s\n", PACKAGE_VERSION, sandbox_name());
	return EXIT_OK;
}

static int
cmd_config_keys(int argc, char **argv)
{
	if (argc > 1)
		return EXIT_SHOW_USAGE;
	conf_print_keys(stdout);
	return EXIT_OK;
}

static int
cmd_help(int argc, char **argv)
{
	usage(stdout);
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		char line[160];
		int rc;

		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		synopsis(&cmds[i], line, sizeof line);
		/* turnout CMD --help: its line of the list, as turnout(1) has it. */
		if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
			printf("usage: turnout %s\n\n%s\n", line,
			    cmds[i].help != NULL ? cmds[i].help : "");
			return EXIT_OK;
		}
		if ((rc = cmds[i].run(argc - 1, argv + 1)) != EXIT_SHOW_USAGE)
			return rc;
		fprintf(stderr, "usage: turnout %s\n", line);
		return EXIT_USAGE;
	}
	fprintf(stderr, "turnout: unknown command '%s' (try: turnout help)\n", argv[1]);
	return EXIT_USAGE;
}
