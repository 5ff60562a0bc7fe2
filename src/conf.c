#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "conf.h"
#include "ids.h"
#include "log.h"
#include "switch.h"
#include "xmalloc.h"
#include "banned.h"

enum key_type {
	K_STRING,	/* any text */
	K_PATH,		/* a file name; relative ones are taken from the config's dir */
	K_COMMAND,	/* a shell command line from the operator */
	K_URL,		/* http:// or https:// */
	K_INT,
	K_BOOL,
	K_PORT,
	K_SIZE,		/* bytes, with an optional k/m/g suffix */
	K_SWITCH,
	K_LISTEN,
	K_SECRET,	/* inline secret */
	K_SECRET_FILE,
	K_TOKEN_FILE,
	K_LOGLEVEL,
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

#define S(f) offsetof(struct server_config, f)
static const struct key server_keys[] = {
	{ "listen", K_LISTEN, S(listen), 0, 0, "127.0.0.1:9000" },
	{ "state_dir", K_PATH, S(state_dir), 0, 0, "/var/lib/turnout" },
	{ "token_file", K_TOKEN_FILE, S(token), 0, 0, NULL },
	{ "public_status", K_BOOL, S(public_status), 0, 1, "no" },
	{ "max_body", K_SIZE, S(max_body), 1024, 1L << 30, "25m" },
	{ "log_level", K_LOGLEVEL, S(log_level), 0, 0, "info" },
	{ NULL, 0, 0, 0, 0, NULL }
};
#undef S

#define A(f) offsetof(struct app_config, f)
static const struct key app_keys[] = {
	{ "repo", K_STRING, A(repo), 0, 0, NULL },
	{ "branch", K_STRING, A(branch), 0, 0, "main" },
	{ "secret", K_SECRET, A(secrets), 0, 0, NULL },
	{ "secret_file", K_SECRET_FILE, A(secrets), 0, 0, NULL },
	{ "blue_port", K_PORT, A(blue_port), 1, 65535, NULL },
	{ "green_port", K_PORT, A(green_port), 1, 65535, NULL },
	{ "blue_socket", K_PATH, A(blue_socket), 0, 0, NULL },
	{ "green_socket", K_PATH, A(green_socket), 0, 0, NULL },
	{ "socket_link", K_PATH, A(socket_link), 0, 0, NULL },
	{ "build", K_COMMAND, A(build), 0, 0, NULL },
	{ "start", K_COMMAND, A(start), 0, 0, NULL },
	{ "stop", K_COMMAND, A(stop), 0, 0, NULL },
	{ "health", K_URL, A(health), 0, 0, NULL },
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
	{ NULL, 0, 0, 0, 0, NULL }
};
#undef A

/* State of one load: where we are in the file, and what went wrong. */
struct loader {
	struct config *cfg;
	FILE *file;
	FILE *report;
	char *dir;		/* directory of the config file, for relative paths */
	int line;		/* number of the line inih is handling */
	char text[1024];	/* that line, for quoting */
	int errors;
	int warnings;
	struct app_config *app;	/* current [app] section, or NULL */
	int in_server;
	int bad_section;	/* skip keys of an unknown section */
	uint64_t seen;		/* bit per key of the current section */
	uint64_t server_seen;
	char *section;		/* name of the current section, as inih gives it */
	int section_line;	/* line of the last "[...]" header read */
	int section_start;	/* header line of the section being filled */
	int world_readable;	/* the config file itself is readable by others */
	int continued;		/* the line being handled is an indented continuation */
	const struct key *last_key;	/* the key set by the previous line */
};

static void __attribute__((format(printf, 4, 5)))
loader_problem(struct loader *ld, int line, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (*what == 'e')
		ld->errors++;
	else
		ld->warnings++;
	if (ld->report == NULL)
		return;
	fprintf(ld->report, "%s:%d: %s: ", ld->cfg->path, line, what);
	va_start(ap, fmt);
	vfprintf(ld->report, fmt, ap);
	va_end(ap);
	if (line == ld->line && ld->text[0] != '\0')
		fprintf(ld->report, "\n    %s", ld->text);
	fputc('\n', ld->report);
}

#define loader_error(ld, line, ...) loader_problem(ld, line, "error", __VA_ARGS__)
#define loader_warning(ld, line, ...) loader_problem(ld, line, "warning", __VA_ARGS__)

/* Feeds inih one line at a time so that we know the line number. */
static char *
loader_read(char *str, int num, void *stream)
{
	struct loader *ld = stream;
	size_t n;

	if (fgets(str, num, ld->file) == NULL)
		return NULL;
	ld->line++;
	/*
	 * libinih reads at most num - 1 characters of a line (200 in Debian's
	 * build). Say so instead of letting the rest parse as a line of its own.
	 */
	n = strlen(str);
	if (n > 0 && str[n - 1] != '\n' && !feof(ld->file)) {
		int c;

		while ((c = fgetc(ld->file)) != EOF && c != '\n')
			;
		snprintf(ld->text, sizeof ld->text, "%.60s...", str);
		loader_error(ld, ld->line, "line is longer than %d characters; continue it on"
		    " indented lines, which are joined with a space", num - 2);
		str[0] = '\0';
		return str;
	}
	/* An indented line continues the value above it (libinih's multiline). */
	ld->continued = (str[0] == ' ' || str[0] == '\t') && str[strspn(str, " \t\r\n")] != '\0';
	/*
	 * Debian's libinih does not report empty sections to the handler, so
	 * note where each header stands to name it in errors.
	 */
	if (str[strspn(str, " \t")] == '[')
		ld->section_line = ld->line;
	n = strcspn(str, "\r\n");
	snprintf(ld->text, sizeof ld->text, "%.*s", (int)n, str);
	return str;
}

static char *
loader_path(struct loader *ld, const char *value)
{
	if (value[0] == '/' || ld->dir == NULL)
		return xstrdup(value);
	return xasprintf("%s/%s", ld->dir, value);
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

	f = fopen(path, "r");
	if (f == NULL) {
		loader_error(ld, ld->line, "cannot read '%s': %s", path, strerror(errno));
		free(list);
		return NULL;
	}
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
	case 'k': mult = 1024; end++; break;
	case 'm': mult = 1024 * 1024; end++; break;
	case 'g': mult = 1024 * 1024 * 1024; end++; break;
	}
	if (*end != '\0' || n > (unsigned long long)max / mult || n * mult < (unsigned long long)min)
		return -1;
	*out = (size_t)(n * mult);
	return 0;
}

/* Splits "HOST:PORT" or "[V6]:PORT" into the server's fields. */
static int
parse_listen(const char *v, struct server_config *sc)
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
	free(sc->listen_host);
	sc->listen_host = xstrndup(v, hostlen);
	sc->listen_port = (int)port;
	return 0;
}

/* Frees a secret list, wiping it first. */
static void
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

/* Stores value into base according to the key's type; reports bad values. */
static void
loader_set(struct loader *ld, const struct key *k, void *base, const char *value)
{
	char *field = (char *)base + k->offset;
	long n;
	int b;

	switch (k->type) {
	case K_STRING:
	case K_COMMAND:
	case K_URL:
		if (*value == '\0' && k->type != K_STRING) {
			loader_error(ld, ld->line, "'%s' is empty", k->name);
			return;
		}
		if (k->type == K_URL && strncmp(value, "http://", 7) != 0 &&
		    strncmp(value, "https://", 8) != 0) {
			loader_error(ld, ld->line, "'%s' must be an http:// or https:// URL", k->name);
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
			loader_error(ld, ld->line, "'%s' must be a size from %ld bytes to %ld MiB (e.g. 25m)",
			    k->name, k->min, k->max >> 20);
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
		if (parse_listen(value, &ld->cfg->server) != 0) {
			loader_error(ld, ld->line, "'listen' must be HOST:PORT, e.g. 127.0.0.1:9000");
			return;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		break;
	case K_LOGLEVEL:
		if ((b = log_level_parse(value)) < 0) {
			loader_error(ld, ld->line, "'log_level' must be error, warn, info or debug");
			return;
		}
		*(int *)field = b;
		break;
	case K_SECRET:
	case K_SECRET_FILE:
	case K_TOKEN_FILE: {
		char **list;

		if (*(char ***)field != NULL && k->type != K_TOKEN_FILE) {
			loader_error(ld, ld->line, "give the secret once: 'secret' or 'secret_file'");
			return;
		}
		if (k->type == K_SECRET) {
			if (*value == '\0') {
				loader_error(ld, ld->line, "'secret' is empty");
				return;
			}
			if (ld->world_readable)
				loader_warning(ld, ld->line, "this file holds a secret and is readable by other users; use secret_file or chmod o-r");
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
static void
loader_defaults(struct loader *ld, const struct key *keys, void *base)
{
	int saved = ld->line;

	ld->line = 0;
	for (const struct key *k = keys; k->name != NULL; k++)
		if (k->def != NULL)
			loader_set(ld, k, base, k->def);
	ld->line = saved;
}

/* Returns the name in `app "NAME"`, new, or NULL when section is not one. */
static char *
app_section_name(const char *section)
{
	size_t n;

	if (strncmp(section, "app", 3) != 0 || !isspace((unsigned char)section[3]))
		return NULL;
	section += 4;
	while (isspace((unsigned char)*section))
		section++;
	n = strlen(section);
	if (n < 2 || section[0] != '"' || section[n - 1] != '"')
		return NULL;
	return xstrndup(section + 1, n - 2);
}

/* An app name becomes a URL segment and a directory name: keep it plain. */
static int
app_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return 0;
	for (const char *p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return 0;
	return 1;
}

static void
loader_section(struct loader *ld, const char *section)
{
	char *name;

	ld->app = NULL;
	ld->in_server = 0;
	ld->bad_section = 0;
	ld->seen = 0;
	if (strcmp(section, "server") == 0) {
		ld->in_server = 1;
		ld->seen = ld->server_seen;
		return;
	}
	name = app_section_name(section);
	if (name == NULL) {
		loader_error(ld, ld->section_line, "unknown section '[%s]'; use [server] or [app \"NAME\"]", section);
		ld->bad_section = 1;
		return;
	}
	if (!app_name_ok(name)) {
		loader_error(ld, ld->section_line, "app name '%s' may hold only letters, digits, '.', '_' and '-' (at most 64)", name);
		ld->bad_section = 1;
		free(name);
		return;
	}
	if (conf_app(ld->cfg, name) != NULL) {
		loader_error(ld, ld->section_line, "app '%s' is defined twice", name);
		ld->bad_section = 1;
		free(name);
		return;
	}
	ld->app = xcalloc(1, sizeof *ld->app);
	ld->app->name = name;
	ld->app->line = ld->section_line;
	loader_defaults(ld, app_keys, ld->app);
	ld->cfg->apps = xrealloc(ld->cfg->apps, (ld->cfg->napps + 1) * sizeof *ld->cfg->apps);
	ld->cfg->apps[ld->cfg->napps++] = ld->app;
}

/* inih calls this for each key (and, with name NULL, for each new section). */
static int
loader_handler(void *user, const char *section, const char *name, const char *value)
{
	struct loader *ld = user;
	const struct key *keys;
	void *base;
	size_t i;

	/* A new header, even one repeating the last name, starts a section. */
	if (ld->section == NULL || strcmp(section, ld->section) != 0 ||
	    ld->section_line != ld->section_start) {
		ld->section_start = ld->section_line;
		ld->last_key = NULL;
		free(ld->section);
		ld->section = xstrdup(section);
		if (*section != '\0')
			loader_section(ld, section);
	}
	if (name == NULL)
		return 1;
	/* Never echo a secret back, even one under a misspelt key. */
	if (strstr(name, "secret") != NULL || strstr(name, "token") != NULL)
		snprintf(ld->text, sizeof ld->text, "%.64s = (hidden)", name);
	if (ld->bad_section)
		return 1;
	if (ld->in_server) {
		keys = server_keys;
		base = &ld->cfg->server;
	} else if (ld->app != NULL) {
		keys = app_keys;
		base = ld->app;
	} else {
		loader_error(ld, ld->line, "'%s' is outside any section; put it under [server] or [app \"NAME\"]", name);
		return 1;
	}
	for (i = 0; keys[i].name != NULL; i++)
		if (strcmp(keys[i].name, name) == 0)
			break;
	if (keys[i].name == NULL) {
		loader_error(ld, ld->line, "unknown key '%s'", name);
		return 1;
	}
	if (ld->continued && ld->last_key == &keys[i]) {
		char **field = (char **)((char *)base + keys[i].offset);

		if ((keys[i].type == K_STRING || keys[i].type == K_COMMAND) && *field != NULL) {
			char *joined = xasprintf("%s %s", *field, value);

			free(*field);
			*field = joined;
		} else
			loader_error(ld, ld->line, "'%s' cannot continue on another line", name);
		return 1;
	}
	ld->last_key = &keys[i];
	if (ld->seen & (UINT64_C(1) << i)) {
		loader_error(ld, ld->line, "'%s' is set twice in this section", name);
		return 1;
	}
	ld->seen |= UINT64_C(1) << i;
	if (ld->in_server)
		ld->server_seen = ld->seen;
	loader_set(ld, &keys[i], base, value);
	return 1;
}

struct conf_report {
	struct loader *ld;
	int line;
};

void
conf_app_error(struct conf_report *r, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	loader_error(r->ld, r->line, "%s", text);
	free(text);
}

/* Checks what only the whole app section can tell. */
static void
loader_check_app(struct loader *ld, const struct app_config *app)
{
	struct conf_report r = { ld, app->line };
	int line = app->line;
	const char *n = app->name;

	if (app->repo == NULL)
		loader_error(ld, line, "app '%s' has no 'repo'", n);
	if (app->secrets == NULL)
		loader_error(ld, line, "app '%s' has no secret; set 'secret_file' (or 'secret')", n);
	if (app->start == NULL)
		loader_error(ld, line, "app '%s' has no 'start' command", n);
	if (app->health == NULL)
		loader_error(ld, line, "app '%s' has no 'health' URL", n);
	switch_check(app, ld->cfg->server.listen_port, &r);
}

struct config *
conf_load(const char *path, FILE *report, int *nerrors, int *nwarnings)
{
	struct loader ld;
	struct stat st;
	const char *slash;
	int rc;

	memset(&ld, 0, sizeof ld);
	ld.report = report;
	ld.cfg = xcalloc(1, sizeof *ld.cfg);
	ld.cfg->path = xstrdup(path);
	/*
	 * Relative paths in the file are taken from its directory, made
	 * absolute: commands run in release dirs, far from here.
	 */
	slash = strrchr(path, '/');
	ld.dir = slash == NULL ? xstrdup("") : xstrndup(path, (size_t)(slash - path));
	if (path[0] != '/') {
		char cwd[4096];

		if (getcwd(cwd, sizeof cwd) != NULL) {
			char *abs = ld.dir[0] != '\0' ? xasprintf("%s/%s", cwd, ld.dir) : xstrdup(cwd);

			free(ld.dir);
			ld.dir = abs;
		}
	}
	loader_defaults(&ld, server_keys, &ld.cfg->server);

	ld.file = fopen(path, "r");
	if (ld.file == NULL) {
		ld.errors++;
		if (report != NULL)
			fprintf(report, "%s: error: cannot read config: %s (use -c FILE or TURNOUT_CONFIG)\n",
			    path, strerror(errno));
		goto out;
	}
	/* An inline secret in a file others can read is worth a warning. */
	ld.world_readable = fstat(fileno(ld.file), &st) == 0 && (st.st_mode & S_IROTH);
	rc = ini_parse_stream(loader_read, &ld, loader_handler, &ld);
	fclose(ld.file);
	if (rc > 0) {
		ld.line = -1;
		loader_error(&ld, rc, "cannot parse this line (expected [section] or key = value)");
	}
	if (ld.cfg->napps == 0)
		loader_warning(&ld, 1, "no [app \"NAME\"] section: turnout has nothing to deploy");
	if (ld.cfg->server.token == NULL)
		loader_warning(&ld, 1, "no 'token_file' in [server]: the API and dashboard are closed");
	ld.line = -1;
	for (size_t i = 0; i < ld.cfg->napps; i++)
		loader_check_app(&ld, ld.cfg->apps[i]);
out:
	free(ld.dir);
	free(ld.section);
	if (nerrors != NULL)
		*nerrors = ld.errors;
	if (nwarnings != NULL)
		*nwarnings = ld.warnings;
	if (ld.errors > 0) {
		conf_free(ld.cfg);
		return NULL;
	}
	return ld.cfg;
}

static void
app_free(struct app_config *app)
{
	if (app == NULL)
		return;
	for (const struct key *k = app_keys; k->name != NULL; k++) {
		char *field = (char *)app + k->offset;

		switch (k->type) {
		case K_STRING: case K_PATH: case K_COMMAND: case K_URL:
			free(*(char **)field);
			break;
		default:
			break;
		}
	}
	secrets_free(app->secrets);
	free(app->name);
	free(app);
}

void
conf_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->napps; i++)
		app_free(cfg->apps[i]);
	free(cfg->apps);
	free(cfg->server.listen);
	free(cfg->server.listen_host);
	free(cfg->server.state_dir);
	if (cfg->server.token != NULL)
		explicit_bzero(cfg->server.token, strlen(cfg->server.token));
	free(cfg->server.token);
	free(cfg->path);
	free(cfg);
}

const struct app_config *
conf_app(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->napps; i++)
		if (strcmp(cfg->apps[i]->name, name) == 0)
			return cfg->apps[i];
	return NULL;
}
