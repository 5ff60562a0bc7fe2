/* hookstats: counters of webhook answers (see hookstats.h). */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hookstats.h"
#include "xmalloc.h"
#include "banned.h"

static const char *const senders[] = { "github", "gitlab", "gitea", "bitbucket", "unknown" };
#define NSENDERS (sizeof senders / sizeof senders[0])

static const char *const answers[HOOK_ANSWERS] = {
	[HOOK_ANSWER_ACCEPTED] = "accepted",
	[HOOK_ANSWER_DUPLICATE] = "duplicate",
	[HOOK_ANSWER_PING] = "ping",
	[HOOK_ANSWER_IGNORED] = "ignored",
	[HOOK_ANSWER_BAD_PROOF] = "bad_proof",
	[HOOK_ANSWER_BAD_REQUEST] = "bad_request",
	[HOOK_ANSWER_TOO_LARGE] = "too_large",
	[HOOK_ANSWER_BUSY] = "busy",
	[HOOK_ANSWER_NOT_STORED] = "not_stored",
	[HOOK_ANSWER_NO_SUCH_APP] = "no_such_app",
	[HOOK_ANSWER_BAD_METHOD] = "bad_method",
};

struct hookstats {
	const struct config *cfg;
	/* [app][sender][answer]; app index napps is "not in the config" */
	_Atomic uint64_t *n;
};

struct hookstats *
hookstats_new(const struct config *cfg)
{
	struct hookstats *hs = xcalloc(1, sizeof *hs);
	size_t cells = (cfg->napps + 1) * NSENDERS * HOOK_ANSWERS;

	hs->cfg = cfg;
	hs->n = xcalloc(cells, sizeof *hs->n);
	for (size_t i = 0; i < cells; i++)
		atomic_init(&hs->n[i], 0);
	return hs;
}

void
hookstats_free(struct hookstats *hs)
{
	if (hs == NULL)
		return;
	free((void *)hs->n);
	free(hs);
}

const char *
hookstats_answer_name(enum hook_answer answer)
{
	return answer < HOOK_ANSWERS ? answers[answer] : "unknown";
}

void
hookstats_count(struct hookstats *hs, const struct app_config *app, const char *sender,
    enum hook_answer answer)
{
	size_t a, s = NSENDERS - 1;

	if (hs == NULL || answer >= HOOK_ANSWERS)
		return;
	a = hs->cfg->napps;
	for (size_t i = 0; app != NULL && i < hs->cfg->napps; i++)
		if (hs->cfg->apps[i] == app)
			a = i;
	for (size_t i = 0; sender != NULL && i + 1 < NSENDERS; i++)
		if (strcmp(senders[i], sender) == 0)
			s = i;
	atomic_fetch_add_explicit(&hs->n[(a * NSENDERS + s) * HOOK_ANSWERS + answer], 1,
	    memory_order_relaxed);
}

void
hookstats_each(struct hookstats *hs,
    void (*fn)(void *ctx, const char *app, const char *sender, const char *answer, uint64_t n),
    void *ctx)
{
	for (size_t a = 0; a <= hs->cfg->napps; a++)
		for (size_t s = 0; s < NSENDERS; s++)
			for (size_t k = 0; k < HOOK_ANSWERS; k++) {
				uint64_t n =
				    atomic_load_explicit(&hs->n[(a * NSENDERS + s) * HOOK_ANSWERS +
							     k],
					memory_order_relaxed);

				if (n != 0)
					fn(ctx, a < hs->cfg->napps ? hs->cfg->apps[a]->name : "",
					    senders[s], answers[k], n);
			}
}
