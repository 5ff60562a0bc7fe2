/*
 * Fuzz target: the proofs' parsers on their own: a hex HMAC header with and
 * without its "sha256=" prefix, a token, and a Standard Webhooks
 * id/timestamp/signature triple. The input is three lines and a body.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sig.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const secrets[] = { "a-secret", "whsec_c2VjcmV0LWtleS0wMTIzNDU2Nzg5",
		NULL };
	char *text = malloc(size + 1), *field[3] = { NULL, NULL, NULL }, *p;
	const char *cause = NULL, *body;
	size_t len;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	p = text;
	for (int i = 0; i < 3; i++) {
		char *nl = strchr(p, '\n');

		field[i] = p;
		if (nl == NULL) {
			p += strlen(p);
			break;
		}
		*nl = '\0';
		p = nl + 1;
	}
	for (int i = 0; i < 3; i++)
		if (field[i] == NULL)
			field[i] = p;
	body = p;
	len = size - (size_t)(p - text);
	sig_check_hex(secrets, "sha256=", field[0], body, len);
	sig_check_hex(secrets, "", field[0], body, len);
	sig_check_token(secrets, field[0]);
	sig_check_standard(secrets, field[0], field[1], field[2], body, len, 1700000000, &cause);
	free(text);
	return 0;
}
