/*
 * payload: each forge's push payload read into one shape (see payload.h).
 *
 * SQLite's JSON functions read the members, jansson only words the error
 * for a body that is not JSON. jansson builds a tree of the whole body
 * (97 µs for bench/ingest's 6 KB push, half of turnout's CPU per webhook);
 * one statement of json_type/json_extract reads the few members a forge's
 * push is known by in one parse (17 µs). A forge's members are its
 * statement's columns, two per path: the JSON type there, and the value
 * when it is a string. Where SQLite 3.40 reads JSON otherwise than
 * jansson did: a key written with escapes ("\u0072ef") is not the key
 * "ref"; nesting deeper than 2000 is refused (jansson: 2048); duplicate
 * keys give the first value; members that are not read are not checked.
 * No forge sends any of these, and the body is signed.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "ids.h"
#include "payload.h"
#include "xmalloc.h"
#include "banned.h"

/* What a forge that marks a deletion with a null side means by "no commit". */
#define PAYLOAD_ZERO_ID "0000000000000000000000000000000000000000"

/* A path read for its type only, and one read for its string value too. */
#define KIND(p) "json_type(?1,'" p "'),NULL"
#define TEXT(p) "json_type(?1,'" p "'),json_extract(?1,'" p "')"

/* GitHub: the top level and head_commit. Gitea adds the last of commits[]. */
#define GITHUB_COLUMNS \
	KIND("$") \
	"," TEXT("$.ref") "," TEXT("$.after") "," TEXT("$.before") "," KIND("$.deleted") "," KIND( \
	    "$.head_commit") "," KIND("$.head_commit.author") "," TEXT("$.head_commit.author.name") "," TEXT("$.head_commit.message")
enum {
	GH_ROOT,
	GH_REF,
	GH_AFTER,
	GH_BEFORE,
	GH_DELETED,
	GH_COMMIT,
	GH_AUTHOR,
	GH_NAME,
	GH_MESSAGE,
	GT_COMMIT,
	GT_AUTHOR,
	GT_NAME,
	GT_MESSAGE,
	GT_END
};
static const char payload_github_sql[] = "SELECT " GITHUB_COLUMNS;
static const char payload_gitea_sql[] =
    "SELECT " GITHUB_COLUMNS "," KIND("$.commits[#-1]") "," KIND("$.commits[#-1].author") "," TEXT(
	"$.commits[#-1].author.name") "," TEXT("$.commits[#-1].message");

/*
 * GitLab has no head commit: it is the one of commits[] whose id is after
 * (usually the last), else the last. p is its path.
 */
enum {
	GL_ROOT,
	GL_REF,
	GL_AFTER,
	GL_BEFORE,
	GL_USER,
	GL_TAG_MESSAGE,
	GL_COMMIT,
	GL_AUTHOR,
	GL_NAME,
	GL_MESSAGE,
	GL_END
};
static const char payload_gitlab_sql[] =
    "WITH c(p) AS (SELECT coalesce((SELECT fullkey FROM json_each(?1,'$.commits')"
    " WHERE json_type(?1,'$.commits')='array' AND json_type(?1,fullkey||'.id')='text'"
    " AND json_extract(?1,fullkey||'.id')=json_extract(?1,'$.after') LIMIT 1),"
    " '$.commits[#-1]'))"
    " SELECT " KIND("$") "," TEXT("$.ref") "," TEXT("$.after") "," TEXT("$.before") "," TEXT(
	"$.user_name") "," TEXT("$.message") ","
					     " json_type(?1,p),NULL, json_type(?1,p||'.author'),NULL,"
					     " json_type(?1,p||'.author.name'),json_extract(?1,p||'.author.name'),"
					     " json_type(?1,p||'.message'),json_extract(?1,p||'.message') FROM c";

/* Bitbucket: the last of push.changes, its new and its old side. */
#define BB "$.push.changes[#-1]"
enum {
	BB_ROOT,
	BB_CHANGES,
	BB_CHANGE,
	BB_NEW,
	BB_OLD,
	BB_NEW_TYPE,
	BB_NEW_NAME,
	BB_OLD_TYPE,
	BB_OLD_NAME,
	BB_HASH,
	BB_AUTHOR,
	BB_USER,
	BB_DISPLAY,
	BB_RAW,
	BB_MESSAGE,
	BB_OLD_HASH,
	BB_END
};
static const char payload_bitbucket_sql[] = "SELECT " KIND("$") "," KIND("$.push.changes") "," KIND(
    BB) "," KIND(BB ".new") "," KIND(BB ".old") "," TEXT(BB ".new.type") "," TEXT(BB
    ".new.name") "," TEXT(BB ".old.type") "," TEXT(BB ".old.name") "," TEXT(BB
    ".new.target.hash") "," KIND(BB ".new.target.author") "," KIND(BB
    ".new.target.author.user") "," TEXT(BB ".new.target.author.user.display_name") "," TEXT(BB
    ".new.target.author.raw") "," TEXT(BB ".new.target.message") "," TEXT(BB ".old.target.hash");

#define PAYLOAD_MAX_VALUES BB_END

/* The JSON type of the value at a path; absent and null are both PV_NONE. */
enum pv_kind { PV_NONE, PV_OBJECT, PV_ARRAY, PV_STRING, PV_NUMBER, PV_TRUE, PV_FALSE };

/* What the body holds at one path; s and n are set for a string (s lives until the reset). */
struct pv {
	enum pv_kind kind;
	int present; /* there is a value at the path, null included */
	const char *s;
	size_t n;
};

/*
 * One in-memory connection for the process, its statements prepared on
 * first use; the pool threads take turns (a read is some 20 µs).
 */
static pthread_mutex_t payload_lock = PTHREAD_MUTEX_INITIALIZER;
static sqlite3 *payload_db;
static sqlite3_stmt *payload_stmts[PAYLOAD_BITBUCKET + 1]; /* one per enum payload_kind */

/* Returns the statement of kind, sql prepared once; NULL with *cause if it cannot be. */
static sqlite3_stmt *
payload_statement(enum payload_kind kind, const char *sql, char **cause)
{
	if (payload_db == NULL) {
		if (sqlite3_open_v2(":memory:", &payload_db,
			SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			NULL) != SQLITE_OK) {
			*cause = xasprintf("cannot read the payload: %s",
			    payload_db != NULL ? sqlite3_errmsg(payload_db) : "out of memory");
			sqlite3_close(payload_db);
			payload_db = NULL;
			return NULL;
		}
		/* No tables, so no need for lookaside's 120 KB. */
		sqlite3_db_config(payload_db, SQLITE_DBCONFIG_LOOKASIDE, NULL, 0, 0);
	}
	if (payload_stmts[kind] == NULL &&
	    sqlite3_prepare_v3(payload_db, sql, -1, SQLITE_PREPARE_PERSISTENT, &payload_stmts[kind],
		NULL) != SQLITE_OK) {
		*cause = xasprintf("cannot read the payload: %s", sqlite3_errmsg(payload_db));
		return NULL;
	}
	return payload_stmts[kind];
}

/* Reads the stepped row of stmt into v[]: column 2i is a type, 2i+1 a string. */
static void
payload_values(sqlite3_stmt *stmt, struct pv *v, int n)
{
	static const struct {
		const char *name;
		enum pv_kind kind;
	} kinds[] = { { "object", PV_OBJECT }, { "array", PV_ARRAY }, { "text", PV_STRING },
		{ "integer", PV_NUMBER }, { "real", PV_NUMBER }, { "true", PV_TRUE },
		{ "false", PV_FALSE } };
	const char *type;
	size_t k;
	int i;

	for (i = 0; i < n; i++) {
		memset(&v[i], 0, sizeof v[i]);
		type = (const char *)sqlite3_column_text(stmt, 2 * i);
		v[i].present = type != NULL;
		for (k = 0; type != NULL && k < sizeof kinds / sizeof kinds[0]; k++) {
			if (strcmp(type, kinds[k].name) == 0)
				v[i].kind = kinds[k].kind;
		}
		if (v[i].kind == PV_STRING) {
			/* A KIND column's value is NULL: it is read for its type only. */
			v[i].s = (const char *)sqlite3_column_text(stmt, 2 * i + 1);
			v[i].n = (size_t)sqlite3_column_bytes(stmt, 2 * i + 1);
			if (v[i].s == NULL) {
				v[i].s = "";
				v[i].n = 0;
			}
		}
	}
}

/*
 * Checks that a string is UTF-8, which SQLite does not check and jansson
 * did for the whole body: what is stored is shown through jansson, which
 * refuses other bytes. About NUL: SQLite ends a string at an escaped NUL
 * ("\u0000"), as git ends a commit message at one and refuses one in a
 * ref, so a string is read up to it (the payload is signed: whoever could
 * send "refs/heads/main\u0000x" could send "refs/heads/main"). A NUL byte
 * in a string is not JSON and never gets here.
 */
static int
payload_clean(const struct pv *v, const char *path, char **cause)
{
	unsigned char high = 0;
	json_t *check;
	size_t i;

	/* ASCII is UTF-8; jansson's check of the rest takes 2 ns a byte. */
	for (i = 0; i < v->n; i++)
		high |= (unsigned char)v->s[i];
	if (high < 0x80)
		return 0;
	/* jansson's own check: json_stringn refuses what is not UTF-8. */
	check = json_stringn(v->s, v->n);
	if (check == NULL) {
		*cause = xasprintf("payload has a bad '%s': not UTF-8", path);
		return -1;
	}
	json_decref(check);
	return 0;
}

/*
 * A member at path of kind want, or absent (null counts as absent). Any
 * other type is an error: a payload that is not what its forge sends is
 * refused, never half-read. Returns 0, or -1 with *cause (a new string).
 */
static int
payload_member(const struct pv *v, enum pv_kind want, const char *path, char **cause)
{
	static const char *const names[] = { "", "an object", "an array", "a string", "a number",
		"true or false", "true or false" };

	if (v->kind == PV_NONE || v->kind == want || (want == PV_TRUE && v->kind == PV_FALSE))
		return 0;
	*cause = xasprintf("payload has a bad '%s': not %s", path, names[want]);
	return -1;
}

/* Returns a copy of s cut to at most max bytes on a UTF-8 boundary. */
static char *
payload_text(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		/* s[n] is the first byte dropped: back up to a lead byte. */
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return xstrndup(s, n);
}

/* Sets *out to a string member (see payload_member) cut to max bytes, or NULL. */
static int
payload_text_member(const struct pv *v, const char *path, size_t max, char **out, char **cause)
{
	if (payload_member(v, PV_STRING, path, cause) != 0 ||
	    (v->kind == PV_STRING && payload_clean(v, path, cause) != 0))
		return -1;
	free(*out);
	*out = v->kind == PV_STRING ? payload_text(v->s, max) : NULL;
	return 0;
}

/* Returns 1 if the commit id is all zeros, the forges' "no commit". */
static int
payload_is_zero(const char *id)
{
	return id[strspn(id, "0")] == '\0';
}

/* Sets *out to a lowercase copy of the commit id v; what names it in *cause. */
static int
payload_id(const struct pv *v, const char *what, char **out, char **cause)
{
	if (v->kind == PV_NONE) {
		*cause = xasprintf("payload has no '%s'", what);
		return -1;
	}
	if (v->kind != PV_STRING || !ids_is_commit(v->s, 0)) {
		/* The value is not echoed: it is outside text. */
		*cause = xasprintf("payload has a bad '%s': not a 40 or 64 "
				   "digit hex commit id",
		    what);
		return -1;
	}
	*out = xstrdup(v->s);
	ids_hex_lower(*out);
	return 0;
}

/* Sets *out to a copy of ref (n bytes) after checking that it is a full ref name. */
static int
payload_ref(const char *ref, size_t n, char **out, char **cause)
{
	size_t i;

	if (ref == NULL) {
		*cause = xstrdup("payload has no 'ref'");
		return -1;
	}
	if (strncmp(ref, "refs/", 5) != 0 || ref[5] == '\0')
		goto bad;
	/* git refuses control characters (and so NUL) in ref names; so do we. */
	for (i = 0; i < n; i++) {
		if ((unsigned char)ref[i] < 0x20 || ref[i] == 0x7f)
			goto bad;
	}
	*out = xstrndup(ref, n);
	return 0;

bad:
	*cause = xstrdup("payload has a bad 'ref': not a full ref name");
	return -1;
}

/* Takes ref, after and before from the top level (GitHub, GitLab, Gitea). */
static int
payload_common(const struct pv *ref, const struct pv *after, const struct pv *before,
    struct push *push, char **cause)
{
	if (ref->kind != PV_NONE && ref->kind != PV_STRING) {
		*cause = xstrdup("payload has a bad 'ref': not a string");
		return -1;
	}
	if ((ref->kind == PV_STRING && payload_clean(ref, "ref", cause) != 0) ||
	    payload_ref(ref->s, ref->n, &push->ref, cause) != 0 ||
	    payload_id(after, "after", &push->after, cause) != 0)
		return -1;
	if (before->kind != PV_NONE && payload_id(before, "before", &push->before, cause) != 0)
		return -1;
	push->deleted = payload_is_zero(push->after);
	return 0;
}

/*
 * Copies author name and message of a GitHub-shaped commit object (v[0]
 * the commit, then its author, author.name and message; named path), if
 * any. Returns 0, or -1 with *cause for a member of a wrong type.
 */
static int
payload_commit(struct push *push, const struct pv *v, const char *path, char **cause)
{
	char where[64];

	if (v[0].kind == PV_NONE)
		return 0;
	if (v[0].kind != PV_OBJECT) {
		*cause = xasprintf("payload has a bad '%s': not an object", path);
		return -1;
	}
	snprintf(where, sizeof where, "%s.author", path);
	if (payload_member(&v[1], PV_OBJECT, where, cause) != 0)
		return -1;
	snprintf(where, sizeof where, "%s.author.name", path);
	if (payload_text_member(&v[2], where, PAYLOAD_AUTHOR_MAX, &push->author, cause) != 0)
		return -1;
	snprintf(where, sizeof where, "%s.message", path);
	return payload_text_member(&v[3], where, PAYLOAD_MESSAGE_MAX, &push->message, cause);
}

/* Honours a "deleted": true; any other type than a boolean is an error. */
static int
payload_deleted(const struct pv *v, struct push *push, char **cause)
{
	if (payload_member(v, PV_TRUE, "deleted", cause) != 0)
		return -1;
	if (v->kind == PV_TRUE)
		push->deleted = 1;
	return 0;
}

/* Parses a GitHub push event; head_commit is null for a deletion. */
static int
payload_github(const struct pv *v, struct push *push, char **cause)
{
	if (payload_common(&v[GH_REF], &v[GH_AFTER], &v[GH_BEFORE], push, cause) != 0 ||
	    payload_deleted(&v[GH_DELETED], push, cause) != 0)
		return -1;
	return payload_commit(push, &v[GH_COMMIT], "head_commit", cause);
}

/* Parses a GitLab Push Hook or Tag Push Hook. */
static int
payload_gitlab(const struct pv *v, struct push *push, char **cause)
{
	if (payload_common(&v[GL_REF], &v[GL_AFTER], &v[GL_BEFORE], push, cause) != 0 ||
	    payload_commit(push, &v[GL_COMMIT], "commits[]", cause) != 0)
		return -1;
	/* A tag push often has no commits: the pusher and the tag's message stand in. */
	if (push->author == NULL &&
	    payload_text_member(&v[GL_USER], "user_name", PAYLOAD_AUTHOR_MAX, &push->author,
		cause) != 0)
		return -1;
	if (push->message == NULL &&
	    payload_text_member(&v[GL_TAG_MESSAGE], "message", PAYLOAD_MESSAGE_MAX, &push->message,
		cause) != 0)
		return -1;
	return 0;
}

/* Parses a Gitea or Forgejo push event. */
static int
payload_gitea(const struct pv *v, struct push *push, char **cause)
{
	/*
	 * Like GitHub, but head_commit may be missing (then the last of
	 * commits[] is the head) and a deletion is known only by after being
	 * all zeros; a "deleted" flag is honoured if present.
	 */
	if (payload_github(v, push, cause) != 0)
		return -1;
	if (v[GH_COMMIT].kind == PV_NONE)
		return payload_commit(push, &v[GT_COMMIT], "commits[]", cause);
	return 0;
}

/* Parses a Bitbucket Cloud repo:push event. */
static int
payload_bitbucket(const struct pv *v, struct push *push, char **cause)
{
	const struct pv *type, *name;
	const char *prefix;
	char *ref;
	int rc;

	/*
	 * Each entry of push.changes is one ref with its "old" and "new"
	 * state; we take the last. new is null when the ref was deleted, old
	 * when it was created.
	 */
	if (v[BB_CHANGES].kind != PV_ARRAY || !v[BB_CHANGE].present) {
		*cause = xstrdup("payload has no push.changes");
		return -1;
	}
	if (v[BB_NEW].kind == PV_OBJECT) {
		type = &v[BB_NEW_TYPE];
		name = &v[BB_NEW_NAME];
	} else if (v[BB_OLD].kind == PV_OBJECT) {
		type = &v[BB_OLD_TYPE];
		name = &v[BB_OLD_NAME];
	} else {
		*cause = xstrdup("payload has no 'new' or 'old' in "
				 "push.changes");
		return -1;
	}

	if (type->kind == PV_STRING && strcmp(type->s, "branch") == 0)
		prefix = "refs/heads/";
	else if (type->kind == PV_STRING && strcmp(type->s, "tag") == 0)
		prefix = "refs/tags/";
	else {
		*cause = xstrdup("payload has a bad 'type' in push.changes");
		return -1;
	}
	if (name->kind != PV_STRING || name->n == 0) {
		*cause = xstrdup("payload has no 'name' in push.changes");
		return -1;
	}
	if (payload_clean(name, "name", cause) != 0)
		return -1;
	ref = xasprintf("%s%s", prefix, name->s);
	rc = payload_ref(ref, strlen(ref), &push->ref, cause);
	free(ref);
	if (rc != 0)
		return -1;

	if (v[BB_NEW].kind == PV_OBJECT) {
		if (payload_id(&v[BB_HASH], "new.target.hash", &push->after, cause) != 0)
			return -1;
		if (payload_member(&v[BB_AUTHOR], PV_OBJECT, "new.target.author", cause) != 0 ||
		    payload_member(&v[BB_USER], PV_OBJECT, "new.target.author.user", cause) != 0 ||
		    payload_text_member(&v[BB_DISPLAY], "new.target.author.user.display_name",
			PAYLOAD_AUTHOR_MAX, &push->author, cause) != 0 ||
		    (push->author == NULL &&
			payload_text_member(&v[BB_RAW], "new.target.author.raw", PAYLOAD_AUTHOR_MAX,
			    &push->author, cause) != 0) ||
		    payload_text_member(&v[BB_MESSAGE], "new.target.message", PAYLOAD_MESSAGE_MAX,
			&push->message, cause) != 0)
			return -1;
	} else {
		push->after = xstrdup(PAYLOAD_ZERO_ID);
		push->deleted = 1;
	}
	if (v[BB_OLD].kind == PV_OBJECT &&
	    payload_id(&v[BB_OLD_HASH], "old.target.hash", &push->before, cause) != 0)
		return -1;
	return 0;
}

/*
 * Words why body is not a JSON object: jansson's error and its line, as
 * before SQLite read payloads (the two parsers agree on what JSON is but
 * for limits such as depth, where SQLite's message stands in).
 */
static void
payload_not_json(const char *body, size_t len, const char *sqlite_error, char **cause)
{
	json_error_t error;
	json_t *root = json_loadb(body, len, 0, &error);

	if (root == NULL)
		*cause = xasprintf("body is not JSON: %s at line %d", error.text, error.line);
	else if (!json_is_object(root))
		*cause = xstrdup("body is not a JSON object");
	else
		*cause = xasprintf("body is not JSON: %s", sqlite_error);
	json_decref(root);
}

/* Each forge's statement, how many values it reads, and what makes a push of them. */
static const struct {
	const char *sql;
	int values;
	int (*read)(const struct pv *v, struct push *push, char **cause);
} payload_forges[] = {
	[PAYLOAD_GITHUB] = { payload_github_sql, GT_COMMIT, payload_github },
	[PAYLOAD_GITLAB] = { payload_gitlab_sql, GL_END, payload_gitlab },
	[PAYLOAD_GITEA] = { payload_gitea_sql, GT_END, payload_gitea },
	[PAYLOAD_BITBUCKET] = { payload_bitbucket_sql, BB_END, payload_bitbucket },
};

/* Parses a push payload into *out; on failure *out is left zeroed. */
int
payload_parse(enum payload_kind kind, const char *body, size_t len, struct push *out, char **cause)
{
	struct pv v[PAYLOAD_MAX_VALUES];
	char *sqlite_error = NULL;
	sqlite3_stmt *stmt;
	int rc = -1;

	memset(out, 0, sizeof *out);
	*cause = NULL;
	if ((unsigned)kind >= sizeof payload_forges / sizeof payload_forges[0]) {
		*cause = xstrdup("unknown payload kind");
		return -1;
	}
	/* SQLite would stop at a NUL byte and read a prefix: jansson refuses it. */
	if (len == 0 || memchr(body, '\0', len) != NULL) {
		payload_not_json(body, len, "a NUL byte", cause);
		return -1;
	}

	pthread_mutex_lock(&payload_lock);
	if ((stmt = payload_statement(kind, payload_forges[kind].sql, cause)) == NULL)
		goto out;
	/* Checked before the bind: a negative length would have SQLite look for a NUL. */
	if (len > (size_t)sqlite3_limit(payload_db, SQLITE_LIMIT_LENGTH, -1)) {
		*cause = xasprintf("body is too long to read (%zu bytes; at most %d)", len,
		    sqlite3_limit(payload_db, SQLITE_LIMIT_LENGTH, -1));
		goto out;
	}
	if (sqlite3_bind_text(stmt, 1, body, (int)len, SQLITE_STATIC) != SQLITE_OK) {
		*cause = xasprintf("cannot read the payload: %s", sqlite3_errmsg(payload_db));
		goto out;
	}
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite_error = xstrdup(sqlite3_errmsg(payload_db));
		goto out;
	}
	payload_values(stmt, v, payload_forges[kind].values);
	if (v[0].kind != PV_OBJECT) {
		sqlite_error = xstrdup("not an object");
		goto out;
	}
	rc = payload_forges[kind].read(v, out, cause);

out:
	if (stmt != NULL) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	}
	pthread_mutex_unlock(&payload_lock);
	/* jansson words the error, outside the lock: it parses the whole body. */
	if (sqlite_error != NULL) {
		payload_not_json(body, len, sqlite_error, cause);
		free(sqlite_error);
	}
	if (rc != 0)
		payload_push_release(out);
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
