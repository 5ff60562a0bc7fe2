/*
 * Dashboard logins: a session is made when the browser proves it knows the
 * token, and lives in memory only (a restart logs everyone out). Each has
 * a CSRF token its POSTs must carry. At most SESSION_MAX at once; the
 * oldest is dropped first.
 */
#ifndef TURNOUT_SESSION_H
#define TURNOUT_SESSION_H

#define SESSION_MAX 256
#define SESSION_TTL_S (12 * 3600)
#define SESSION_ID_LEN 64 /* hex digits */

struct sessions;

struct sessions *session_new(void);
void session_free(struct sessions *s);

/* Makes a session; fills id and csrf (NUL-terminated hex). Returns 0 or -1. */
int session_create(struct sessions *s, char id[SESSION_ID_LEN + 1], char csrf[SESSION_ID_LEN + 1]);

/* Returns 0 and fills csrf when id is a live session, else -1. */
int session_check(struct sessions *s, const char *id, char csrf[SESSION_ID_LEN + 1]);

/* Ends a session (logout); unknown ids are ignored. */
void session_delete(struct sessions *s, const char *id);

#endif
