#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "conf.h"
#include "log.h"
#include "serve.h"
#include "xmalloc.h"
#include "banned.h"

/* Exit codes from SPEC §2. */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
};

static int cmd_serve(int, char **);
static int cmd_check_config(int, char **);
static int cmd_version(int, char **);
static int cmd_help(int, char **);
static int cmd_client(int, char **);

static const struct cmd cmds[] = {
	{ "serve", cmd_serve, "serve [-c FILE]            run the daemon in the foreground" },
	{ "check-config", cmd_check_config, "check-config [-c FILE]     validate the config, print problems" },
	{ "deploy", cmd_client, "deploy APP [COMMIT] [--wait]  queue a deployment (branch head if no commit)" },
	{ "rollback", cmd_client, "rollback APP [--wait]      send traffic back to the previous color" },
	{ "status", cmd_client, "status [APP]               apps, live color, live commit, queue" },
	{ "history", cmd_client, "history APP [-n N]         past deployments, newest first" },
	{ "logs", cmd_client, "logs ID [-f]               a deployment's log; -f follows it live" },
	{ "cancel", cmd_client, "cancel ID                  cancel a queued or running deployment" },
	{ "version", cmd_version, "version                    print the version" },
	{ "help", cmd_help, "help                       show this list" },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: turnout COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		fprintf(f, "  turnout %s\n", cmds[i].usage);
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
			fprintf(stderr, "turnout %s: unknown argument '%s' (try: turnout help)\n", cmd, argv[i]);
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
	conf_free(cfg);
	return EXIT_OK;
}

/* The client commands talk to the daemon; -c FILE may come anywhere. */
static int
cmd_client(int argc, char **argv)
{
	const char *path = getenv("TURNOUT_CONFIG");
	char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
	int n = 0, rc;

	for (int i = 0; i < argc; i++) {
		if (i > 0 && strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else
			rest[n++] = argv[i];
	}
	rc = client_main(path != NULL && *path != '\0' ? path : CONF_DEFAULT_PATH, n, rest);
	free(rest);
	return rc;
}

static int
cmd_version(int argc, char **argv)
{
	printf("turnout %s\n", PACKAGE_VERSION);
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
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "turnout: unknown command '%s' (try: turnout help)\n", argv[1]);
	return EXIT_USAGE;
}
