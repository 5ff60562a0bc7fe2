/*
 * turnout-net: the network-facing process that `turnout serve` starts
 * (see netproc.h), as `turnout-net serve-network -c CONFIG`. Not for
 * people. It is a program of its own so that it links only what it runs:
 * not libcurl and the libraries it brings, whose relocated data cost
 * each process that maps them about 560 KB of anonymous memory.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "netserve.h"
#include "banned.h"

int
main(int argc, char **argv)
{
	struct config *cfg;
	int rc;

	if (argc != 4 || strcmp(argv[1], "serve-network") != 0 || strcmp(argv[2], "-c") != 0) {
		fprintf(stderr,
		    "usage: turnout-net serve-network -c FILE (started by turnout serve)\n");
		return 2;
	}
	if ((cfg = conf_load(argv[3], stderr, NULL, NULL)) == NULL)
		return 2;
	rc = netserve_main(cfg);
	conf_free(cfg);
	return rc;
}
