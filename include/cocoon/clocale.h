/* The C locale for number parsing and printing inside libraries.
 *
 * strtod, strtold and printf's %f/%e/%g follow LC_NUMERIC: if a program
 * embedding a library calls setlocale(LC_ALL, "") under a locale with a
 * decimal comma, "1.5" would read as 1. Library entry points that parse or
 * print numbers switch the calling thread to the C locale for their
 * duration (uselocale is per thread) and switch back on return. */
#ifndef COCOON_CLOCALE_H
#define COCOON_CLOCALE_H

#include <locale.h>

/* The calling thread's previous locale, to pass to cc_locale_leave(); the
 * C locale is created once per process (write-once, then read-only). */
locale_t cc_locale_enter(void);
void cc_locale_leave(locale_t old);

#endif
