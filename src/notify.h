/*
 * notify: what systemd is told (Type=notify): READY once serving,
 * STOPPING at the end, and a STATUS line that says what each app is
 * doing, "shop: deploying #12 (a1b2c3d4e5f6); api: idle, #9 succeeded",
 * so that `systemctl status turnout` shows the running deployment.
 * Without libsystemd, or outside systemd (no NOTIFY_SOCKET), each call
 * does nothing. Thread-safe: the workers call it.
 */
#ifndef TURNOUT_NOTIFY_H
#define TURNOUT_NOTIFY_H

#include <stdint.h>

void notify_ready(void);
void notify_stopping(void);
/* A reload begins (RELOADING=1); notify_ready says it ended. */
void notify_reloading(void);
/* App app left the config: its part of the STATUS line goes. */
void notify_forget(const char *app);

/* App app (borrowed) now runs deployment id of commit (may be NULL). */
void notify_running(const char *app, int64_t id, const char *commit);
/* App app's deployment id ended with status ("succeeded", "failed", ...). */
void notify_finished(const char *app, int64_t id, const char *status);
/* App app is frozen by by, for reason (both borrowed): "shop: frozen by alice@host (incident)". */
void notify_frozen(const char *app, const char *by, const char *reason);
/* App app's freeze ended. */
void notify_unfrozen(const char *app);

#endif
