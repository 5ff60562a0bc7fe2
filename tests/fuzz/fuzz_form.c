/* Fuzz target: the payload field of a form body (payload_from_form), then its JSON. */
#include "config.h"

#include <stdlib.h>

#include "fuzz.h"
#include "payload.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = 0;
	char *json = payload_from_form((const char *)data, size, &len);
	struct push push;
	char *cause = NULL;

	if (json != NULL && payload_parse(PAYLOAD_GITHUB, json, len, &push, &cause) == 0)
		payload_push_release(&push);
	free(cause);
	free(json);
	return 0;
}
