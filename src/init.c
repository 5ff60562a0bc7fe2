/* init: `turnout init APP`, a starter setup written into a directory (see init.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "client.h"
#include "conf.h"
#include "fsutil.h"
#include "init.h"
#include "switch-kind.h"
#include "xmalloc.h"
#include "banned.h"

/* The most files init writes. */
#define INIT_FILES 5

/* What to write, from the command line. */
struct init_opts {
	const char *app;
	const char *dir;
	const char *state_dir;
	const char *repo;
	const char *branch;
	const char *server_name;
	const char *kind; /* nginx, socket, haproxy */
};

/* One file to write: its path, text and mode, and whether init made it. */
struct init_file {
	char *path;
	char *text;
	mode_t mode;
	int made;
	const char *what; /* for the list printed at the end */
};

static void
init_usage(void)
{
	fprintf(stderr,
	    "usage: turnout init APP [--dir DIR] [--switch nginx|socket|haproxy]"
	    " [--repo URL] [--branch NAME] [--state-dir DIR] [--server-name NAME]\n");
}

/* Writes 32 random bytes as 64 hex digits into out (65 bytes); returns 0 or -1. */
static int
init_random_hex(char *out)
{
	unsigned char b[32];

	if (RAND_bytes(b, sizeof b) != 1)
		return -1;
	for (size_t i = 0; i < sizeof b; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	explicit_bzero(b, sizeof b);
	return 0;
}

/* The nginx variable suffix of an app: turnout_color_NAME takes letters, digits and '_'. */
static char *
init_nginx_var(const char *app)
{
	char *v = xstrdup(app);

	for (char *p = v; *p != '\0'; p++)
		if (*p == '-' || *p == '.')
			*p = '_';
	return v;
}

/* The [app] keys of each switch kind. */
static char *
init_switch_keys(const struct init_opts *o)
{
	if (strcmp(o->kind, "haproxy") == 0)
		return xasprintf("switch = haproxy\n"
				 "haproxy_socket = /run/haproxy/admin.sock   ; the stats socket of"
				 " haproxy-%s.cfg\n"
				 "haproxy_backend = %s\n",
		    o->app, o->app);
	if (strcmp(o->kind, "socket") == 0)
		return xasprintf("switch = socket\n"
				 "; the app listens on $TURNOUT_SOCKET; nginx reaches the live one"
				 " through socket_link\n"
				 "blue_socket = /run/%s/blue.sock\n"
				 "green_socket = /run/%s/green.sock\n"
				 "socket_link = /run/turnout/%s.sock\n",
		    o->app, o->app, o->app);
	return xasprintf(
	    "switch = nginx\n"
	    "nginx_upstream = %s/%s-upstream.conf   ; turnout rewrites it at each switch\n"
	    "nginx_test = nginx -t -q\n"
	    "nginx_reload = nginx -s reload\n",
	    o->dir, o->app);
}

static char *
init_config_text(const struct init_opts *o)
{
	char *keys = init_switch_keys(o), *text;
	int socket = strcmp(o->kind, "socket") == 0;

	text = xasprintf(
	    "# Written by turnout init for app '%s'. `turnout check-config -c %s/turnout.conf`\n"
	    "# checks it; turnout.conf(5) says what each key does.\n"
	    "[server]\n"
	    "listen = 127.0.0.1:9000           ; the proxy forwards /hooks/ here\n"
	    "state_dir = %s\n"
	    "token_file = %s/token\n"
	    "trust_proxy = X-Forwarded-For     ; the proxy names the forge's address\n"
	    "%s"
	    "\n"
	    "[app \"%s\"]\n"
	    "repo = %s\n"
	    "branch = %s\n"
	    "secret_file = %s/%s.secret\n"
	    "%s"
	    "; docker compose runs in the release dir (the checkout), with the compose file\n"
	    "; of contrib/examples/docker-compose: services app-blue and app-green\n"
	    "start = docker compose up -d --build app-$TURNOUT_COLOR\n"
	    "stop = docker compose stop app-$TURNOUT_COLOR\n"
	    "health = %s\n"
	    "confirm = http://127.0.0.1/healthz   ; through the proxy: the live color must answer\n"
	    "%s",
	    o->app, o->dir, o->state_dir, o->dir,
	    getpwnam("turnout") != NULL ?
		"user = turnout                    ; the network-facing process runs as this user\n" :
		"; user = turnout                  ; run the network-facing process as a user of its"
		" own\n;                                  (adduser --system turnout)\n",
	    o->app, o->repo, o->branch, o->dir, o->app,
	    socket ?
		"" :
		"green_port = 8081                  ; live first, as in the post\nblue_port = 8082\n",
	    socket ? "http://localhost/healthz   ; asked through the color's own socket" :
		     "http://127.0.0.1:$TURNOUT_PORT/healthz",
	    keys);
	free(keys);
	return text;
}

/* The location that hands the webhooks to turnout, in an nginx server block. */
#define INIT_NGINX_HOOKS \
	"    # The forges' webhooks go to turnout (trust_proxy reads this header).\n" \
	"    location /hooks/ {\n" \
	"        proxy_pass http://127.0.0.1:9000;\n" \
	"        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" \
	"    }\n"

static char *
init_nginx_site(const struct init_opts *o)
{
	char *var = init_nginx_var(o->app), *text;

	if (strcmp(o->kind, "socket") == 0)
		text = xasprintf(
		    "# In nginx's http {}: ln -s %s/nginx-%s.conf /etc/nginx/sites-enabled/%s\n"
		    "upstream %s {\n"
		    "    server unix:/run/turnout/%s.sock;   # socket_link: the live color\n"
		    "}\n"
		    "server {\n"
		    "    listen 80;\n"
		    "    server_name %s;\n"
		    "    location / {\n"
		    "        proxy_pass http://%s;\n"
		    "        proxy_set_header Host $host;\n"
		    "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
		    "    }\n" INIT_NGINX_HOOKS "}\n",
		    o->dir, o->app, o->app, o->app, o->app, o->server_name, o->app);
	else
		text = xasprintf(
		    "# In nginx's http {}: ln -s %s/nginx-%s.conf /etc/nginx/sites-enabled/%s\n"
		    "include %s/%s-upstream.conf;   # written by turnout\n"
		    "server {\n"
		    "    listen 80;\n"
		    "    server_name %s;\n"
		    "    location / {\n"
		    "        proxy_pass http://%s;\n"
		    "        proxy_http_version 1.1;\n"
		    "        proxy_set_header Connection \"\";\n"
		    "        proxy_set_header Host $host;\n"
		    "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
		    "        # turnout's confirm step reads which color answered\n"
		    "        add_header X-Turnout-Color $turnout_color_%s always;\n"
		    "    }\n" INIT_NGINX_HOOKS "}\n",
		    o->dir, o->app, o->app, o->dir, o->app, o->server_name, o->app, var);
	free(var);
	return text;
}

static char *
init_haproxy_cfg(const struct init_opts *o)
{
	return xasprintf(
	    "# HAProxy for app '%s': haproxy -f %s/haproxy-%s.cfg (or copy it into\n"
	    "# /etc/haproxy/haproxy.cfg). turnout moves traffic with the runtime API on\n"
	    "# the stats socket: no reload. The servers must be named blue and green.\n"
	    "global\n"
	    "    stats socket /run/haproxy/admin.sock mode 660 level admin\n"
	    "\n"
	    "defaults\n"
	    "    mode http\n"
	    "    timeout connect 5s\n"
	    "    timeout client 60s\n"
	    "    timeout server 60s\n"
	    "    option http-keep-alive\n"
	    "\n"
	    "frontend web\n"
	    "    bind :80\n"
	    "    # The forges' webhooks go to turnout (trust_proxy reads X-Forwarded-For).\n"
	    "    use_backend turnout if { path_beg /hooks/ }\n"
	    "    default_backend %s\n"
	    "    # For turnout's confirm step: which color answered.\n"
	    "    http-response set-header X-Turnout-Color %%[srv_name]\n"
	    "\n"
	    "backend %s\n"
	    "    server green 127.0.0.1:8081\n"
	    "    server blue 127.0.0.1:8082 disabled\n"
	    "\n"
	    "backend turnout\n"
	    "    option forwardfor\n"
	    "    server turnout 127.0.0.1:9000\n",
	    o->app, o->dir, o->app, o->app, o->app);
}

/* Creates f->path, which must not exist, with its text and mode; returns 0 or -1 (said). */
static int
init_write(struct init_file *f)
{
	size_t len = strlen(f->text), off = 0;
	int fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, f->mode);

	if (fd < 0) {
		fprintf(stderr, "turnout init: cannot create '%s': %s\n", f->path, strerror(errno));
		return -1;
	}
	f->made = 1;
	while (off < len) {
		ssize_t n = write(fd, f->text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "turnout init: cannot write '%s': %s\n", f->path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	/* The mode asked for, whatever the umask. */
	if (fchmod(fd, f->mode) != 0 || fsync(fd) != 0 || close(fd) != 0) {
		fprintf(stderr, "turnout init: cannot finish '%s': %s\n", f->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Parses the command line into *o; returns 0, or EXIT_USAGE (said). */
static int
init_parse(int argc, char **argv, struct init_opts *o)
{
	static const char *const kinds[] = { "nginx", "socket", "haproxy", NULL };
	int i;

	memset(o, 0, sizeof *o);
	o->dir = "/etc/turnout";
	o->state_dir = "/var/lib/turnout";
	o->branch = "main";
	o->kind = "nginx";
	for (i = 1; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--dir") == 0)
			slot = &o->dir;
		else if (strcmp(argv[i], "--state-dir") == 0)
			slot = &o->state_dir;
		else if (strcmp(argv[i], "--repo") == 0)
			slot = &o->repo;
		else if (strcmp(argv[i], "--branch") == 0)
			slot = &o->branch;
		else if (strcmp(argv[i], "--server-name") == 0)
			slot = &o->server_name;
		else if (strcmp(argv[i], "--switch") == 0)
			slot = &o->kind;
		else if (argv[i][0] == '-' || o->app != NULL) {
			fprintf(stderr, "turnout init: unknown argument '%s'\n", argv[i]);
			init_usage();
			return EXIT_USAGE;
		} else {
			o->app = argv[i];
			continue;
		}
		if (i + 1 >= argc || argv[i + 1][0] == '\0') {
			fprintf(stderr, "turnout init: %s needs a value\n", argv[i]);
			init_usage();
			return EXIT_USAGE;
		}
		*slot = argv[++i];
	}
	if (o->app == NULL) {
		init_usage();
		return EXIT_USAGE;
	}
	if (!conf_app_name_ok(o->app)) {
		fprintf(stderr,
		    "turnout init: app name '%s' may hold only letters, digits, '.', '_' and '-'"
		    " (at most 64); pick another\n",
		    o->app);
		return EXIT_USAGE;
	}
	for (i = 0; kinds[i] != NULL && strcmp(kinds[i], o->kind) != 0; i++)
		;
	if (kinds[i] == NULL) {
		fprintf(stderr, "turnout init: --switch is nginx, socket or haproxy, not '%s'\n",
		    o->kind);
		return EXIT_USAGE;
	}
	if (o->dir[0] != '/' || o->state_dir[0] != '/') {
		fprintf(stderr, "turnout init: --dir and --state-dir take absolute paths\n");
		return EXIT_USAGE;
	}
	/* Values go into the config and the proxy's files: no line breaks, no ';'. */
	{
		const char *vals[] = { o->dir, o->state_dir, o->repo, o->branch, o->server_name };

		for (i = 0; i < (int)(sizeof vals / sizeof vals[0]); i++) {
			if (vals[i] == NULL || vals[i][strcspn(vals[i], "\n\r;#\"{} \t")] == '\0')
				continue;
			fprintf(stderr,
			    "turnout init: '%s' holds a space, a line break or one of ;#\"{}:"
			    " give a plain value\n",
			    vals[i]);
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* Prints what was written and what to do next. */
static void
init_report(const struct init_opts *o, const struct init_file *files, int n, int placeholder)
{
	printf("turnout init: wrote\n");
	for (int i = 0; i < n; i++)
		printf("  %-40s %s\n", files[i].path, files[i].what);
	printf("\nWebhook URL: http://%s/hooks/%s (https:// once the proxy has TLS)\n"
	       "Its secret is the line in %s/%s.secret (cat it; it is in no log).\n\n"
	       "  GitHub: Settings > Webhooks > Add webhook. Payload URL: the URL above;\n"
	       "          Content type: application/json; Secret: the secret;\n"
	       "          Which events: Just the push event.\n"
	       "  GitLab: Settings > Webhooks > Add new webhook. URL: the URL above;\n"
	       "          Secret token: the secret; Trigger: Push events, branch %s.\n"
	       "  Gitea:  Settings > Webhooks > Add webhook > Gitea. Target URL: the URL above;\n"
	       "          HTTP method POST; POST content type application/json;\n"
	       "          Secret: the secret; Trigger on: Push events.\n\n"
	       "Next:%s\n"
	       "  turnout check-config -c %s/turnout.conf\n"
	       "  turnout serve -c %s/turnout.conf    (or enable the service)\n",
	    o->server_name, o->app, o->dir, o->app, o->branch,
	    placeholder ?
		"\n  set repo = in turnout.conf to your repository (it is a placeholder)" :
		"",
	    o->dir, o->dir);
}

int
init_main(int argc, char **argv)
{
	struct init_opts o;
	struct init_file files[INIT_FILES];
	struct config *cfg = NULL;
	char secret[65], token[65], *repo = NULL, *name = NULL;
	int n = 0, rc = EXIT_FAILED, i;

	if ((rc = init_parse(argc, argv, &o)) != 0)
		return rc;
	rc = EXIT_FAILED;
	if (o.repo == NULL)
		o.repo = repo = xasprintf("https://github.com/OWNER/%s.git", o.app);
	if (o.server_name == NULL)
		o.server_name = name = xasprintf("%s.example.com", o.app);
	memset(files, 0, sizeof files);
	if (init_random_hex(secret) != 0 || init_random_hex(token) != 0) {
		fprintf(stderr, "turnout init: no random bytes from OpenSSL\n");
		goto out;
	}
	files[n++] = (struct init_file){ xasprintf("%s/turnout.conf", o.dir), init_config_text(&o),
		0644, 0, "the config" };
	files[n++] = (struct init_file){ xasprintf("%s/token", o.dir), xasprintf("%s\n", token),
		0600, 0, "the API token (dashboard, CLI)" };
	files[n++] = (struct init_file){ xasprintf("%s/%s.secret", o.dir, o.app),
		xasprintf("%s\n", secret), 0600, 0, "the webhook secret" };
	if (strcmp(o.kind, "haproxy") == 0)
		files[n++] = (struct init_file){ xasprintf("%s/haproxy-%s.cfg", o.dir, o.app),
			init_haproxy_cfg(&o), 0644, 0, "HAProxy: its frontend and backends" };
	else
		files[n++] = (struct init_file){ xasprintf("%s/nginx-%s.conf", o.dir, o.app),
			init_nginx_site(&o), 0644, 0, "nginx: the site to include" };
	if (strcmp(o.kind, "nginx") == 0)
		files[n++] = (struct init_file){ xasprintf("%s/%s-upstream.conf", o.dir, o.app),
			NULL, 0644, 0, "nginx: the upstream turnout rewrites" };
	/* Nothing is written when anything is there: a second init changes nothing. */
	for (i = 0; i < n; i++) {
		struct stat st;

		if (lstat(files[i].path, &st) == 0) {
			fprintf(stderr,
			    "turnout init: '%s' exists; init never overwrites a file: move it"
			    " away, or give another --dir\n",
			    files[i].path);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (fsutil_mkdirs(o.dir, 0755, 0755) != 0) {
		fprintf(stderr, "turnout init: cannot make '%s': %s\n", o.dir, strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (files[i].text == NULL) {
			/* The upstream file is the one turnout's nginx switch writes, green live. */
			cfg = conf_load(files[0].path, NULL, NULL, NULL);
			if (cfg == NULL)
				cfg = conf_load(files[0].path, stderr, NULL, NULL); /* says why */
			if (cfg == NULL || cfg->napps != 1) {
				fprintf(stderr, "turnout init: the config written does not load\n");
				goto out;
			}
			files[i].text = switch_nginx_text(cfg->apps[0], "green");
		}
		if (init_write(&files[i]) != 0)
			goto out;
	}
	init_report(&o, files, n, repo != NULL);
	rc = EXIT_OK;
out:
	for (i = 0; i < n; i++) {
		if (rc != EXIT_OK && files[i].made)
			unlink(files[i].path);
		free(files[i].path);
		if (files[i].text != NULL)
			explicit_bzero(files[i].text, strlen(files[i].text));
		free(files[i].text);
	}
	explicit_bzero(secret, sizeof secret);
	explicit_bzero(token, sizeof token);
	conf_free(cfg);
	free(repo);
	free(name);
	return rc;
}
