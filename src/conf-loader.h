/*
 * What conf.c and conf-keys.c share, and nothing else includes: the key
 * tables' types and the state of one load.
 */
#ifndef TURNOUT_CONF_LOADER_H
#define TURNOUT_CONF_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"

enum key_type {
	K_STRING,  /* any text */
	K_PATH,    /* a file name; relative ones are taken from the config's dir */
	K_COMMAND, /* a shell command line from the operator */
	K_URL,     /* http:// or https:// */
	K_HEADER,  /* an HTTP header name */
	K_INT,
	K_BOOL,
	K_PORT,
	K_SIZE, /* bytes, with an optional k/m/g suffix */
	K_SWITCH,
	K_LISTEN,
	K_METRICS_LISTEN, /* HOST:PORT of the token-free /metrics */
	K_SECRET,         /* inline secret */
	K_SECRET_FILE,
	K_TOKEN_FILE,
	K_LOGLEVEL,
	K_DEPLOY_ON, /* branch | tags | both */
	K_STATUS,    /* github | github-commit | gitlab | gitea | bitbucket */
	K_KEY_FILE,  /* a file holding one secret, read into a char * */
	K_USER,      /* a user name, looked up at once: struct conf_user * */
};

/* One row per key: this table drives parsing, defaults and checking. */
struct key {
	const char *name;
	enum key_type type;
	size_t offset;
	long min;
	long max;
	const char *def;
};

/* State of one load: where we are in the file, and what went wrong. */
struct loader {
	struct config *cfg;
	FILE *file;
	FILE *report;
	char *dir;       /* directory of the config file, for relative paths */
	int line;        /* number of the line inih is handling */
	char text[1024]; /* that line, for quoting */
	int errors;
	int warnings;
	struct app_config *app; /* current [app] section, or NULL */
	int in_server;
	int bad_section; /* skip keys of an unknown section */
	uint64_t seen;   /* bit per key of the current section */
	uint64_t server_seen;
	char *section;              /* name of the current section, as inih gives it */
	int section_line;           /* line of the last "[...]" header read */
	int section_start;          /* header line of the section being filled */
	int world_readable;         /* the config file itself is readable by others */
	int continued;              /* the line being handled is an indented continuation */
	const struct key *last_key; /* the key set by the previous line */
};

/* Reports a problem (what: "error" or "warning") at line of the file. */
void loader_problem(struct loader *ld, int line, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define loader_error(ld, line, ...) loader_problem(ld, line, "error", __VA_ARGS__)
#define loader_warning(ld, line, ...) loader_problem(ld, line, "warning", __VA_ARGS__)

/* One row per key of [server] and of [app "NAME"], NULL-named at the end. */
extern const struct key conf_server_keys[];
extern const struct key conf_app_keys[];

/* Sets key k of the section at base from value, reporting what is wrong. */
void loader_set(struct loader *ld, const struct key *k, void *base, const char *value);

/* Applies a table's defaults to a fresh section. */
void loader_defaults(struct loader *ld, const struct key *keys, void *base);

/* Frees a list of secrets, wiping them first. */
void secrets_free(char **list);

#endif
