/* Fails one allocation on purpose (STYLE.md "Tests": fail every allocation
 * in turn). A test that uses this links alloc_fail_dep
 * (tests/common/meson.build), which wraps malloc, calloc and realloc with
 * -Wl,--wrap: every allocation made by code linked into the test binary
 * (and by a library that allocates through a hook set to these, such as
 * jansson after alloc_fail_hook_jansson) counts and can fail; a shared
 * library's own calls to malloc (glibc's strdup and vasprintf, OpenSSL)
 * cannot. */
#ifndef COCOON_TESTS_ALLOC_FAIL_H
#define COCOON_TESTS_ALLOC_FAIL_H

#include <stdbool.h>
#include <stddef.h>

/* The real allocator, for a test's own buffers that must not fail. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);

/* Makes the n-th allocation from now fail (1 = the next one); 0 makes
 * none fail. Clears what alloc_fail_fired reports. */
void alloc_fail_arm(int n);

/* Whether the armed allocation has failed since alloc_fail_arm. */
bool alloc_fail_fired(void);

/* Counts one allocation; true when it is the one to fail. For a hook in
 * another allocator (SQLite's) that should fail in the same sequence. */
bool alloc_fail_now(void);

/* Sends jansson's allocations through the wrapper (json_set_alloc_funcs). */
void alloc_fail_hook_jansson(void);

/* What alloc_fail_each accepts from a run in which an allocation failed,
 * besides -ENOMEM. */
enum {
	ALLOC_FAIL_EINVAL = 1u << 0,  /* -EINVAL (a decoder that reports it) */
	ALLOC_FAIL_SUCCESS = 1u << 1, /* 0: a library absorbed the failure */
	ALLOC_FAIL_ANY = 1u << 2,     /* any code: only no crash and no leak */
};

/* Runs op(arg) with allocation 1, 2, ... failing until a run in which no
 * allocation failed; that run must return 0. A run in which one failed
 * must return -ENOMEM or what `accept` allows, else the test fails naming
 * `what`. Prints the count and returns how many allocations op makes. */
int alloc_fail_each(const char *what, int (*op)(void *), void *arg, unsigned accept);

#endif
