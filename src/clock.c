/* clock: monotonic and wall-clock milliseconds (see clock.h). */
#include "config.h"

#include <time.h>

#include "clock.h"
#include "banned.h"

/* Reads clock id as milliseconds. */
static int64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

int64_t
clock_real_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}
