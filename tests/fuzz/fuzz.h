/* Shared by the fuzz targets: each defines LLVMFuzzerTestOneInput; replay.c runs it over
 * files when the build has no libFuzzer, so every corpus replays as a plain test. */
#ifndef WHY_FUZZ_H
#define WHY_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
