/* The libFuzzer entry points every fuzz target defines (docs/fuzzing.md).
 *
 * A target is fuzz/fuzz_<name>.c: it includes this header, defines
 * LLVMFuzzerTestOneInput() and may define LLVMFuzzerInitialize(). It must
 * not exit, abort or leak on any input; it returns 0. The same file links
 * either with libFuzzer (-Dfuzzing=true) or with fuzz-main.c, which replays
 * the seed corpus under `meson test`.
 */
#ifndef COCOON_FUZZ_H
#define COCOON_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
