/*
 * What every fuzz target defines: libFuzzer's entry point. Built with
 * --enable-fuzzing, libFuzzer drives it; otherwise standalone.c runs the
 * seed corpus through it once, as a regression test in `make check`.
 */
#ifndef TURNOUT_FUZZ_H
#define TURNOUT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
