/*
 * Fuzz target: the config file (conf_load: inih, the key table, every
 * value type, the whole-section checks of each kind of switch). The input
 * is written to a file in a directory of this process's own, beside a
 * secret file and a token file that the config may name.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"

static char dir[] = "/tmp/turnout-fuzz-conf.XXXXXX";

/* Writes len bytes of data to dir/name; returns 0 or -1. */
static int
put(const char *name, const void *data, size_t len)
{
	char path[64];
	FILE *f;
	int rc;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		return -1;
	rc = fwrite(data, 1, len, f) == len ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

/* atexit: nothing is left in /tmp. */
static void
cleanup(void)
{
	static const char *const names[] = { "turnout.conf", "secret", "token" };
	char path[64];

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char path[64];
	struct config *cfg;

	if (!ready) {
		if (mkdtemp(dir) == NULL || put("secret", "s3cret-s3cret\n", 14) != 0 ||
		    put("token", "t0ken-t0ken-t0ken\n", 18) != 0)
			abort();
		chmod(dir, 0700);
		atexit(cleanup);
		ready = 1;
	}
	if (put("turnout.conf", data, size) != 0)
		abort();
	snprintf(path, sizeof path, "%s/turnout.conf", dir);
	cfg = conf_load(path, NULL, NULL, NULL);
	conf_free(cfg);
	return 0;
}
