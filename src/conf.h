/*
 * The configuration file (SPEC §3): INI read by libinih, keys checked
 * through one table. A loaded config is never changed afterwards, so
 * threads may read it freely; its structs are plain data for that reason.
 */
#ifndef TURNOUT_CONF_H
#define TURNOUT_CONF_H

#include <stddef.h>
#include <stdio.h>

#define CONF_DEFAULT_PATH "/etc/turnout/turnout.conf"

struct switch_kind; /* see switch-kind.h */

struct app_config {
	char *name;
	int line; /* of the [app "NAME"] header */
	char *repo;
	char *branch;
	char **secrets; /* NULL-terminated, one or two entries */
	int blue_port;
	int green_port;
	char *blue_socket;
	char *green_socket;
	char *socket_link;
	char *build; /* optional */
	char *start;
	char *stop; /* optional */
	char *health;
	char *confirm;      /* optional */
	int health_timeout; /* seconds */
	int confirm_timeout;
	int fetch_timeout;
	int build_timeout;
	int start_timeout;
	int stop_timeout;
	int switch_timeout;
	const struct switch_kind *switch_kind; /* never NULL once loaded */
	char *nginx_upstream;
	char *nginx_upstream_name; /* the upstream block's name, default APP */
	int nginx_keepalive;       /* idle connections nginx keeps to the color, 0: none */
	char *nginx_pid;           /* nginx master's pid file: its workers show the reload took */
	char *nginx_test;
	char *nginx_reload;
	char *haproxy_socket;
	char *haproxy_backend;
	char *switch_command;
	int keep_old;
	int drain_timeout; /* seconds a color's connections get before its stop, 0: none */
	int keep_releases;
	int deploy_on; /* CONF_DEPLOY_BRANCH and/or CONF_DEPLOY_TAGS */
	char *tags;    /* fnmatch(3) pattern of the tag names to deploy */
	/* Telling the forge and the team (see outbox.h); all optional. */
	int status;        /* enum conf_status */
	char *status_api;  /* the forge API's base URL, no trailing slash */
	char *status_repo; /* owner/name there (GitLab: the project's path); from repo by default */
	char *status_token;  /* read from status_token_file */
	char *notify_url;    /* a JSON POST per event */
	char *notify_secret; /* whsec_...: notify_url's Standard Webhooks key */
	char *notify_format; /* "standard" or "slack" */
	int notify_timeout;  /* seconds one delivery attempt may take */
};

/* Where status goes: the value of the status key. */
enum conf_status {
	CONF_STATUS_NONE,
	CONF_STATUS_GITHUB,        /* a GitHub Deployment and its statuses */
	CONF_STATUS_GITHUB_COMMIT, /* GitHub commit statuses */
	CONF_STATUS_GITLAB,
	CONF_STATUS_GITEA, /* also Forgejo */
	CONF_STATUS_BITBUCKET,
};

/* What pushes deploy_on deploys: bits of app_config.deploy_on. */
#define CONF_DEPLOY_BRANCH 0x1
#define CONF_DEPLOY_TAGS 0x2

/* A user of this machine, looked up when the config is read. */
struct conf_user {
	char *name;
	unsigned uid;
	unsigned gid;
	char *home;
	char *setpriv; /* the setpriv(1) found in PATH that becomes this user */
};

struct server_config {
	char *listen;      /* as written, "HOST:PORT" */
	char *listen_host; /* parsed from listen, brackets removed */
	int listen_port;   /* 0 picks a free port */
	char *state_dir;
	char *token; /* read from token_file; NULL disables the API */
	int public_status;
	size_t max_body; /* bytes */
	int log_level;   /* enum log_level */
	char *user;      /* the network-facing process runs as this user; NULL: as started */
	/* build, start and stop run as this user; NULL: as started */
	struct conf_user *deploy_user;
	char *metrics_listen; /* as written; NULL: /metrics only with the token */
	char *metrics_host;   /* parsed from metrics_listen */
	int metrics_port;
	/* a header naming the client, believed from a proxy on loopback; NULL: none */
	char *trust_proxy;
	int max_connections; /* open at once, all clients together */
	int max_per_client; /* open connections of one address, or requests of one proxied client */
	int header_timeout; /* seconds from a connection (or its last answer) to a request's head */
	int body_timeout;   /* seconds from a request's head to the end of its body */
	char *public_url;   /* where people reach the dashboard, for links; NULL: none */
};

struct config {
	char *path;
	struct server_config server;
	struct app_config **apps; /* napps entries, in file order */
	size_t napps;
};

/*
 * Reads and checks the file at path. Every problem is written to report
 * (may be NULL) as "PATH:LINE: error: ..." or "...: warning: ...", with
 * the offending line quoted. Returns a new config the caller frees with
 * conf_free when there were no errors, else NULL; *nerrors and
 * *nwarnings (either may be NULL) get the counts.
 */
struct config *conf_load(const char *path, FILE *report, int *nerrors, int *nwarnings);

void conf_free(struct config *cfg);
void conf_user_free(struct conf_user *u);

/*
 * Returns 1 when name may name an app: it becomes a URL segment and a
 * directory name, so letters, digits, '.', '_' and '-', at most 64, and
 * not starting with '.' or '-'.
 */
int conf_app_name_ok(const char *name);

/*
 * Prints every config key, a line each: "server NAME DEFAULT" or "app NAME
 * DEFAULT" ("-" when there is none), in the table's order. turnout.conf(5)
 * is checked against it.
 */
void conf_print_keys(FILE *f);

/* Returns the app named name (borrowed), or NULL. */
const struct app_config *conf_app(const struct config *cfg, const char *name);

/* 1 when two loads of an app have the same value for every key of the table, else 0. */
int conf_app_same(const struct app_config *a, const struct app_config *b);

/*
 * Where the checks of a whole app section report (see switch_check): an
 * error at the app's [app "NAME"] header line, counted like any other.
 */
struct conf_report;
void conf_app_error(struct conf_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
