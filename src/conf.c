/* conf: reading the config file with inih, section by section (see conf.h). */
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
#include "conf-loader.h"
#include "ids.h"
#include "log.h"
#include "sig.h"
#include "switch.h"
#include "xmalloc.h"
#include "banned.h"

void
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
		loader_error(ld, ld->line,
		    "line is longer than %d characters; continue it on"
		    " indented lines, which are joined with a space",
		    num - 2);
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

int
conf_app_name_ok(const char *name)
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
		loader_error(ld, ld->section_line,
		    "unknown section '[%s]'; use [server] or [app \"NAME\"]", section);
		ld->bad_section = 1;
		return;
	}
	if (!conf_app_name_ok(name)) {
		loader_error(ld, ld->section_line,
		    "app name '%s' may hold only letters, digits, '.', '_' and '-' (at most 64)",
		    name);
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
	loader_defaults(ld, conf_app_keys, ld->app);
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
		keys = conf_server_keys;
		base = &ld->cfg->server;
	} else if (ld->app != NULL) {
		keys = conf_app_keys;
		base = ld->app;
	} else {
		loader_error(ld, ld->line,
		    "'%s' is outside any section; put it under [server] or [app \"NAME\"]", name);
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

/*
 * The repository's path on its forge, from its URL: "https://host/a/b.git",
 * "ssh://git@host:22/a/b" and "git@host:a/b.git" give "a/b". For GitLab
 * the whole path (subgroups too), else its last two parts. Returns a new
 * string, or NULL for a local path or a URL without two parts.
 */
static char *
forge_path(const char *repo, int whole)
{
	const char *p = strstr(repo, "://"), *colon;
	char *path, *end, *cut;

	if (p != NULL) {
		p = strchr(p + 3, '/');
		if (p == NULL)
			return NULL;
	} else if (repo[0] != '/' && (colon = strchr(repo, ':')) != NULL)
		p = colon + 1;
	else
		return NULL;
	while (*p == '/')
		p++;
	path = xstrdup(p);
	end = path + strlen(path);
	while (end > path && end[-1] == '/')
		*--end = '\0';
	if (end - path > 4 && strcmp(end - 4, ".git") == 0)
		*(end -= 4) = '\0';
	if ((cut = strrchr(path, '/')) == NULL || cut == path) {
		free(path);
		return NULL;
	}
	if (!whole) {
		char *first = cut;

		while (first > path && first[-1] != '/')
			first--;
		if (first > path) {
			char *two = xstrdup(first);

			free(path);
			path = two;
		}
	}
	return path;
}

/* Checks the keys that tell the forge and the team (status*, notify*); fills defaults. */
static void
loader_check_tell(struct loader *ld, struct app_config *app)
{
	static const char *const apis[] = { NULL, "https://api.github.com",
		"https://api.github.com", "https://gitlab.com/api/v4", NULL,
		"https://api.bitbucket.org/2.0" };
	int line = app->line;
	const char *n = app->name;
	char *end;

	if (app->status != CONF_STATUS_NONE) {
		if (app->status_token == NULL)
			loader_error(ld, line, "app '%s': 'status' needs 'status_token_file'", n);
		if (app->status_api == NULL && apis[app->status] == NULL)
			loader_error(ld, line,
			    "app '%s': status = gitea needs 'status_api', such as"
			    " https://gitea.example.com/api/v1",
			    n);
		else if (app->status_api == NULL)
			app->status_api = xstrdup(apis[app->status]);
		if (app->status_repo == NULL && app->repo != NULL)
			app->status_repo = forge_path(app->repo, app->status == CONF_STATUS_GITLAB);
		if (app->status_repo == NULL || strchr(app->status_repo, '/') == NULL)
			loader_error(ld, line,
			    "app '%s': set 'status_repo' (owner/name on the forge): it cannot be"
			    " read from 'repo'",
			    n);
	}
	if (app->status_api != NULL)
		for (end = app->status_api + strlen(app->status_api); end[-1] == '/';)
			*--end = '\0';
	if (app->notify_secret != NULL && app->notify_url == NULL)
		loader_error(ld, line, "app '%s': 'notify_secret_file' without 'notify_url'", n);
	if (app->notify_secret != NULL && !sig_whsec_valid(app->notify_secret))
		loader_error(ld, line,
		    "app '%s': the notify secret must be whsec_ and base64, as Standard"
		    " Webhooks keys are",
		    n);
	if (strcmp(app->notify_format, "standard") != 0 && strcmp(app->notify_format, "slack") != 0)
		loader_error(ld, line, "app '%s': 'notify_format' must be standard or slack", n);
}

/* Checks what only the whole app section can tell. */
static void
loader_check_app(struct loader *ld, struct app_config *app)
{
	struct conf_report r = { ld, app->line };
	int line = app->line;
	const char *n = app->name;

	if (app->repo == NULL)
		loader_error(ld, line, "app '%s' has no 'repo'", n);
	if (app->secrets == NULL)
		loader_error(ld, line, "app '%s' has no secret; set 'secret_file' (or 'secret')",
		    n);
	if (app->start == NULL)
		loader_error(ld, line, "app '%s' has no 'start' command", n);
	if (app->health == NULL)
		loader_error(ld, line, "app '%s' has no 'health' URL", n);
	if (app->tags == NULL || *app->tags == '\0')
		loader_error(ld, line, "app '%s': 'tags' is empty; '*' deploys every tag", n);
	loader_check_tell(ld, app);
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
			char *abs =
			    ld.dir[0] != '\0' ? xasprintf("%s/%s", cwd, ld.dir) : xstrdup(cwd);

			free(ld.dir);
			ld.dir = abs;
		}
	}
	loader_defaults(&ld, conf_server_keys, &ld.cfg->server);

	ld.file = fopen(path, "r");
	if (ld.file == NULL) {
		ld.errors++;
		if (report != NULL)
			fprintf(report,
			    "%s: error: cannot read config: %s (use -c FILE or TURNOUT_CONFIG)\n",
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
		loader_warning(&ld, 1,
		    "no 'token_file' in [server]: the API and dashboard are closed");
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

/* 1 when two lists of secrets hold the same ones in the same order. */
static int
secrets_same(char **a, char **b)
{
	if (a == NULL || b == NULL)
		return a == b;
	for (; *a != NULL && *b != NULL; a++, b++)
		if (strcmp(*a, *b) != 0)
			return 0;
	return *a == *b;
}

int
conf_app_same(const struct app_config *a, const struct app_config *b)
{
	/* By the key table, so that a new key cannot be missed here. */
	for (const struct key *k = conf_app_keys; k->name != NULL; k++) {
		const char *fa = (const char *)a + k->offset, *fb = (const char *)b + k->offset;

		switch (k->type) {
		case K_STRING:
		case K_PATH:
		case K_COMMAND:
		case K_URL:
		case K_KEY_FILE: {
			const char *x = *(char *const *)fa, *y = *(char *const *)fb;

			if ((x == NULL) != (y == NULL) || (x != NULL && strcmp(x, y) != 0))
				return 0;
			break;
		}
		case K_SECRET:
		case K_SECRET_FILE:
			if (!secrets_same(*(char **const *)fa, *(char **const *)fb))
				return 0;
			break;
		case K_SWITCH:
			if (*(const void *const *)fa != *(const void *const *)fb)
				return 0;
			break;
		default: /* the int kinds */
			if (*(const int *)fa != *(const int *)fb)
				return 0;
			break;
		}
	}
	return 1;
}

static void
app_free(struct app_config *app)
{
	if (app == NULL)
		return;
	for (const struct key *k = conf_app_keys; k->name != NULL; k++) {
		char *field = (char *)app + k->offset;

		switch (k->type) {
		case K_STRING:
		case K_PATH:
		case K_COMMAND:
		case K_URL:
			free(*(char **)field);
			break;
		case K_KEY_FILE:
			if (*(char **)field != NULL)
				explicit_bzero(*(char **)field, strlen(*(char **)field));
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
	free(cfg->server.user);
	conf_user_free(cfg->server.deploy_user);
	free(cfg->server.metrics_listen);
	free(cfg->server.metrics_host);
	free(cfg->server.trust_proxy);
	free(cfg->server.public_url);
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
