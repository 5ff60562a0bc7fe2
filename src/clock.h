/* Time as the rest of turnout counts it: milliseconds. */
#ifndef TURNOUT_CLOCK_H
#define TURNOUT_CLOCK_H

#include <stdint.h>

/* Milliseconds on the monotonic clock: for timeouts and durations. */
int64_t clock_mono_ms(void);
/* Milliseconds since the epoch (UTC): for what is stored and shown. */
int64_t clock_real_ms(void);

#endif
