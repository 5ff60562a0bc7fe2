/* notify: READY, STOPPING and the STATUS line for systemd (see notify.h). */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "notify.h"
#include "xmalloc.h"
#include "banned.h"

/* What each app is doing, in the order the apps first said something. */
struct notify_app {
	struct notify_app *next;
	char *app;
	char *text;
};

static pthread_mutex_t notify_lock = PTHREAD_MUTEX_INITIALIZER;
static struct notify_app *notify_apps;

static void
notify_send(const char *msg)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, msg);
#else
	(void)msg;
#endif
}

void
notify_ready(void)
{
	notify_send("READY=1");
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1");
}

void
notify_reloading(void)
{
	notify_send("RELOADING=1");
}

/* The entry of app in the list, or where it would go. With notify_lock held. */
static struct notify_app **
notify_find(const char *app)
{
	struct notify_app **p;

	for (p = &notify_apps; *p != NULL && strcmp((*p)->app, app) != 0; p = &(*p)->next)
		;
	return p;
}

/* Sends the whole line. With notify_lock held. */
static void
notify_line(void)
{
	struct notify_app *a;
	size_t len = strlen("STATUS=") + 1, off;
	char *line;

	for (a = notify_apps; a != NULL; a = a->next)
		len += strlen(a->app) + strlen(a->text) + 4;
	line = xmalloc(len);
	off = (size_t)snprintf(line, len, "STATUS=");
	for (a = notify_apps; a != NULL; a = a->next)
		off += (size_t)snprintf(line + off, len - off, "%s%s: %s",
		    a != notify_apps ? "; " : "", a->app, a->text);
	notify_send(line);
	free(line);
}

/* Sets app's part of the line to text (stolen) and sends the whole line. */
static void
notify_set(const char *app, char *text)
{
	struct notify_app **p;

	pthread_mutex_lock(&notify_lock);
	p = notify_find(app);
	if (*p == NULL) {
		*p = xcalloc(1, sizeof **p);
		(*p)->app = xstrdup(app);
	}
	free((*p)->text);
	(*p)->text = text;
	notify_line();
	pthread_mutex_unlock(&notify_lock);
}

void
notify_forget(const char *app)
{
	struct notify_app **p, *a;

	pthread_mutex_lock(&notify_lock);
	p = notify_find(app);
	if ((a = *p) != NULL) {
		*p = a->next;
		free(a->app);
		free(a->text);
		free(a);
		notify_line();
	}
	pthread_mutex_unlock(&notify_lock);
}

void
notify_running(const char *app, int64_t id, const char *commit)
{
	notify_set(app,
	    commit != NULL ? xasprintf("deploying #%lld (%.12s)", (long long)id, commit) :
			     xasprintf("deploying #%lld", (long long)id));
}

void
notify_finished(const char *app, int64_t id, const char *status)
{
	notify_set(app, xasprintf("idle, #%lld %s", (long long)id, status));
}

void
notify_frozen(const char *app, const char *by, const char *reason)
{
	notify_set(app, xasprintf("frozen by %s (%s)", by, reason));
}

void
notify_unfrozen(const char *app)
{
	notify_set(app, xstrdup("idle, unfrozen"));
}
