/* conf-keys: the table of config keys, and how each type of value is read and checked. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-loader.h"
#include "ids.h"
#include "log.h"
#include "switch.h"
#include "xmalloc.h"
#include "banned.h"

#define S(f) offsetof(struct server_config, f)
const struct key conf_server_keys[] = {
	{ "listen", K_LISTEN, S(listen), 0, 0, "127.0.0.1:9000" },
	{ "state_dir", K_PATH, S(state_dir), 0, 0, "/var/lib/turnout" },
	{ "token_file", K_TOKEN_FILE, S(token), 0, 0, NULL },
	{ "public_status", K_BOOL, S(public_status), 0, 1, "no" },
	{ "max_body", K_SIZE, S(max_body), 1024, 1L << 30, "25m" },
	{ "log_level", K_LOGLEVEL, S(log_level), 0, 0, "info" },
	{ "user", K_STRING, S(user), 0, 0, NULL },
	{ "deploy_user", K_USER, S(deploy_user), 0, 0, NULL },
	{ "metrics_listen", K_METRICS_LISTEN, S(metrics_listen), 0, 0, NULL },
	{ "trust_proxy", K_HEADER, S(trust_proxy), 0, 0, NULL },
	{ "max_connections", K_INT, S(max_connections), 16, 65536, "512" },
	{ "max_connections_per_client", K_INT, S(max_per_client), 1, 65536, "32" },
	{ "header_timeout", K_INT, S(header_timeout), 1, 3600, "10" },
	{ "body_timeout", K_INT, S(body_timeout), 1, 3600, "60" },
	{ "public_url", K_URL, S(public_url), 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL },
};
#undef S

#define A(f) offsetof(struct app_config, f)
const struct key conf_app_keys[] = { { "repo", K_STRING, A(repo), 0, 0, NULL },
	{ "branch", K_STRING, A(branch), 0, 0, "main" },
	{ "secret", K_SECRET, A(secrets), 0, 0, NULL },
	{ "secret_file", K_SECRET_FILE, A(secrets), 0, 0, NULL },
	{ "blue_port", K_PORT, A(blue_port), 1, 65535, NULL },
	{ "green_port", K_PORT, A(green_port), 1, 65535, NULL },
	{ "blue_socket", K_PATH, A(blue_socket), 0, 0, NULL },
	{ "green_socket", K_PATH, A(green_socket), 0, 0, NULL },
	{ "socket_link", K_PATH, A(socket_link), 0, 0, NULL },
	{ "build", K_COMMAND, A(build), 0, 0, NULL }, { "start", K_COMMAND, A(start), 0, 0, NULL },
	{ "stop", K_COMMAND, A(stop), 0, 0, NULL }, { "health", K_URL, A(health), 0, 0, NULL },
	{ "confirm", K_URL, A(confirm), 0, 0, NULL },
	{ "health_timeout", K_INT, A(health_timeout), 1, 3600, "60" },
	{ "confirm_timeout", K_INT, A(confirm_timeout), 1, 3600, "30" },
	{ "fetch_timeout", K_INT, A(fetch_timeout), 1, 86400, "300" },
	{ "build_timeout", K_INT, A(build_timeout), 1, 86400, "1800" },
	{ "start_timeout", K_INT, A(start_timeout), 1, 86400, "300" },
	{ "stop_timeout", K_INT, A(stop_timeout), 1, 86400, "120" },
	{ "switch_timeout", K_INT, A(switch_timeout), 1, 3600, "30" },
	{ "switch", K_SWITCH, A(switch_kind), 0, 0, "nginx" },
	{ "nginx_upstream", K_PATH, A(nginx_upstream), 0, 0, NULL },
	{ "nginx_upstream_name", K_STRING, A(nginx_upstream_name), 0, 0, NULL },
	{ "nginx_keepalive", K_INT, A(nginx_keepalive), 0, 10000, "0" },
	{ "nginx_pid", K_PATH, A(nginx_pid), 0, 0, "/run/nginx.pid" },
	{ "nginx_test", K_COMMAND, A(nginx_test), 0, 0, "nginx -t" },
	{ "nginx_reload", K_COMMAND, A(nginx_reload), 0, 0, "nginx -s reload" },
	{ "haproxy_socket", K_PATH, A(haproxy_socket), 0, 0, NULL },
	{ "haproxy_backend", K_STRING, A(haproxy_backend), 0, 0, NULL },
	{ "switch_command", K_COMMAND, A(switch_command), 0, 0, NULL },
	{ "keep_old", K_BOOL, A(keep_old), 0, 1, "yes" },
	{ "drain_timeout", K_INT, A(drain_timeout), 0, 86400, "30" },
	{ "keep_releases", K_INT, A(keep_releases), 1, 1000, "5" },
	{ "deploy_on", K_DEPLOY_ON, A(deploy_on), 0, 0, "branch" },
	{ "tags", K_STRING, A(tags), 0, 0, "*" }, { "status", K_STATUS, A(status), 0, 0, NULL },
	{ "status_api", K_URL, A(status_api), 0, 0, NULL },
	{ "status_repo", K_STRING, A(status_repo), 0, 0, NULL },
	{ "status_token_file", K_KEY_FILE, A(status_token), 0, 0, NULL },
	{ "notify_url", K_URL, A(notify_url), 0, 0, NULL },
	{ "notify_secret_file", K_KEY_FILE, A(notify_secret), 0, 0, NULL },
	{ "notify_format", K_STRING, A(notify_format), 0, 0, "standard" },
	{ "notify_timeout", K_INT, A(notify_timeout), 1, 300, "10" }, { NULL, 0, 0, 0, 0, NULL } };
#undef A

void
conf_print_keys(FILE *f)
{
	for (const struct key *k = conf_server_keys; k->name != NULL; k++)
		fprintf(f, "server %s %s\n", k->name, k->def != NULL ? k->def : "-");
	for (const struct key *k = conf_app_keys; k->name != NULL; k++)
		fprintf(f, "app %s %s\n", k->name, k->def != NULL ? k->def : "-");
}

static char *
loader_path(struct loader *ld, const char *value)
{
	if (value[0] == '/' || ld->dir == NULL)
		return xstrdup(value);
	return xasprintf("%s/%s", ld->dir, value);
}

/*
 * A secret file may be a symbolic link only when the link belongs to this
 * user or root: one planted by another user (in a directory they can
 * write) would choose what turnout takes for the secret. Returns 0, or -1
 * with the error reported and errno 0.
 */
static int
secret_link_ok(struct loader *ld, const char *path)
{
	struct stat st;

	errno = 0;
	if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode))
		return 0; /* fopen says what is wrong, if anything */
	if (st.st_uid == geteuid() || st.st_uid == 0)
		return 0;
	loader_error(ld, ld->line,
	    "'%s' is a symbolic link that belongs to uid %u; a secret"
	    " file is followed only through links of this user or root",
	    path, (unsigned)st.st_uid);
	errno = 0;
	return -1;
}

/*
 * Reads a file of one or two secrets, one a line. Warns when others may
 * read it. Returns a NULL-terminated list, or NULL after reporting why.
 */
static char **
loader_read_secrets(struct loader *ld, const char *path, size_t most)
{
	FILE *f;
	struct stat st;
	char buf[4096];
	char **list = xcalloc(most + 1, sizeof *list);
	size_t n = 0;

	if (secret_link_ok(ld, path) != 0 || (f = fopen(path, "re")) == NULL) {
		if (errno != 0)
			loader_error(ld, ld->line, "cannot read '%s': %s", path, strerror(errno));
		free(list);
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && st.st_uid != geteuid() && st.st_uid != 0)
		loader_warning(ld, ld->line,
		    "'%s' belongs to uid %u, who can change the secret;"
		    " chown it to this user or root",
		    path, (unsigned)st.st_uid);
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & S_IROTH))
		loader_warning(ld, ld->line, "'%s' is readable by other users; chmod o-r it", path);
	while (fgets(buf, sizeof buf, f) != NULL) {
		char *s = buf, *e;

		while (isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*s == '\0')
			continue;
		if (n == most) {
			loader_error(ld, ld->line, "'%s' holds more than %zu secret%s (one a line)",
			    path, most, most == 1 ? "" : "s");
			n++;
			break;
		}
		list[n++] = xstrdup(s);
	}
	fclose(f);
	explicit_bzero(buf, sizeof buf);
	if (n == 0 || n > most) {
		if (n == 0)
			loader_error(ld, ld->line, "'%s' is empty", path);
		for (size_t i = 0; i < most; i++) {
			if (list[i] != NULL)
				explicit_bzero(list[i], strlen(list[i]));
			free(list[i]);
		}
		free(list);
		return NULL;
	}
	return list;
}

/* Parses a yes/no style boolean; returns -1 when it is neither. */
static int
parse_bool(const char *v)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -1;
}

static int
parse_size(const char *v, long min, long max, size_t *out)
{
	char *end;
	unsigned long long n;
	unsigned long long mult = 1;

	errno = 0;
	if (!isdigit((unsigned char)*v))
		return -1;
	n = strtoull(v, &end, 10);
	if (errno != 0 || end == v)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case 'k':
		mult = 1024;
		end++;
		break;
	case 'm':
		mult = 1024 * 1024;
		end++;
		break;
	case 'g':
		mult = 1024 * 1024 * 1024;
		end++;
		break;
	}
	if (*end != '\0' || n > (unsigned long long)max / mult ||
	    n * mult < (unsigned long long)min)
		return -1;
	*out = (size_t)(n * mult);
	return 0;
}

/* Splits "HOST:PORT" or "[V6]:PORT" into *host (replaced) and *port. */
static int
parse_listen(const char *v, char **host, int *portp)
{
	const char *colon = strrchr(v, ':');
	long port;
	size_t hostlen;

	if (colon == NULL || ids_parse_long(colon + 1, 0, 65535, &port) != 0)
		return -1;
	hostlen = (size_t)(colon - v);
	if (hostlen >= 2 && v[0] == '[' && v[hostlen - 1] == ']') {
		v++;
		hostlen -= 2;
	}
	if (hostlen == 0)
		return -1;
	free(*host);
	*host = xstrndup(v, hostlen);
	*portp = (int)port;
	return 0;
}

/* Frees a secret list, wiping it first. */
void
secrets_free(char **list)
{
	if (list == NULL)
		return;
	for (char **p = list; *p != NULL; p++) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
	}
	free(list);
}

/* The first executable setpriv in PATH, or NULL. */
static char *
find_setpriv(void)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL;

	copy = xstrdup(path != NULL && *path != '\0' ? path : "/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir != NULL && found == NULL;
	     dir = strtok_r(NULL, ":", &save)) {
		char *f = xasprintf("%s/setpriv", dir);

		if (dir[0] == '/' && access(f, X_OK) == 0)
			found = f;
		else
			free(f);
	}
	free(copy);
	return found;
}

/*
 * A user by name, and the program that becomes it: posix_spawn cannot
 * change credentials, so commands run through util-linux's setpriv.
 */
static struct conf_user *
loader_user(struct loader *ld, const struct key *k, const char *value)
{
	struct passwd pw, *res = NULL;
	struct conf_user *u;
	char buf[4096], *setpriv;

	if (getpwnam_r(value, &pw, buf, sizeof buf, &res) != 0 || res == NULL) {
		loader_error(ld, ld->line, "'%s': no such user '%s' on this machine", k->name,
		    value);
		return NULL;
	}
	if ((setpriv = find_setpriv()) == NULL) {
		loader_error(ld, ld->line,
		    "'%s' needs setpriv (util-linux) in PATH to run commands as '%s'", k->name,
		    value);
		return NULL;
	}
	u = xcalloc(1, sizeof *u);
	u->name = xstrdup(pw.pw_name);
	u->uid = (unsigned)pw.pw_uid;
	u->gid = (unsigned)pw.pw_gid;
	u->home = xstrdup(pw.pw_dir != NULL ? pw.pw_dir : "/");
	u->setpriv = setpriv;
	return u;
}

void
conf_user_free(struct conf_user *u)
{
	if (u == NULL)
		return;
	free(u->name);
	free(u->home);
	free(u->setpriv);
	free(u);
}

/* Stores value into base according to the key's type; reports bad values. */
void
loader_set(struct loader *ld, const struct key *k, void *base, const char *value)
{
	char *field = (char *)base + k->offset;
	long n;
	int b;

	switch (k->type) {
	case K_HEADER:
		/* RFC 9110 token characters: what a header name may hold. */
		if (*value == '\0' ||
		    value[strspn(value,
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			"!#$%&'*+-.^_`|~")] != '\0') {
			loader_error(ld, ld->line,
			    "'%s' must be a header name, such as X-Forwarded-For", k->name);
			return;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		break;
	case K_STRING:
	case K_COMMAND:
	case K_URL:
		if (*value == '\0' && k->type != K_STRING) {
			loader_error(ld, ld->line, "'%s' is empty", k->name);
			return;
		}
		if (k->type == K_URL && strncmp(value, "http://", 7) != 0 &&
		    strncmp(value, "https://", 8) != 0) {
			loader_error(ld, ld->line, "'%s' must be an http:// or https:// URL",
			    k->name);
			return;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		break;
	case K_PATH:
		if (*value == '\0') {
			loader_error(ld, ld->line, "'%s' is empty", k->name);
			return;
		}
		free(*(char **)field);
		*(char **)field = loader_path(ld, value);
		break;
	case K_INT:
	case K_PORT:
		if (ids_parse_long(value, k->min, k->max, &n) != 0) {
			loader_error(ld, ld->line, "'%s' must be a whole number from %ld to %ld",
			    k->name, k->min, k->max);
			/* Given but bad: the section check must not call it missing. */
			*(int *)field = -1;
			return;
		}
		*(int *)field = (int)n;
		break;
	case K_BOOL:
		if ((b = parse_bool(value)) < 0) {
			loader_error(ld, ld->line, "'%s' must be yes or no", k->name);
			return;
		}
		*(int *)field = b;
		break;
	case K_SIZE:
		if (parse_size(value, k->min, k->max, (size_t *)field) != 0)
			loader_error(ld, ld->line,
			    "'%s' must be a size from %ld bytes to %ld MiB (e.g. 25m)", k->name,
			    k->min, k->max >> 20);
		break;
	case K_SWITCH: {
		const struct switch_kind *kind = switch_kind_find(value);
		char names[128];

		if (kind != NULL)
			*(const struct switch_kind **)field = kind;
		else
			loader_error(ld, ld->line, "'switch' must be %s",
			    switch_kind_list(names, sizeof names));
		break;
	}
	case K_LISTEN:
	case K_METRICS_LISTEN: {
		struct server_config *sc = &ld->cfg->server;
		int metrics = k->type == K_METRICS_LISTEN;

		if (parse_listen(value, metrics ? &sc->metrics_host : &sc->listen_host,
			metrics ? &sc->metrics_port : &sc->listen_port) != 0) {
			loader_error(ld, ld->line, "'%s' must be HOST:PORT, e.g. %s", k->name,
			    metrics ? "10.0.0.5:9100" : "127.0.0.1:9000");
			return;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		break;
	}
	case K_USER: {
		struct conf_user *u = loader_user(ld, k, value);

		if (u != NULL) {
			conf_user_free(*(struct conf_user **)field);
			*(struct conf_user **)field = u;
		}
		break;
	}
	case K_DEPLOY_ON:
		if (strcmp(value, "branch") == 0)
			*(int *)field = CONF_DEPLOY_BRANCH;
		else if (strcmp(value, "tags") == 0)
			*(int *)field = CONF_DEPLOY_TAGS;
		else if (strcmp(value, "both") == 0)
			*(int *)field = CONF_DEPLOY_BRANCH | CONF_DEPLOY_TAGS;
		else
			loader_error(ld, ld->line, "'deploy_on' must be branch, tags or both");
		break;
	case K_STATUS: {
		static const char *const names[] = { "", "github", "github-commit", "gitlab",
			"gitea", "bitbucket" };

		for (size_t i = 1; i < sizeof names / sizeof names[0]; i++)
			if (strcmp(value, names[i]) == 0) {
				*(int *)field = (int)i;
				return;
			}
		loader_error(ld, ld->line,
		    "'status' must be github, github-commit, gitlab, gitea or bitbucket");
		break;
	}
	case K_KEY_FILE: {
		char *path = loader_path(ld, value);
		char **list = loader_read_secrets(ld, path, 1);

		free(path);
		if (list == NULL)
			return;
		free(*(char **)field);
		*(char **)field = list[0];
		free(list);
		break;
	}
	case K_LOGLEVEL:
		if ((b = log_level_parse(value)) < 0) {
			loader_error(ld, ld->line,
			    "'log_level' must be error, warn, info or debug");
			return;
		}
		*(int *)field = b;
		break;
	case K_SECRET:
	case K_SECRET_FILE:
	case K_TOKEN_FILE: {
		char **list;

		if (*(char ***)field != NULL && k->type != K_TOKEN_FILE) {
			loader_error(ld, ld->line,
			    "give the secret once: 'secret' or 'secret_file'");
			return;
		}
		if (k->type == K_SECRET) {
			if (*value == '\0') {
				loader_error(ld, ld->line, "'secret' is empty");
				return;
			}
			if (ld->world_readable)
				loader_warning(ld, ld->line,
				    "this file holds a secret and is readable by other users; use secret_file or chmod o-r");
			list = xcalloc(2, sizeof *list);
			list[0] = xstrdup(value);
		} else {
			char *path = loader_path(ld, value);

			list = loader_read_secrets(ld, path, k->type == K_TOKEN_FILE ? 1 : 2);
			free(path);
			if (list == NULL)
				return;
		}
		if (k->type == K_TOKEN_FILE) {
			free(ld->cfg->server.token);
			ld->cfg->server.token = list[0];
			free(list);
		} else
			*(char ***)field = list;
		break;
	}
	}
}

/* Applies a table's defaults to a fresh section. */
void
loader_defaults(struct loader *ld, const struct key *keys, void *base)
{
	int saved = ld->line;

	ld->line = 0;
	for (const struct key *k = keys; k->name != NULL; k++)
		if (k->def != NULL)
			loader_set(ld, k, base, k->def);
	ld->line = saved;
}
