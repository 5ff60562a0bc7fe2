/* payload: each forge's push payload read with jansson into one shape (see payload.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ids.h"
#include "payload.h"
#include "xmalloc.h"
#include "banned.h"

/*
 * How much of a commit's text we keep. Both are shown on the dashboard and
 * stored with the deployment; neither is needed whole.
 */
#define PAYLOAD_MESSAGE_MAX 4096
#define PAYLOAD_AUTHOR_MAX 256

/* What a forge that marks a deletion with a null side means by "no commit". */
#define PAYLOAD_ZERO_ID "0000000000000000000000000000000000000000"

/*
 * About NUL: the body is loaded without JSON_ALLOW_NUL, so jansson refuses a
 * "\u0000" anywhere in it and the whole body is rejected as "not JSON". No
 * forge sends one (git cannot store a NUL in a ref, and commit messages end
 * at one), so every string we see here is exactly strlen() long.
 */

/* Returns the string member key of obj, or NULL if absent or not a string. */
static const char *
payload_string(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/*
 * Member key of obj (named path in errors) when it is of type type; absent
 * or null it is NULL. Any other type is an error: a payload that is not
 * what its forge sends is refused, never half-read. Returns 0, or -1 with
 * *cause (a new string).
 */
static int
payload_member(json_t *obj, const char *key, json_type type, const char *path, json_t **out,
    char **cause)
{
	static const char *const names[] = { "an object", "an array", "a string", "a number",
		"a number", "true or false", "true or false", "null" };
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_typeof(v) != type && !(type == JSON_TRUE && json_is_boolean(v))) {
		*cause = xasprintf("payload has a bad '%s': not %s", path, names[type]);
		return -1;
	}
	*out = v;
	return 0;
}

/* A text member (see payload_member) copied and cut to max bytes, or NULL. */
static int payload_text_member(json_t *obj, const char *key, const char *path, size_t max,
    char **out, char **cause);

/* Returns a copy of s cut to at most max bytes on a UTF-8 boundary. */
static char *
payload_text(const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (n > max) {
		/* s[n] is the first byte dropped: back up to a lead byte. */
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return xstrndup(s, n);
}

/* Returns 1 if the commit id is all zeros, the forges' "no commit". */
static int
payload_is_zero(const char *id)
{
	return id[strspn(id, "0")] == '\0';
}

/* Sets *out to a lowercase copy of the commit id v; what names it in *cause. */
static int
payload_id(json_t *v, const char *what, char **out, char **cause)
{
	const char *s = json_string_value(v);

	if (v == NULL || json_is_null(v)) {
		*cause = xasprintf("payload has no '%s'", what);
		return -1;
	}
	if (!ids_is_commit(s, 0)) {
		/* The value is not echoed: it is outside text. */
		*cause = xasprintf("payload has a bad '%s': not a 40 or 64 "
				   "digit hex commit id",
		    what);
		return -1;
	}
	*out = xstrdup(s);
	ids_hex_lower(*out);
	return 0;
}

/* Sets *out to a copy of ref after checking that it is a full ref name. */
static int
payload_ref(const char *ref, char **out, char **cause)
{
	const char *p;

	if (ref == NULL) {
		*cause = xstrdup("payload has no 'ref'");
		return -1;
	}
	if (strncmp(ref, "refs/", 5) != 0 || ref[5] == '\0')
		goto bad;
	/* git refuses control characters in ref names; so do we. */
	for (p = ref; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			goto bad;
	}
	*out = xstrdup(ref);
	return 0;

bad:
	*cause = xstrdup("payload has a bad 'ref': not a full ref name");
	return -1;
}

/* Takes ref, after and before from the top level (GitHub, GitLab, Gitea). */
static int
payload_common(json_t *root, struct push *push, char **cause)
{
	json_t *ref, *before;

	ref = json_object_get(root, "ref");
	if (ref != NULL && !json_is_null(ref) && !json_is_string(ref)) {
		*cause = xstrdup("payload has a bad 'ref': not a string");
		return -1;
	}
	if (payload_ref(json_string_value(ref), &push->ref, cause) != 0)
		return -1;
	if (payload_id(json_object_get(root, "after"), "after", &push->after, cause) != 0)
		return -1;
	before = json_object_get(root, "before");
	if (before != NULL && !json_is_null(before) &&
	    payload_id(before, "before", &push->before, cause) != 0)
		return -1;
	push->deleted = payload_is_zero(push->after);
	return 0;
}

static int
payload_text_member(json_t *obj, const char *key, const char *path, size_t max, char **out,
    char **cause)
{
	json_t *v;

	if (payload_member(obj, key, JSON_STRING, path, &v, cause) != 0)
		return -1;
	free(*out);
	*out = payload_text(json_string_value(v), max);
	return 0;
}

/*
 * Copies author name and message of a GitHub-shaped commit object (named
 * path), if any. Returns 0, or -1 with *cause for a member of a wrong type.
 */
static int
payload_commit(struct push *push, json_t *commit, const char *path, char **cause)
{
	json_t *author;
	char where[64];

	if (commit == NULL || json_is_null(commit))
		return 0;
	if (!json_is_object(commit)) {
		*cause = xasprintf("payload has a bad '%s': not an object", path);
		return -1;
	}
	snprintf(where, sizeof where, "%s.author", path);
	if (payload_member(commit, "author", JSON_OBJECT, where, &author, cause) != 0)
		return -1;
	snprintf(where, sizeof where, "%s.author.name", path);
	if (payload_text_member(author, "name", where, PAYLOAD_AUTHOR_MAX, &push->author, cause) !=
	    0)
		return -1;
	snprintf(where, sizeof where, "%s.message", path);
	return payload_text_member(commit, "message", where, PAYLOAD_MESSAGE_MAX, &push->message,
	    cause);
}

/* Honours a "deleted": true; any other type than a boolean is an error. */
static int
payload_deleted(json_t *root, struct push *push, char **cause)
{
	json_t *v;

	if (payload_member(root, "deleted", JSON_TRUE, "deleted", &v, cause) != 0)
		return -1;
	if (json_is_true(v))
		push->deleted = 1;
	return 0;
}

/* Parses a GitHub push event; head_commit is null for a deletion. */
static int
payload_github(json_t *root, struct push *push, char **cause)
{
	if (payload_common(root, push, cause) != 0 || payload_deleted(root, push, cause) != 0)
		return -1;
	return payload_commit(push, json_object_get(root, "head_commit"), "head_commit", cause);
}

/* Parses a GitLab Push Hook or Tag Push Hook. */
static int
payload_gitlab(json_t *root, struct push *push, char **cause)
{
	json_t *commits, *commit = NULL;
	const char *after, *id;
	size_t i, n;

	if (payload_common(root, push, cause) != 0)
		return -1;
	/*
	 * There is no head commit: the one whose id is after is in commits[]
	 * (usually last). A tag push often has no commits, so the pusher and
	 * the tag's message stand in.
	 */
	after = payload_string(root, "after");
	commits = json_object_get(root, "commits");
	n = json_array_size(commits);
	for (i = 0; i < n && commit == NULL; i++) {
		id = payload_string(json_array_get(commits, i), "id");
		if (id != NULL && strcmp(id, after) == 0)
			commit = json_array_get(commits, i);
	}
	if (commit == NULL && n > 0)
		commit = json_array_get(commits, n - 1);
	if (payload_commit(push, commit, "commits[]", cause) != 0)
		return -1;
	if (push->author == NULL &&
	    payload_text_member(root, "user_name", "user_name", PAYLOAD_AUTHOR_MAX, &push->author,
		cause) != 0)
		return -1;
	if (push->message == NULL &&
	    payload_text_member(root, "message", "message", PAYLOAD_MESSAGE_MAX, &push->message,
		cause) != 0)
		return -1;
	return 0;
}

/* Parses a Gitea or Forgejo push event. */
static int
payload_gitea(json_t *root, struct push *push, char **cause)
{
	json_t *commit, *commits;

	/*
	 * Like GitHub, but head_commit may be missing (then the last of
	 * commits[] is the head) and a deletion is known only by after being
	 * all zeros; a "deleted" flag is honoured if present.
	 */
	if (payload_common(root, push, cause) != 0 || payload_deleted(root, push, cause) != 0)
		return -1;
	commit = json_object_get(root, "head_commit");
	commits = json_object_get(root, "commits");
	if ((commit == NULL || json_is_null(commit)) && json_array_size(commits) > 0)
		return payload_commit(push, json_array_get(commits, json_array_size(commits) - 1),
		    "commits[]", cause);
	return payload_commit(push, commit, "head_commit", cause);
}

/* Parses a Bitbucket Cloud repo:push event. */
static int
payload_bitbucket(json_t *root, struct push *push, char **cause)
{
	json_t *changes, *change, *to, *from, *side, *target, *author, *user;
	const char *type, *name, *prefix;
	char *ref;
	int rc;

	/*
	 * Each entry of push.changes is one ref with its "old" and "new"
	 * state; we take the last. new is null when the ref was deleted, old
	 * when it was created.
	 */
	changes = json_object_get(json_object_get(root, "push"), "changes");
	if (json_array_size(changes) == 0) {
		*cause = xstrdup("payload has no push.changes");
		return -1;
	}
	change = json_array_get(changes, json_array_size(changes) - 1);
	to = json_object_get(change, "new");
	from = json_object_get(change, "old");
	side = json_is_object(to) ? to : from;
	if (!json_is_object(side)) {
		*cause = xstrdup("payload has no 'new' or 'old' in "
				 "push.changes");
		return -1;
	}

	type = payload_string(side, "type");
	if (type != NULL && strcmp(type, "branch") == 0)
		prefix = "refs/heads/";
	else if (type != NULL && strcmp(type, "tag") == 0)
		prefix = "refs/tags/";
	else {
		*cause = xstrdup("payload has a bad 'type' in push.changes");
		return -1;
	}
	name = payload_string(side, "name");
	if (name == NULL || *name == '\0') {
		*cause = xstrdup("payload has no 'name' in push.changes");
		return -1;
	}
	ref = xasprintf("%s%s", prefix, name);
	rc = payload_ref(ref, &push->ref, cause);
	free(ref);
	if (rc != 0)
		return -1;

	if (json_is_object(to)) {
		target = json_object_get(to, "target");
		if (payload_id(json_object_get(target, "hash"), "new.target.hash", &push->after,
			cause) != 0)
			return -1;
		if (payload_member(target, "author", JSON_OBJECT, "new.target.author", &author,
			cause) != 0 ||
		    payload_member(author, "user", JSON_OBJECT, "new.target.author.user", &user,
			cause) != 0 ||
		    payload_text_member(user, "display_name", "new.target.author.user.display_name",
			PAYLOAD_AUTHOR_MAX, &push->author, cause) != 0 ||
		    (push->author == NULL &&
			payload_text_member(author, "raw", "new.target.author.raw",
			    PAYLOAD_AUTHOR_MAX, &push->author, cause) != 0) ||
		    payload_text_member(target, "message", "new.target.message",
			PAYLOAD_MESSAGE_MAX, &push->message, cause) != 0)
			return -1;
	} else {
		push->after = xstrdup(PAYLOAD_ZERO_ID);
		push->deleted = 1;
	}
	if (json_is_object(from)) {
		target = json_object_get(from, "target");
		if (payload_id(json_object_get(target, "hash"), "old.target.hash", &push->before,
			cause) != 0)
			return -1;
	}
	return 0;
}

/* Parses a push payload into *out; on failure *out is left zeroed. */
int
payload_parse(enum payload_kind kind, const char *body, size_t len, struct push *out, char **cause)
{
	json_error_t error;
	json_t *root;
	int rc = -1;

	memset(out, 0, sizeof *out);
	*cause = NULL;

	root = json_loadb(body, len, 0, &error);
	if (root == NULL) {
		*cause = xasprintf("body is not JSON: %s at line %d", error.text, error.line);
		return -1;
	}
	if (!json_is_object(root)) {
		*cause = xstrdup("body is not a JSON object");
		goto out;
	}

	switch (kind) {
	case PAYLOAD_GITHUB:
		rc = payload_github(root, out, cause);
		break;
	case PAYLOAD_GITLAB:
		rc = payload_gitlab(root, out, cause);
		break;
	case PAYLOAD_GITEA:
		rc = payload_gitea(root, out, cause);
		break;
	case PAYLOAD_BITBUCKET:
		rc = payload_bitbucket(root, out, cause);
		break;
	default:
		*cause = xstrdup("unknown payload kind");
		break;
	}

out:
	if (rc != 0)
		payload_push_release(out);
	json_decref(root);
	return rc;
}

/* Frees what a struct push holds and zeroes it. */
void
payload_push_release(struct push *push)
{
	if (push == NULL)
		return;
	free(push->ref);
	free(push->after);
	free(push->before);
	free(push->author);
	free(push->message);
	memset(push, 0, sizeof *push);
}

/* Decodes n bytes of a form value ('+' is a space, %XX a byte); NULL if bad. */
static char *
payload_unescape(const char *s, size_t n, size_t *outlen)
{
	char *out = xmalloc(n + 1);
	size_t i, o = 0;
	int hi, lo;

	/* A %00 decodes to a NUL inside the result, counted in *outlen. */
	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] != '%')
			out[o++] = s[i];
		else {
			if (n - i < 3 || (hi = ids_hex_value(s[i + 1])) < 0 ||
			    (lo = ids_hex_value(s[i + 2])) < 0) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		}
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return out;
}

/* Takes the decoded value of the first "payload=" pair of a form body. */
char *
payload_from_form(const char *body, size_t len, size_t *outlen)
{
	const char *p, *amp, *end;
	size_t n;

	/*
	 * The key is matched as sent, not decoded; a bare "payload" without
	 * '=' is not a payload field.
	 */
	if (body == NULL)
		return NULL;
	end = body + len;
	for (p = body; p < end; p = amp + 1) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		n = (size_t)(amp - p);
		if (n >= 8 && memcmp(p, "payload=", 8) == 0)
			return payload_unescape(p + 8, n - 8, outlen);
		if (amp == end)
			break;
	}
	return NULL;
}
