/*
 * init: `turnout init APP`, a starter setup for one app in a directory:
 * the config (two colors on 8081/8082 with docker compose's app-blue and
 * app-green, as the blog post in the README has them), a fresh webhook
 * secret and API token (mode 0600), and the proxy's part to include (an
 * nginx site and upstream file, or an HAProxy section). It asks nothing,
 * never overwrites a file (it writes none when one is there), and prints
 * the webhook URL and what to paste into GitHub, GitLab and Gitea.
 */
#ifndef TURNOUT_INIT_H
#define TURNOUT_INIT_H

/*
 * The subcommand: argv[0] is "init". Returns an enum exit_code (client.h),
 * having said why on stderr when it is not 0.
 */
int init_main(int argc, char **argv);

#endif
