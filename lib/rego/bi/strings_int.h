/* Shared by the files of the strings builtin group (bi/strings.c, the
 * group table; bi/sprintf.c; bi/ftoa.c): internal. */
#ifndef COCOON_REGO_BI_STRINGS_INT_H
#define COCOON_REGO_BI_STRINGS_INT_H

#include <locale.h>

#include <openssl/bn.h>

#include "abuf.h"
#include "cocoon/limits.h"

/* Results that can grow beyond their input (concat, replace, sprintf, ...)
 * are capped at this many bytes; element counts likewise (limits.h). */
#define STR_MAX ((size_t)CC_REGO_MAX_BUILTIN_ELEMS)

/* strings.c: the C.UTF-8 locale (Unicode case mappings and printability),
 * or (locale_t)0 if unavailable. */
locale_t rstr_utf8_locale(void);
/* strings.c: appends |x| in base 2, 8, 10 or 16 (lower or upper case). */
void rstr_big_digits(const BIGNUM *x, int base, bool upper, struct abuf *b);

/* sprintf.c: the sprintf builtin (Go's fmt.Sprintf as OPA calls it). */
int rstr_sprintf(rctx *cx, const rv *const *args, const rv **ret);

/* ftoa.c: appends v as strconv.AppendFloat(v, fmt, prec, 64) does (fmt is
 * one of b e E f g G x X; prec < 0 is the shortest round-trip form).
 * 0 or -ENOMEM. */
int rstr_ftoa(struct abuf *b, double v, char fmt, int prec);

#endif
