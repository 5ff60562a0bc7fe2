/*
 * Fuzz target: one webhook request as hook_inspect sees it, which is
 * everything POST /hooks/APP reads: the sender's headers, its proof (HMAC,
 * token or Standard Webhooks), delivery ids, the form or JSON body. The
 * input is "Name: value" lines, an empty line, then the body. A proof
 * header whose value is "@sign" is given the right proof for the body, so
 * that the fuzzer gets past the signature to the payload.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "hook.h"
#include "sig.h"

#define MAX_HEADERS 32
#define SECRET "fuzz-secret-0123456789"

struct request {
	char *name[MAX_HEADERS];
	char *value[MAX_HEADERS];
	int n;
	const char *body;
	size_t len;
	char proof[80];
};

/* hook_header_fn over the parsed headers; "@sign" becomes the body's proof. */
static const char *
get(void *ctx, const char *name)
{
	struct request *r = ctx;
	const char *value = NULL;
	char hex[65];

	for (int i = 0; i < r->n; i++) {
		if (strcasecmp(r->name[i], name) != 0)
			continue;
		if (value != NULL)
			return HOOK_TWICE;
		value = r->value[i];
	}
	if (value == NULL || strcmp(value, "@sign") != 0)
		return value;
	if (strcasecmp(name, "X-Gitlab-Token") == 0)
		return SECRET;
	sig_hmac_hex(SECRET, strlen(SECRET), r->body, r->len, hex);
	snprintf(r->proof, sizeof r->proof, "%s%s",
	    strncasecmp(name, "X-Hub-", 6) == 0 ? "sha256=" : "", hex);
	return r->proof;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const secrets[] = { SECRET, "whsec_c2VjcmV0LWtleS0wMTIzNDU2Nzg5", NULL };
	/* Branch and tag pushes both deploy: every classification is reached. */
	static const struct hook_refs refs = { "main", 1, 1, "v*" };
	char *text = malloc(size + 1), *line = text, *end;
	struct request r;
	struct hook_result res;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&r, 0, sizeof r);
	/* Headers up to the first empty line; the body is the rest, NULs and all. */
	while ((end = memchr(line, '\n', size - (size_t)(line - text))) != NULL) {
		char *colon;

		*end = '\0';
		if (line == end)
			break;
		colon = strchr(line, ':');
		if (colon != NULL && r.n < MAX_HEADERS) {
			*colon = '\0';
			r.name[r.n] = line;
			r.value[r.n++] = colon + 1 + strspn(colon + 1, " ");
		}
		line = end + 1;
	}
	r.body = end != NULL ? end + 1 : text + size;
	r.len = size - (size_t)(r.body - text);
	hook_inspect(secrets, &refs, get, &r, r.body, r.len, 1700000000, &res);
	/* For t1003: the seeds reach past the proof to the verdicts they should. */
	if (getenv("FUZZ_HOOK_VERDICTS") != NULL)
		printf("verdict %s %d\n", res.sender != NULL ? res.sender : "none",
		    (int)res.verdict);
	hook_result_release(&res);
	free(text);
	return 0;
}
