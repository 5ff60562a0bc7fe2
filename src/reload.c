/* reload: reading the config again and saying what changed (see reload.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "reload.h"
#include "xmalloc.h"
#include "banned.h"

/* 1 when a and b (either may be NULL) differ. */
static int
differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/* The first [server] key only a restart can apply that differs, or NULL. */
static const char *
restart_key(const struct server_config *a, const struct server_config *b)
{
	if (differ(a->listen, b->listen))
		return "listen";
	if (differ(a->state_dir, b->state_dir))
		return "state_dir";
	if (differ(a->user, b->user))
		return "user";
	if (differ(a->deploy_user != NULL ? a->deploy_user->name : NULL,
		b->deploy_user != NULL ? b->deploy_user->name : NULL))
		return "deploy_user";
	if (differ(a->metrics_listen, b->metrics_listen))
		return "metrics_listen";
	return NULL;
}

/* Logs each line of a load's report. */
static void
log_report(char *text)
{
	char *line = text, *end;

	for (; line != NULL && *line != '\0'; line = end != NULL ? end + 1 : NULL) {
		if ((end = strchr(line, '\n')) != NULL)
			*end = '\0';
		log_error("reload: %s", line);
	}
}

struct config *
reload_read(const struct config *cur)
{
	char *text = NULL;
	size_t len = 0;
	FILE *report = open_memstream(&text, &len);
	int errors = 0;
	struct config *next;
	const char *key;

	if (report == NULL) {
		log_error("reload: out of memory; the config in use is kept");
		return NULL;
	}
	next = conf_load(cur->path, report, &errors, NULL);
	fclose(report);
	if (next == NULL) {
		log_report(text);
		log_error("reload: %s has %d error%s; the config in use is kept (fix it, check it"
			  " with 'turnout check-config', then reload again)",
		    cur->path, errors, errors == 1 ? "" : "s");
		free(text);
		return NULL;
	}
	/* Warnings (a secret file others may read) were said at the start too. */
	free(text);
	if ((key = restart_key(&cur->server, &next->server)) != NULL) {
		log_error("reload: [server] %s changed; that needs a restart (systemctl restart"
			  " turnout); the config in use is kept",
		    key);
		conf_free(next);
		return NULL;
	}
	return next;
}

/* Appends name to the list *s ("a, b"). */
static void
add_name(char **s, const char *name)
{
	char *t = *s == NULL ? xstrdup(name) : xasprintf("%s, %s", *s, name);

	free(*s);
	*s = t;
}

void
reload_describe(const struct config *cur, const struct config *next)
{
	char *added = NULL, *removed = NULL, *changed = NULL;

	for (size_t i = 0; i < next->napps; i++) {
		const struct app_config *was = conf_app(cur, next->apps[i]->name);

		if (was == NULL)
			add_name(&added, next->apps[i]->name);
		else if (!conf_app_same(was, next->apps[i]))
			add_name(&changed, next->apps[i]->name);
	}
	for (size_t i = 0; i < cur->napps; i++)
		if (conf_app(next, cur->apps[i]->name) == NULL)
			add_name(&removed, cur->apps[i]->name);
	log_info("reloaded %s: %zu app%s; added: %s; removed: %s; changed: %s (a running"
		 " deployment finishes with the config it started with)",
	    next->path, next->napps, next->napps == 1 ? "" : "s", added ? added : "none",
	    removed ? removed : "none", changed ? changed : "none");
	free(added);
	free(removed);
	free(changed);
}
