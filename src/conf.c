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
		loader_error(ld, line, "app '%s' has no secret; set 'secret_file' (or 'secret')",
		    n);
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
