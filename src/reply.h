/* Answers over libmicrohttpd: JSON bodies and JSON errors, shared by routes. */
#ifndef TURNOUT_REPLY_H
#define TURNOUT_REPLY_H

#include <stddef.h>

#include <jansson.h>
#include <microhttpd.h>

/* From now on every answer of this process carries Connection: close. */
void reply_set_closing(void);

/* Queues a response with body text (steals it, freed with free()). */
enum MHD_Result reply_text(struct MHD_Connection *c, unsigned int status, const char *type,
    char *text, size_t len);
/* Queues obj as JSON; steals obj. */
enum MHD_Result reply_json(struct MHD_Connection *c, unsigned int status, json_t *obj);
/* Queues {"error": message}. */
enum MHD_Result reply_error(struct MHD_Connection *c, unsigned int status, const char *message);

/* Queues obj as JSON with one extra header (e.g. Set-Cookie); steals obj. */
enum MHD_Result reply_json_header(struct MHD_Connection *c, unsigned int status, json_t *obj,
    const char *header, const char *value);
/* Queues 405 with an Allow header naming the methods that work. */
enum MHD_Result reply_not_allowed(struct MHD_Connection *c, const char *allow);

#endif
