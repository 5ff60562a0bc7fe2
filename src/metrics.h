/*
 * GET /metrics: the exposition in Prometheus's text format (0.0.4). Names
 * follow its conventions: base units (seconds, bytes), `_total` counters,
 * `_seconds` histograms, label values from a closed set or the config.
 * Totals that must outlive a restart are read from the database; the
 * webhook counters and the process_* series are the network process's.
 */
#ifndef TURNOUT_METRICS_H
#define TURNOUT_METRICS_H

#include <stddef.h>

#include "conf.h"
#include "hookstats.h"
#include "store.h"

/*
 * Returns the whole text, a new string the caller frees, its length in
 * *len. hs may be NULL (no webhook counters).
 */
char *metrics_render(const struct config *cfg, struct store *st, struct hookstats *hs, size_t *len);

#endif
