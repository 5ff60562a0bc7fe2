/* Files built into the binary by build-aux/embed.sh. */
#ifndef TURNOUT_EMBED_H
#define TURNOUT_EMBED_H

#include <stddef.h>

struct embed_file {
	const char *name;          /* path below sql/ or web/ */
	const unsigned char *data; /* NUL-terminated for convenience */
	size_t size;               /* without the NUL */
};

/* sql/NNN-*.sql in order, ending with a { NULL } entry. */
extern const struct embed_file embed_sql[];
/* web/ assets, ending with a { NULL } entry. */
extern const struct embed_file embed_web[];

/* Returns the entry named name, or NULL. */
const struct embed_file *embed_find(const struct embed_file *files, const char *name);

#endif
