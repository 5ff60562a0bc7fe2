/*
 * jtext: text from outside (command output, commit messages, cut-off
 * excerpts) as a JSON string. It need not be valid UTF-8, which jansson
 * refuses: such bytes become '?' rather than the whole value going missing.
 */
#ifndef TURNOUT_JTEXT_H
#define TURNOUT_JTEXT_H

#include <jansson.h>

/* A new JSON string of s, or JSON null when s is NULL. */
json_t *jtext(const char *s);

#endif
