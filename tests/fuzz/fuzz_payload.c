/*
 * Fuzz target: a push payload of each forge (payload_parse). The first
 * byte picks the forge; the rest is the body.
 */
#include "config.h"

#include <stdlib.h>

#include "fuzz.h"
#include "payload.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct push push;
	char *cause = NULL;

	if (size < 1)
		return 0;
	if (payload_parse((enum payload_kind)(data[0] % 4), (const char *)data + 1, size - 1, &push,
		&cause) == 0)
		payload_push_release(&push);
	free(cause);
	return 0;
}
