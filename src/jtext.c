/* jtext: outside text as a JSON string (see jtext.h). */
#include "config.h"

#include <stdlib.h>

#include "jtext.h"
#include "xmalloc.h"
#include "banned.h"

json_t *
jtext(const char *s)
{
	json_t *j;
	char *copy;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	copy = xstrdup(s);
	for (unsigned char *c = (unsigned char *)copy; *c != '\0'; c++)
		if (*c >= 0x80)
			*c = '?';
	j = json_string(copy);
	free(copy);
	return j;
}
