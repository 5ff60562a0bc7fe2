/*
 * switch = command: the operator's switch_command points the proxy; and
 * the runner every kind uses for an operator's proxy command.
 */
#include "config.h"

#include <stdlib.h>

#include "switch-kind.h"
#include "xmalloc.h"
#include "banned.h"

int
switch_run_command(const char *what, const char *cmd, const struct spawn_opts *base,
    long long *command_ms, char **cause)
{
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct spawn_opts o = *base;
	struct spawn_result res;
	char *err = NULL, desc[96];

	o.argv = argv;
	o.cancelled = NULL; /* a switch, once begun, is finished or undone */
	spawn_run(&o, &res, &err);
	*command_ms += res.elapsed_ms;
	if (res.outcome == SPAWN_ERROR) {
		*cause = xasprintf("%s: %s", what, err);
		free(err);
		return -1;
	}
	if (res.outcome != SPAWN_EXITED || res.status != 0) {
		*cause =
		    xasprintf("%s '%s' %s", what, cmd, spawn_describe(&res, desc, sizeof desc));
		return -1;
	}
	return 0;
}

/* Nobody can tell when the command's proxy takes the switch: not settled. */
static int
command_to(const struct app_config *app, const char *color, const struct spawn_opts *base,
    long long *command_ms, char **said, int *settled, char **cause)
{
	return switch_run_command("switch_command", app->switch_command, base, command_ms, cause);
}

static void
command_check(const struct app_config *app, struct conf_report *r)
{
	if (app->switch_command == NULL)
		conf_app_error(r, "app '%s': switch = command needs 'switch_command'", app->name);
}

const struct switch_kind switch_kind_command = {
	.name = "command",
	.to = command_to,
	.check = command_check,
};
