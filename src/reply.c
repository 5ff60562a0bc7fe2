/* reply: JSON answers and JSON errors over libmicrohttpd (see reply.h). */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "xmalloc.h"
#include "banned.h"

/*
 * Set once the process is leaving (http_quiesce): every answer then ends
 * its connection, so keep-alive clients move to the process that took
 * over. One server per process, so one flag.
 */
static atomic_int reply_closing;

void
reply_set_closing(void)
{
	atomic_store(&reply_closing, 1);
}

/* Queues text with the headers every answer carries, and Allow when given. */
static enum MHD_Result
reply_queue(struct MHD_Connection *c, unsigned int status, const char *type, char *text, size_t len,
    const char *header, const char *value)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (header != NULL)
		MHD_add_response_header(r, header, value);
	if (atomic_load(&reply_closing))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result
reply_text(struct MHD_Connection *c, unsigned int status, const char *type, char *text, size_t len)
{
	return reply_queue(c, status, type, text, len, NULL, NULL);
}

enum MHD_Result
reply_json_header(struct MHD_Connection *c, unsigned int status, json_t *obj, const char *header,
    const char *value)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	size_t len;

	json_decref(obj);
	if (text == NULL)
		return MHD_NO;
	len = strlen(text);
	text = xrealloc(text, len + 2);
	text[len++] = '\n';
	return reply_queue(c, status, "application/json", text, len, header, value);
}

enum MHD_Result
reply_not_allowed(struct MHD_Connection *c, const char *allow)
{
	char *message = xasprintf("method not allowed: use %s", allow);
	json_t *obj = json_pack("{ss}", "error", message);

	free(message);
	return reply_json_header(c, MHD_HTTP_METHOD_NOT_ALLOWED, obj, MHD_HTTP_HEADER_ALLOW, allow);
}

enum MHD_Result
reply_json(struct MHD_Connection *c, unsigned int status, json_t *obj)
{
	return reply_json_header(c, status, obj, NULL, NULL);
}

enum MHD_Result
reply_error(struct MHD_Connection *c, unsigned int status, const char *message)
{
	return reply_json(c, status, json_pack("{ss}", "error", message));
}
