/*
 * Fuzz target: what the worker side reads from the network-facing process,
 * one channel message (netproc_message). Whatever the bytes, the answer is
 * one of the three kinds, and a "queued" one names an app of the config,
 * exactly as the message spelled it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "netproc.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char demo_name[] = "demo", baro_name[] = "baro";
	static struct app_config demo = { .name = demo_name }, baro = { .name = baro_name };
	static struct app_config *apps[] = { &demo, &baro };
	static struct config cfg = { .apps = apps, .napps = 2 };
	const char *msg = (const char *)data, *app = NULL;

	switch (netproc_message(&cfg, msg, size, &app)) {
	case NETPROC_READY:
		if (size != 1 || app != NULL)
			abort();
		break;
	case NETPROC_QUEUED:
		if (app != demo.name && app != baro.name)
			abort();
		if (size != strlen(app) + 1 || memcmp(msg + 1, app, size - 1) != 0)
			abort();
		break;
	case NETPROC_BAD:
		if (app != NULL)
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
