/* The sprintf builtin: Go's fmt.Sprintf as OPA calls it (strings group).
 *
 * OPA converts each array element: a number that parses as int64 becomes
 * an int, else one that parses as a decimal big integer a *big.Int, else
 * one that ParseFloat accepts a float64, else (e.g. 2e308) its text as a
 * string; strings stay strings; anything else becomes its Rego text
 * (Term.String()) as a string. The code below follows Go's fmt/print.go
 * and fmt/format.go (doPrintf, printArg, fmtInteger, fmtFloat, fmtString)
 * and big.Int.Format; floats are formatted by bi/ftoa.c, a port of
 * strconv.AppendFloat.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "../rctx.h"
#include "../utf8.h"
#include "strings_int.h"

enum gkind { GA_INT, GA_BIG, GA_FLT, GA_STR };

struct garg {
	enum gkind k;
	int64_t i;
	double f;
	const char *s; /* GA_STR text; GA_BIG decimal digits without sign */
	size_t n;
	bool neg;      /* GA_BIG */
};

struct gflags {
	bool wid_present, prec_present, minus, plus, sharp, space, zero, plusv, sharpv;
	int wid, prec;
};

struct pp {
	struct abuf *b;
	struct gflags f;
	const struct garg *args;
	size_t nargs;
	bool reordered, good_argnum;
};

#define GO_TOO_LARGE 1000000

static const char ldigits[] = "0123456789abcdefx";
static const char udigits[] = "0123456789ABCDEFX";

static const char *gtype_name(const struct garg *a)
{
	static const char *const names[] = {"int", "*big.Int", "float64", "string"};
	return names[a->k];
}

static void pp_rune(struct pp *p, uint32_t r) { abuf_rune(p->b, r); }

static void write_padding(struct pp *p, long n)
{
	if (n <= 0)
		return;
	abuf_fill(p->b, p->f.zero ? '0' : ' ', (size_t)n);
}

/* fmt.pad / padString: pads to the width counting runes. */
static void pad(struct pp *p, const char *s, size_t n)
{
	if (!p->f.wid_present || p->f.wid == 0) {
		abuf_add(p->b, s, n);
		return;
	}
	long w = (long)p->f.wid - (long)rutf8_count(s, n);
	if (!p->f.minus) {
		write_padding(p, w);
		abuf_add(p->b, s, n);
	} else {
		abuf_add(p->b, s, n);
		write_padding(p, w);
	}
}

/* Printable per Go's unicode.IsPrint (letters, marks, numbers,
 * punctuation, symbols and ASCII space): the C.UTF-8 locale minus spaces,
 * format and private-use characters. */
static bool go_isprint(uint32_t r)
{
	if (r < 0x20)
		return false;
	if (r < 0x7F)
		return true;
	if (r < 0xA1 || r == 0xAD)
		return false;
	if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF) || (r >= 0xE000 && r <= 0xF8FF) || r >= 0xE0000)
		return false;
	static const uint32_t np[][2] = {
	    {0x600, 0x605},     {0x61C, 0x61C},     {0x6DD, 0x6DD},     {0x70F, 0x70F},
	    {0x890, 0x891},     {0x8E2, 0x8E2},     {0x1680, 0x1680},   {0x180E, 0x180E},
	    {0x2000, 0x200F},   {0x2028, 0x202F},   {0x205F, 0x2064},   {0x2066, 0x206F},
	    {0x3000, 0x3000},   {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD},
	    {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
	};
	for (size_t i = 0; i < sizeof(np) / sizeof(np[0]); i++)
		if (r >= np[i][0] && r <= np[i][1])
			return false;
	locale_t loc = rstr_utf8_locale();
	return loc == (locale_t)0 || iswprint_l((wint_t)r, loc);
}

/* strconv appendEscapedRune */
static void esc_rune(struct abuf *b, uint32_t r, char quote, bool ascii_only)
{
	if (r == (uint32_t)quote || r == '\\') {
		abuf_addc(b, '\\');
		abuf_rune(b, r);
		return;
	}
	if (ascii_only ? (r < 0x80 && go_isprint(r)) : go_isprint(r)) {
		abuf_rune(b, r);
		return;
	}
	char t[16];
	switch (r) {
	case '\a': abuf_adds(b, "\\a"); return;
	case '\b': abuf_adds(b, "\\b"); return;
	case '\f': abuf_adds(b, "\\f"); return;
	case '\n': abuf_adds(b, "\\n"); return;
	case '\r': abuf_adds(b, "\\r"); return;
	case '\t': abuf_adds(b, "\\t"); return;
	case '\v': abuf_adds(b, "\\v"); return;
	default: break;
	}
	if (r < ' ' || r == 0x7F)
		snprintf(t, sizeof(t), "\\x%02x", (unsigned)r);
	else if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		snprintf(t, sizeof(t), "\\ufffd");
	else if (r < 0x10000)
		snprintf(t, sizeof(t), "\\u%04x", (unsigned)r);
	else
		snprintf(t, sizeof(t), "\\U%08x", (unsigned)r);
	abuf_adds(b, t);
}

/* strconv.Quote / QuoteToASCII */
static void go_quote(struct abuf *b, const char *s, size_t n, bool ascii_only)
{
	const unsigned char *u = (const unsigned char *)s;
	abuf_addc(b, '"');
	for (size_t i = 0; i < n;) {
		uint32_t r;
		size_t w = rutf8_decode(u + i, n - i, &r);
		if (w == 1 && r == RUTF8_ERROR) {
			char t[8];
			snprintf(t, sizeof(t), "\\x%02x", u[i]);
			abuf_adds(b, t);
		} else {
			esc_rune(b, r, '"', ascii_only);
		}
		i += w;
	}
	abuf_addc(b, '"');
}

static bool can_backquote(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		uint32_t r;
		size_t w = rutf8_decode(u + i, n - i, &r);
		i += w;
		if (w > 1) {
			if (r == 0xFEFF)
				return false;
			continue;
		}
		if (r == RUTF8_ERROR || (r < ' ' && r != '\t') || r == '`' || r == 0x7F)
			return false;
	}
	return true;
}

/* fmt.truncateString: at most prec runes. */
static size_t truncate_len(struct pp *p, const char *s, size_t n)
{
	if (!p->f.prec_present)
		return n;
	const unsigned char *u = (const unsigned char *)s;
	long left = p->f.prec;
	for (size_t i = 0; i < n;) {
		if (left-- <= 0)
			return i;
		uint32_t r;
		i += rutf8_decode(u + i, n - i, &r);
	}
	return n;
}

static void fmt_s(struct pp *p, const char *s, size_t n) { pad(p, s, truncate_len(p, s, n)); }

static void fmt_q(struct pp *p, const char *s, size_t n)
{
	n = truncate_len(p, s, n);
	struct abuf q;
	abuf_init(&q, p->b->a, n + 2, SIZE_MAX);
	if (p->f.sharp && can_backquote(s, n)) {
		abuf_addc(&q, '`');
		abuf_add(&q, s, n);
		abuf_addc(&q, '`');
	} else {
		go_quote(&q, s, n, p->f.plus);
	}
	if (q.err) {
		p->b->err = q.err;
		return;
	}
	pad(p, q.p, q.n);
}

/* fmt.fmtSbx for strings. */
static void fmt_sx(struct pp *p, const char *s, size_t n, const char *digits)
{
	size_t length = n;
	if (p->f.prec_present && (size_t)p->f.prec < length)
		length = (size_t)p->f.prec;
	size_t width = 2 * length;
	if (width > 0) {
		if (p->f.space) {
			if (p->f.sharp)
				width *= 2;
			width += length - 1;
		} else if (p->f.sharp) {
			width += 2;
		}
	} else {
		if (p->f.wid_present)
			write_padding(p, p->f.wid);
		return;
	}
	if (p->f.wid_present && (size_t)p->f.wid > width && !p->f.minus)
		write_padding(p, (long)((size_t)p->f.wid - width));
	if (p->f.sharp) {
		abuf_addc(p->b, '0');
		abuf_addc(p->b, digits[16]);
	}
	for (size_t i = 0; i < length; i++) {
		if (p->f.space && i > 0) {
			abuf_addc(p->b, ' ');
			if (p->f.sharp) {
				abuf_addc(p->b, '0');
				abuf_addc(p->b, digits[16]);
			}
		}
		unsigned char c = (unsigned char)s[i];
		abuf_addc(p->b, digits[c >> 4]);
		abuf_addc(p->b, digits[c & 0xF]);
	}
	if (p->f.wid_present && (size_t)p->f.wid > width && p->f.minus)
		write_padding(p, (long)((size_t)p->f.wid - width));
}

/* Writes [sign][prefix][zeros][digits] padded with spaces (the zero flag
 * was already turned into zeros), as fmt.fmtInteger / big.Int.Format. */
static void emit_number(struct pp *p, const char *sign, const char *prefix, size_t zeros,
                        const char *digits, size_t dn)
{
	size_t len = strlen(sign) + strlen(prefix) + zeros + dn;
	long padn = 0;
	if (p->f.wid_present && (size_t)p->f.wid > len)
		padn = (long)((size_t)p->f.wid - len);
	if (!p->f.minus)
		abuf_fill(p->b, ' ', (size_t)padn);
	abuf_adds(p->b, sign);
	abuf_adds(p->b, prefix);
	abuf_fill(p->b, '0', zeros);
	abuf_add(p->b, digits, dn);
	if (p->f.minus)
		abuf_fill(p->b, ' ', (size_t)padn);
}

/* fmt.fmtInteger */
static void fmt_integer(struct pp *p, uint64_t u, int base, bool is_signed, uint32_t verb,
                        const char *digits)
{
	bool negative = is_signed && (int64_t)u < 0;
	if (negative)
		u = 0 - u;
	long prec = 0;
	if (p->f.prec_present) {
		prec = p->f.prec;
		if (prec == 0 && u == 0) {
			bool oz = p->f.zero;
			p->f.zero = false;
			write_padding(p, p->f.wid_present ? p->f.wid : 0);
			p->f.zero = oz;
			return;
		}
	} else if (p->f.zero && p->f.wid_present) {
		prec = p->f.wid;
		if (negative || p->f.plus || p->f.space)
			prec--;
	}
	char tmp[72];
	size_t k = sizeof(tmp);
	do {
		tmp[--k] = digits[u % (unsigned)base];
		u /= (unsigned)base;
	} while (u);
	size_t dn = sizeof(tmp) - k;
	size_t zeros = prec > (long)dn ? (size_t)prec - dn : 0;
	const char *prefix = "";
	if (p->f.sharp) {
		if (base == 2)
			prefix = "0b";
		else if (base == 8 && zeros == 0 && tmp[k] != '0')
			prefix = "0";
		else if (base == 16)
			prefix = digits[16] == 'x' ? "0x" : "0X";
	}
	if (verb == 'O')
		prefix = p->f.sharp && base == 8 && zeros == 0 && tmp[k] != '0' ? "0o0" : "0o";
	const char *sign = negative ? "-" : p->f.plus ? "+" : p->f.space ? " " : "";
	emit_number(p, sign, prefix, zeros, tmp + k, dn);
}

/* fmt.fmtUnicode */
static void fmt_unicode(struct pp *p, uint64_t u)
{
	char hex[24];
	int k = snprintf(hex, sizeof(hex), "%llX", (unsigned long long)u);
	long prec = 4;
	if (p->f.prec_present && p->f.prec > 4)
		prec = p->f.prec;
	struct abuf t;
	abuf_init(&t, p->b->a, 32, SIZE_MAX);
	abuf_adds(&t, "U+");
	if (prec > k)
		abuf_fill(&t, '0', (size_t)(prec - k));
	abuf_add(&t, hex, (size_t)k);
	if (p->f.sharp && u <= 0x10FFFF && go_isprint((uint32_t)u)) {
		abuf_adds(&t, " '");
		abuf_rune(&t, (uint32_t)u);
		abuf_addc(&t, '\'');
	}
	if (t.err) {
		p->b->err = t.err;
		return;
	}
	bool oz = p->f.zero;
	p->f.zero = false;
	pad(p, t.p, t.n);
	p->f.zero = oz;
}

static void bad_verb(struct pp *p, const struct garg *a, uint32_t verb);

static void fmt_int_verb(struct pp *p, const struct garg *a, uint32_t verb)
{
	uint64_t v = (uint64_t)a->i;
	char e[16];
	switch (verb) {
	case 'v':
	case 'd':
		fmt_integer(p, v, 10, true, verb, ldigits);
		return;
	case 'b':
		fmt_integer(p, v, 2, true, verb, ldigits);
		return;
	case 'o':
	case 'O':
		fmt_integer(p, v, 8, true, verb, ldigits);
		return;
	case 'x':
		fmt_integer(p, v, 16, true, verb, ldigits);
		return;
	case 'X':
		fmt_integer(p, v, 16, true, verb, udigits);
		return;
	case 'c':
		pad(p, e, rutf8_encode(v > 0x10FFFF ? RUTF8_ERROR : (uint32_t)v, e));
		return;
	case 'q':
		if (v <= 0x10FFFF) {
			struct abuf q;
			abuf_init(&q, p->b->a, 16, SIZE_MAX);
			abuf_addc(&q, '\'');
			uint32_t r = (uint32_t)v;
			if (r >= 0xD800 && r <= 0xDFFF)
				r = RUTF8_ERROR;
			esc_rune(&q, r, '\'', p->f.plus);
			abuf_addc(&q, '\'');
			if (q.err)
				p->b->err = q.err;
			else
				pad(p, q.p, q.n);
			return;
		}
		break;
	case 'U':
		fmt_unicode(p, v);
		return;
	default:
		break;
	}
	bad_verb(p, a, verb);
}

/* fmt.fmtFloat */
static void fmt_float(struct pp *p, double v, char verb, int prec)
{
	if (p->f.prec_present)
		prec = p->f.prec;
	struct abuf nb;
	abuf_init(&nb, p->b->a, 40, SIZE_MAX);
	abuf_addc(&nb, '+');
	if (rstr_ftoa(&nb, v, verb, prec) < 0 || nb.err) {
		p->b->err = -ENOMEM;
		return;
	}
	char *num = nb.p;
	size_t n = nb.n;
	if (num[1] == '-' || num[1] == '+') {
		num++;
		n--;
	}
	if (p->f.space && num[0] == '+' && !p->f.plus)
		num[0] = ' ';
	if (num[1] == 'I' || num[1] == 'N') {
		bool oz = p->f.zero;
		p->f.zero = false;
		if (num[1] == 'N' && !p->f.space && !p->f.plus) {
			num++;
			n--;
		}
		pad(p, num, n);
		p->f.zero = oz;
		return;
	}
	if (p->f.sharp && verb != 'b') {
		int digits = 0;
		if (verb == 'v' || verb == 'g' || verb == 'G' || verb == 'x')
			digits = prec == -1 ? 6 : prec;
		char tail[16];
		size_t tl = 0;
		bool has_point = false, nonzero = false;
		for (size_t i = 1; i < n; i++) {
			char c = num[i];
			if (c == '.') {
				has_point = true;
			} else if (c == 'p' || c == 'P' || ((c == 'e' || c == 'E') && verb != 'x' && verb != 'X')) {
				tl = n - i < sizeof(tail) ? n - i : sizeof(tail);
				memcpy(tail, num + i, tl);
				n = i;
				break;
			} else {
				if (c != '0')
					nonzero = true;
				if (nonzero)
					digits--;
			}
		}
		struct abuf nb2;
		abuf_init(&nb2, p->b->a, n + 16, SIZE_MAX);
		abuf_add(&nb2, num, n);
		if (!has_point) {
			if (n == 2 && num[1] == '0')
				digits--;
			abuf_addc(&nb2, '.');
		}
		if (digits > 0)
			abuf_fill(&nb2, '0', (size_t)digits);
		abuf_add(&nb2, tail, tl);
		if (nb2.err) {
			p->b->err = nb2.err;
			return;
		}
		num = nb2.p;
		n = nb2.n;
	}
	if (p->f.plus || num[0] != '+') {
		if (p->f.zero && !p->f.minus && p->f.wid_present && (size_t)p->f.wid > n) {
			abuf_addc(p->b, num[0]);
			write_padding(p, (long)((size_t)p->f.wid - n));
			abuf_add(p->b, num + 1, n - 1);
			return;
		}
		pad(p, num, n);
		return;
	}
	pad(p, num + 1, n - 1);
}

static void fmt_float_verb(struct pp *p, const struct garg *a, uint32_t verb)
{
	switch (verb) {
	case 'v':
		fmt_float(p, a->f, 'g', -1);
		return;
	case 'b':
	case 'g':
	case 'G':
	case 'x':
	case 'X':
		fmt_float(p, a->f, (char)verb, -1);
		return;
	case 'f':
	case 'e':
	case 'E':
		fmt_float(p, a->f, (char)verb, 6);
		return;
	case 'F':
		fmt_float(p, a->f, 'f', 6);
		return;
	default:
		bad_verb(p, a, verb);
	}
}

static void fmt_string_verb(struct pp *p, const struct garg *a, uint32_t verb)
{
	switch (verb) {
	case 'v':
		if (p->f.sharpv)
			fmt_q(p, a->s, a->n);
		else
			fmt_s(p, a->s, a->n);
		return;
	case 's':
		fmt_s(p, a->s, a->n);
		return;
	case 'x':
		fmt_sx(p, a->s, a->n, ldigits);
		return;
	case 'X':
		fmt_sx(p, a->s, a->n, udigits);
		return;
	case 'q':
		fmt_q(p, a->s, a->n);
		return;
	default:
		bad_verb(p, a, verb);
	}
}

/* big.Int.Format */
static void fmt_big(struct pp *p, const struct garg *a, uint32_t verb)
{
	int base;
	switch (verb) {
	case 'b': base = 2; break;
	case 'o': case 'O': base = 8; break;
	case 'd': case 's': case 'v': base = 10; break;
	case 'x': case 'X': base = 16; break;
	default:
		abuf_adds(p->b, "%!");
		pp_rune(p, verb);
		abuf_adds(p->b, "(big.Int=");
		if (a->neg)
			abuf_addc(p->b, '-');
		abuf_add(p->b, a->s, a->n);
		abuf_addc(p->b, ')');
		return;
	}
	bool plus = p->f.plus || p->f.plusv, sharp = p->f.sharp || p->f.sharpv;
	const char *sign = a->neg ? "-" : plus ? "+" : p->f.space ? " " : "";
	const char *prefix = "";
	if (sharp) {
		if (verb == 'b')
			prefix = "0b";
		else if (verb == 'o')
			prefix = "0";
		else if (verb == 'x')
			prefix = "0x";
		else if (verb == 'X')
			prefix = "0X";
	}
	if (verb == 'O')
		prefix = "0o";
	struct abuf d;
	abuf_init(&d, p->b->a, a->n + 8, SIZE_MAX);
	if (base == 10) {
		abuf_add(&d, a->s, a->n);
	} else {
		BIGNUM *bn = NULL;
		char *txt = rarena_strndup(p->b->a, a->s, a->n);
		if (txt == NULL || BN_dec2bn(&bn, txt) == 0) {
			p->b->err = -ENOMEM;
			return;
		}
		rstr_big_digits(bn, base, verb == 'X', &d);
		BN_free(bn);
	}
	if (d.err) {
		p->b->err = d.err;
		return;
	}
	size_t zeros = 0;
	if (p->f.prec_present) {
		if (d.n < (size_t)p->f.prec)
			zeros = (size_t)p->f.prec - d.n;
		else if (d.n == 1 && d.p[0] == '0' && p->f.prec == 0)
			return;
	}
	size_t length = strlen(sign) + strlen(prefix) + zeros + d.n;
	if (p->f.wid_present && length < (size_t)p->f.wid) {
		size_t dd = (size_t)p->f.wid - length;
		if (p->f.minus) {
			abuf_adds(p->b, sign);
			abuf_adds(p->b, prefix);
			abuf_fill(p->b, '0', zeros);
			abuf_add(p->b, d.p, d.n);
			abuf_fill(p->b, ' ', dd);
			return;
		}
		if (p->f.zero && !p->f.prec_present)
			zeros += dd;
		else
			abuf_fill(p->b, ' ', dd);
	}
	abuf_adds(p->b, sign);
	abuf_adds(p->b, prefix);
	abuf_fill(p->b, '0', zeros);
	abuf_add(p->b, d.p, d.n);
}

static void print_arg(struct pp *p, const struct garg *a, uint32_t verb)
{
	if (verb == 'T') {
		const char *t = gtype_name(a);
		fmt_s(p, t, strlen(t));
		return;
	}
	if (verb == 'p') {
		/* Go prints an address for *big.Int; nothing stable to mimic. */
		bad_verb(p, a, verb);
		return;
	}
	switch (a->k) {
	case GA_INT:
		fmt_int_verb(p, a, verb);
		return;
	case GA_FLT:
		fmt_float_verb(p, a, verb);
		return;
	case GA_STR:
		fmt_string_verb(p, a, verb);
		return;
	case GA_BIG:
		fmt_big(p, a, verb);
		return;
	}
}

static void bad_verb(struct pp *p, const struct garg *a, uint32_t verb)
{
	abuf_adds(p->b, "%!");
	pp_rune(p, verb);
	abuf_addc(p->b, '(');
	abuf_adds(p->b, gtype_name(a));
	abuf_addc(p->b, '=');
	print_arg(p, a, 'v');
	abuf_addc(p->b, ')');
}

static void clear_flags(struct gflags *f) { memset(f, 0, sizeof(*f)); }

/* fmt parsenum: digits at s[start, end). */
static int parsenum(const char *s, size_t start, size_t end, bool *isnum, size_t *newi)
{
	int num = 0;
	*isnum = false;
	if (start >= end) {
		*newi = end;
		return 0;
	}
	size_t i;
	for (i = start; i < end && s[i] >= '0' && s[i] <= '9'; i++) {
		if (num > GO_TOO_LARGE || num < -GO_TOO_LARGE) {
			*isnum = false;
			*newi = end;
			return 0;
		}
		num = num * 10 + (s[i] - '0');
		*isnum = true;
	}
	*newi = i;
	return num;
}

/* fmt argNumber: an explicit "[n]" argument index at fmt[*i]. */
static size_t arg_number(struct pp *p, size_t argnum, const char *fmt, size_t end, size_t *i, bool *found)
{
	*found = false;
	if (*i >= end || fmt[*i] != '[')
		return argnum;
	p->reordered = true;
	const char *s = fmt + *i;
	size_t n = end - *i;
	size_t wid = 1;
	bool ok = false;
	int index = 0;
	if (n >= 3) {
		for (size_t j = 1; j < n; j++) {
			if (s[j] != ']')
				continue;
			bool isnum;
			size_t newi;
			int w = parsenum(s, 1, j, &isnum, &newi);
			wid = j + 1;
			if (isnum && newi == j) {
				ok = true;
				index = w - 1;
			}
			break;
		}
	}
	*i += wid;
	if (ok && index >= 0 && (size_t)index < p->nargs) {
		*found = true;
		return (size_t)index;
	}
	p->good_argnum = false;
	*found = ok;
	return argnum;
}

/* fmt intFromArg */
static int int_from_arg(struct pp *p, size_t *argnum, bool *isint)
{
	*isint = false;
	if (*argnum >= p->nargs)
		return 0;
	const struct garg *a = &p->args[*argnum];
	(*argnum)++;
	if (a->k != GA_INT || a->i > GO_TOO_LARGE || a->i < -GO_TOO_LARGE)
		return 0;
	*isint = true;
	return (int)a->i;
}

/* The flags after '%'. Returns true when Go's fast path applied (a
 * lower-case verb right after the flags, with an argument left): the verb
 * has then been printed. */
static bool printf_flags(struct pp *p, const char *fmt, size_t end, size_t *i, size_t *argnum)
{
	for (; *i < end; (*i)++) {
		char c = fmt[*i];
		if (c == '#') {
			p->f.sharp = true;
		} else if (c == '0') {
			p->f.zero = !p->f.minus;
		} else if (c == '+') {
			p->f.plus = true;
		} else if (c == '-') {
			p->f.minus = true;
			p->f.zero = false;
		} else if (c == ' ') {
			p->f.space = true;
		} else {
			if (c < 'a' || c > 'z' || *argnum >= p->nargs)
				return false;
			if (c == 'v') {
				p->f.sharpv = p->f.sharp;
				p->f.sharp = false;
				p->f.plusv = p->f.plus;
				p->f.plus = false;
			}
			print_arg(p, &p->args[(*argnum)++], (uint32_t)c);
			(*i)++;
			return true;
		}
	}
	return false;
}

/* Width and precision, each a number, '*' or after an "[n]" index. */
static void printf_width_prec(struct pp *p, const char *fmt, size_t end, size_t *i, size_t *argnum,
                              bool *after_index)
{
	*argnum = arg_number(p, *argnum, fmt, end, i, after_index);
	if (*i < end && fmt[*i] == '*') {
		(*i)++;
		p->f.wid = int_from_arg(p, argnum, &p->f.wid_present);
		if (!p->f.wid_present)
			abuf_adds(p->b, "%!(BADWIDTH)");
		if (p->f.wid < 0) {
			p->f.wid = -p->f.wid;
			p->f.minus = true;
			p->f.zero = false;
		}
		*after_index = false;
	} else {
		p->f.wid = parsenum(fmt, *i, end, &p->f.wid_present, i);
		if (*after_index && p->f.wid_present)
			p->good_argnum = false;
	}
	if (*i + 1 < end && fmt[*i] == '.') {
		(*i)++;
		if (*after_index)
			p->good_argnum = false;
		*argnum = arg_number(p, *argnum, fmt, end, i, after_index);
		if (*i < end && fmt[*i] == '*') {
			(*i)++;
			p->f.prec = int_from_arg(p, argnum, &p->f.prec_present);
			if (p->f.prec < 0) {
				p->f.prec = 0;
				p->f.prec_present = false;
			}
			if (!p->f.prec_present)
				abuf_adds(p->b, "%!(BADPREC)");
			*after_index = false;
		} else {
			p->f.prec = parsenum(fmt, *i, end, &p->f.prec_present, i);
			if (!p->f.prec_present) {
				p->f.prec = 0;
				p->f.prec_present = true;
			}
		}
	}
	if (!*after_index)
		*argnum = arg_number(p, *argnum, fmt, end, i, after_index);
}

static void printf_verb(struct pp *p, uint32_t verb, size_t *argnum)
{
	if (verb == '%') {
		abuf_addc(p->b, '%'); /* takes no operand, ignores width and precision */
	} else if (!p->good_argnum) {
		abuf_adds(p->b, "%!");
		pp_rune(p, verb);
		abuf_adds(p->b, "(BADINDEX)");
	} else if (*argnum >= p->nargs) {
		abuf_adds(p->b, "%!");
		pp_rune(p, verb);
		abuf_adds(p->b, "(MISSING)");
	} else {
		if (verb == 'v') {
			p->f.sharpv = p->f.sharp;
			p->f.sharp = false;
			p->f.plusv = p->f.plus;
			p->f.plus = false;
		}
		print_arg(p, &p->args[(*argnum)++], verb);
	}
}

/* fmt doPrintf */
static void do_printf(struct pp *p, const char *fmt, size_t end)
{
	size_t argnum = 0;
	bool after_index = false;
	p->reordered = false;
	for (size_t i = 0; i < end && p->b->err == 0;) {
		p->good_argnum = true;
		size_t lasti = i;
		while (i < end && fmt[i] != '%')
			i++;
		if (i > lasti)
			abuf_add(p->b, fmt + lasti, i - lasti);
		if (i >= end)
			break;
		i++;
		clear_flags(&p->f);
		if (printf_flags(p, fmt, end, &i, &argnum))
			continue;
		printf_width_prec(p, fmt, end, &i, &argnum, &after_index);
		if (i >= end) {
			abuf_adds(p->b, "%!(NOVERB)");
			break;
		}
		uint32_t verb;
		i += rutf8_decode((const unsigned char *)fmt + i, end - i, &verb);
		printf_verb(p, verb, &argnum);
	}
	/* Unused operands, unless an explicit index was used. */
	if (!p->reordered && argnum < p->nargs) {
		clear_flags(&p->f);
		abuf_adds(p->b, "%!(EXTRA ");
		for (size_t k = argnum; k < p->nargs; k++) {
			if (k > argnum)
				abuf_adds(p->b, ", ");
			abuf_adds(p->b, gtype_name(&p->args[k]));
			abuf_addc(p->b, '=');
			print_arg(p, &p->args[k], 'v');
		}
		abuf_addc(p->b, ')');
	}
}

/* Decimal integer text (optional '-', digits): fits big.Int SetString. */
static bool is_dec_int(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	if (i >= n)
		return false;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* OPA's conversion of one sprintf operand (see the section comment). */
static int to_garg(rctx *cx, const rv *x, struct garg *g)
{
	rarena *a = rctx_arena(cx);
	memset(g, 0, sizeof(*g));
	if (x->t == RV_STR) {
		g->k = GA_STR;
		g->s = x->u.s.p;
		g->n = x->u.s.n;
		return 0;
	}
	if (x->t == RV_NUM) {
		if (x->nk == RN_INT) {
			g->k = GA_INT;
			g->i = x->u.i;
			return 0;
		}
		if (x->nk == RN_BIG) {
			g->k = GA_BIG;
			g->neg = x->u.s.p[0] == '-';
			g->s = x->u.s.p + (g->neg ? 1 : 0);
			g->n = x->u.s.n - (g->neg ? 1 : 0);
			return 0;
		}
		if (x->u.fl.txt == NULL) {
			g->k = GA_FLT;
			g->f = (double)x->u.fl.f;
			return 0;
		}
		const char *t = x->u.fl.txt;
		size_t tn = x->u.fl.txtlen;
		if (is_dec_int(t, tn)) {
			/* The literal -0 keeps its text; like any int64 text it is
			 * an int for OPA (json.Number.Int64), so 0. */
			char *z = rarena_strndup(a, t, tn);
			if (z == NULL)
				return -ENOMEM;
			char *end = NULL;
			errno = 0;
			long long v = strtoll(z, &end, 10);
			if (errno == 0 && end && *end == '\0') {
				g->k = GA_INT;
				g->i = v;
				return 0;
			}
			g->k = GA_BIG;
			g->neg = t[0] == '-';
			g->s = t + (t[0] == '-' || t[0] == '+');
			g->n = tn - (size_t)(t[0] == '-' || t[0] == '+');
			return 0;
		}
		char *z = rarena_strndup(a, t, tn);
		if (z == NULL)
			return -ENOMEM;
		double d = strtod(z, NULL);
		if (isinf(d)) {
			g->k = GA_STR;
			g->s = t;
			g->n = tn;
		} else {
			g->k = GA_FLT;
			g->f = d;
		}
		return 0;
	}
	cc_buf tb;
	cc_buf_init(&tb, STR_MAX);
	int r = rv_to_rego(x, &tb);
	if (r == 0) {
		g->k = GA_STR;
		g->s = rarena_strndup(a, tb.p ? tb.p : "", tb.len);
		g->n = tb.len;
		if (g->s == NULL)
			r = -ENOMEM;
	}
	cc_buf_free(&tb);
	return r;
}

int rstr_sprintf(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *fmt;
	size_t fn;
	int r = rbi_arg_str(cx, args, 0, &fmt, &fn);
	if (r < 0)
		return r;
	if ((r = rbi_arg_type(cx, args, 1, RT_ARR)) < 0)
		return r;
	const rv *arr = args[1];
	size_t na = arr->u.a.n;
	struct garg *ga = rarena_nalloc(rctx_arena(cx), na ? na : 1, sizeof(*ga));
	if (ga == NULL)
		return rbi_oom(cx);
	for (size_t i = 0; i < na; i++)
		if (to_garg(cx, arr->u.a.v[i], &ga[i]) < 0)
			return rbi_oom(cx);
	struct abuf b;
	abuf_init(&b, rctx_arena(cx), fn + 16, STR_MAX);
	struct pp p = {.b = &b, .args = ga, .nargs = na};
	do_printf(&p, fmt, fn);
	return abuf_finish(cx, &b, ret);
}
