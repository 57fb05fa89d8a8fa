/* The C locale for number parsing and printing (include/cocoon/clocale.h). */
#include "cocoon/clocale.h"

#include <pthread.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static locale_t c_locale; /* written once under pthread_once, then read-only */

static void make_c_locale(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

locale_t cc_locale_enter(void)
{
	pthread_once(&once, make_c_locale);
	/* Without a C locale (out of memory) the thread keeps its own. */
	return c_locale ? uselocale(c_locale) : (locale_t)0;
}

void cc_locale_leave(locale_t old)
{
	if (old)
		uselocale(old);
}
