/* session: dashboard logins and their CSRF tokens, in memory (see session.h). */
#include "config.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ids.h"
#include "session.h"
#include "sig.h"
#include "xmalloc.h"
#include "banned.h"

struct session {
	char id[SESSION_ID_LEN + 1];
	char csrf[SESSION_ID_LEN + 1];
	time_t created; /* 0: free slot */
};

struct sessions {
	pthread_mutex_t lock;
	struct session s[SESSION_MAX];
};

struct sessions *
session_new(void)
{
	struct sessions *s = xcalloc(1, sizeof *s);

	pthread_mutex_init(&s->lock, NULL);
	return s;
}

void
session_free(struct sessions *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s->s, sizeof s->s);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Fills out with 32 random bytes as hex. */
static int
random_hex(char out[SESSION_ID_LEN + 1])
{
	unsigned char b[SESSION_ID_LEN / 2];

	if (RAND_bytes(b, sizeof b) != 1)
		return -1;
	ids_hex_encode(b, sizeof b, out);
	OPENSSL_cleanse(b, sizeof b);
	return 0;
}

int
session_create(struct sessions *s, char id[SESSION_ID_LEN + 1], char csrf[SESSION_ID_LEN + 1])
{
	struct session *slot = NULL;
	time_t now = time(NULL);

	if (random_hex(id) != 0 || random_hex(csrf) != 0)
		return -1;
	pthread_mutex_lock(&s->lock);
	/* A free or expired slot, else the oldest session makes room. */
	for (int i = 0; i < SESSION_MAX; i++) {
		struct session *x = &s->s[i];

		if (x->created == 0 || now - x->created > SESSION_TTL_S) {
			slot = x;
			break;
		}
		if (slot == NULL || x->created < slot->created)
			slot = x;
	}
	memcpy(slot->id, id, sizeof slot->id);
	memcpy(slot->csrf, csrf, sizeof slot->csrf);
	slot->created = now;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int
session_check(struct sessions *s, const char *id, char csrf[SESSION_ID_LEN + 1])
{
	time_t now = time(NULL);
	int rc = -1;

	if (id == NULL || strlen(id) != SESSION_ID_LEN)
		return -1;
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < SESSION_MAX; i++) {
		struct session *x = &s->s[i];

		if (x->created != 0 && now - x->created <= SESSION_TTL_S && sig_equal(x->id, id)) {
			memcpy(csrf, x->csrf, SESSION_ID_LEN + 1);
			rc = 0;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void
session_delete(struct sessions *s, const char *id)
{
	if (id == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < SESSION_MAX; i++)
		if (s->s[i].created != 0 && sig_equal(s->s[i].id, id))
			memset(&s->s[i], 0, sizeof s->s[i]);
	pthread_mutex_unlock(&s->lock);
}
