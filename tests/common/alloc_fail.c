/* The counting allocation-failure harness (alloc_fail.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <jansson.h>

#include "alloc_fail.h"

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

static int fail_at; /* the allocation that fails (1 = next); 0 = none */
static bool fired;  /* set when it did */

void alloc_fail_arm(int n)
{
	fail_at = n;
	fired = false;
}

bool alloc_fail_fired(void)
{
	return fired;
}

bool alloc_fail_now(void)
{
	if (fail_at > 0 && --fail_at == 0) {
		fired = true;
		return true;
	}
	return false;
}

void *__wrap_malloc(size_t n)
{
	return alloc_fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	return alloc_fail_now() ? NULL : __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
	return alloc_fail_now() ? NULL : __real_realloc(p, n);
}

void alloc_fail_hook_jansson(void)
{
	json_set_alloc_funcs(__wrap_malloc, free);
}

static bool accepted(int r, unsigned accept)
{
	return r == -ENOMEM || (accept & ALLOC_FAIL_ANY) != 0 ||
	       (r == -EINVAL && (accept & ALLOC_FAIL_EINVAL) != 0) ||
	       (r == 0 && (accept & ALLOC_FAIL_SUCCESS) != 0);
}

int alloc_fail_each(const char *what, int (*op)(void *), void *arg, unsigned accept)
{
	int absorbed = 0;
	for (int n = 1; n < 100000; n++) {
		alloc_fail_arm(n);
		int r = op(arg);
		fail_at = 0;
		if (!fired) {
			assert_int_equal(r, 0);
			if (absorbed > 0)
				print_message("%s: %d allocations, each failed once (%d absorbed)\n",
				              what, n - 1, absorbed);
			else
				print_message("%s: %d allocations, each failed once\n", what, n - 1);
			return n - 1;
		}
		if (!accepted(r, accept))
			fail_msg("%s: allocation %d failed: got %d", what, n, r);
		if (r == 0)
			absorbed++;
	}
	fail_msg("%s: never finished", what);
	return 0;
}
