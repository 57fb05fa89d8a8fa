/* Regular-expression builtins (OPA v1/topdown/regex.go, regex_template.go):
 * regex.match, regex.is_valid, regex.find_n,
 * regex.find_all_string_submatch_n, regex.replace, regex.split,
 * regex.template_match, regex.globs_match.
 *
 * OPA uses Go's regexp package (RE2 syntax, leftmost-first matching). We
 * parse the Go syntax ourselves (rejecting what RE2 rejects, with Go's
 * error texts) and emit an equivalent PCRE2 pattern: every literal is
 * escaped, \s is spelled out (Go's \s has no \v), classes are explicit,
 * named groups become plain groups (names are kept here for "${name}").
 * PCRE2 runs in UTF mode with '$' only at the very end
 * (PCRE2_DOLLAR_ENDONLY, as Go) and (?m)^ after a final newline
 * (PCRE2_ALT_CIRCUMFLEX, as Go); subjects with invalid UTF-8 are matched
 * with each bad byte read as U+FFFD, as Go reads them. Go's match iteration
 * (FindAll, ReplaceAll, Split, Expand) is reproduced on top.
 *
 * Compiled patterns are cached per engine (RBI_STATE_REGEX): an LRU table
 * of RE_CACHE_MAX entries guarded by a mutex; entries are reference
 * counted so an eviction never frees a pattern another thread is using.
 * Unlike Go, PCRE2 backtracks: a match that exceeds PCRE2's match limit
 * fails with a builtin error instead of running for a very long time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "../rctx.h"
#include "../utf8.h"
#include "abuf.h"
#include "cocoon/limits.h"

#define RE_CACHE_MAX 256
#define RE_CACHE_BUCKETS 512
#define RE_MAX_DEPTH 1000   /* Go: maxHeight */
#define RE_MAX_REPEAT 1000  /* Go: repeat counts and nested products */
#define OUT_MAX ((size_t)CC_REGO_MAX_BUILTIN_ELEMS)

/* ---- runes ------------------------------------------------------------ */

static bool is_letter_or_digit(uint32_t r)
{
	if (r < 0x80)
		return (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
	/* Go uses unicode.IsLetter/IsDigit; treat non-ASCII runes outside
	 * the common punctuation and space blocks as letters. */
	return !(r <= 0xBF || (r >= 0x2000 && r <= 0x206F) || (r >= 0x3000 && r <= 0x303F) ||
	         r == RUTF8_ERROR);
}

/* ====================================================================
 * Go (RE2) syntax -> PCRE2 pattern
 * ==================================================================== */

struct trgroup {
	size_t out_start;  /* offset of this group's "(" in the output */
	uint32_t weight;   /* largest nested repeat product inside */
	bool capture;
};

struct tr {
	const char *s; /* the Go pattern */
	size_t n;
	size_t i;
	cc_buf out;
	struct trgroup *grp;
	int depth;
	long atom;          /* output offset of the last repeatable item, -1: none */
	bool atom_assert;   /* that item is an empty-width assertion */
	uint32_t atom_weight;
	size_t last_rep;    /* pattern offset of the previous repetition operator, or SIZE_MAX */
	uint32_t ncap;
	char **names;       /* names[k] for group k (1-based), NULL if unnamed */
	size_t names_cap;
	char *err;          /* Go-style message (malloc) */
	bool oom;
};

static int tr_err(struct tr *t, const char *code, size_t from, size_t to)
{
	if (t->err == NULL) {
		if (asprintf(&t->err, "error parsing regexp: %s: `%.*s`", code, (int)(to - from), t->s + from) < 0) {
			t->err = NULL;
			t->oom = true;
		}
	}
	return -EINVAL;
}

static int tr_add(struct tr *t, const char *p, size_t n)
{
	if (cc_buf_add(&t->out, p, n) < 0) {
		t->oom = true;
		return -ENOMEM;
	}
	return 0;
}

static int tr_adds(struct tr *t, const char *p) { return tr_add(t, p, strlen(p)); }

static int tr_hex(struct tr *t, uint32_t r)
{
	char b[16];
	int k = snprintf(b, sizeof(b), "\\x{%x}", (unsigned)r);
	return tr_add(t, b, (size_t)k);
}

/* A literal rune, escaped so PCRE2 can only read it as itself. */
static int tr_lit(struct tr *t, uint32_t r)
{
	if (r < 0x80) {
		if ((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r == '_') {
			char c = (char)r;
			return tr_add(t, &c, 1);
		}
		return tr_hex(t, r);
	}
	return tr_hex(t, r);
}

/* Decodes the rune at s[at]; invalid UTF-8 is a Go parse error. */
static int tr_rune(struct tr *t, size_t at, uint32_t *r, size_t *w)
{
	*w = rutf8_decode((const unsigned char *)t->s + at, t->n - at, r);
	if (*w == 1 && *r == RUTF8_ERROR)
		return tr_err(t, "invalid UTF-8", at, t->n);
	return 0;
}

static int unhex(uint32_t c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (int)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (int)(c - 'A' + 10);
	return -1;
}

/* Go parseEscape: the escape at s[at] ('\\') as one rune. */
static int parse_escape(struct tr *t, size_t at, uint32_t *out, size_t *end)
{
	size_t i = at + 1;
	if (i >= t->n)
		return tr_err(t, "trailing backslash at end of expression", at, at);
	uint32_t c;
	size_t w;
	int r = tr_rune(t, i, &c, &w);
	if (r < 0)
		return r;
	i += w;
	if (c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
		*out = c;
		*end = i;
		return 0;
	}
	switch (c) {
	case '1': case '2': case '3': case '4': case '5': case '6': case '7':
		if (i >= t->n || t->s[i] < '0' || t->s[i] > '7')
			break;
		__attribute__((fallthrough));
	case '0': {
		uint32_t v = c - '0';
		for (int k = 1; k < 3 && i < t->n && t->s[i] >= '0' && t->s[i] <= '7'; k++)
			v = v * 8 + (uint32_t)(t->s[i++] - '0');
		*out = v;
		*end = i;
		return 0;
	}
	case 'x': {
		if (i >= t->n)
			break;
		if ((r = tr_rune(t, i, &c, &w)) < 0)
			return r;
		i += w;
		if (c == '{') {
			uint32_t v = 0;
			int nhex = 0;
			for (;;) {
				if (i >= t->n)
					return tr_err(t, "invalid escape sequence", at, i);
				if ((r = tr_rune(t, i, &c, &w)) < 0)
					return r;
				i += w;
				if (c == '}')
					break;
				int h = unhex(c);
				if (h < 0)
					return tr_err(t, "invalid escape sequence", at, i);
				v = v * 16 + (uint32_t)h;
				if (v > 0x10FFFF)
					return tr_err(t, "invalid escape sequence", at, i);
				nhex++;
			}
			if (nhex == 0)
				return tr_err(t, "invalid escape sequence", at, i);
			*out = v;
			*end = i;
			return 0;
		}
		int x = unhex(c);
		if (i >= t->n)
			return tr_err(t, "invalid escape sequence", at, i);
		if ((r = tr_rune(t, i, &c, &w)) < 0)
			return r;
		i += w;
		int y = unhex(c);
		if (x < 0 || y < 0)
			break;
		*out = (uint32_t)(x * 16 + y);
		*end = i;
		return 0;
	}
	case 'a': *out = '\a'; *end = i; return 0;
	case 'f': *out = '\f'; *end = i; return 0;
	case 'n': *out = '\n'; *end = i; return 0;
	case 'r': *out = '\r'; *end = i; return 0;
	case 't': *out = '\t'; *end = i; return 0;
	case 'v': *out = '\v'; *end = i; return 0;
	default:
		break;
	}
	return tr_err(t, "invalid escape sequence", at, i);
}

/* \d \D \s \S \w \W at s[at]; emits and returns true if it is one.
 * All are spelled out as ASCII ranges: Go's \s has no \v, and PCRE2
 * 10.42's JIT mis-handles \D/\W on multibyte characters when invalid
 * UTF-8 is allowed. */
static bool perl_class(struct tr *t, size_t at, bool in_class, size_t *end)
{
	static const char *const pos[] = {"0-9", "\\x{9}\\x{a}\\x{c}\\x{d}\\x{20}", "0-9A-Za-z_"};
	static const char *const neg[] = {
	    "\\x{0}-\\x{2f}\\x{3a}-\\x{10ffff}",
	    "\\x{0}-\\x{8}\\x{b}\\x{e}-\\x{1f}\\x{21}-\\x{10ffff}",
	    "\\x{0}-\\x{2f}\\x{3a}-\\x{40}\\x{5b}-\\x{5e}\\x{60}\\x{7b}-\\x{10ffff}",
	};
	if (at + 1 >= t->n || t->s[at] != '\\')
		return false;
	const char *cls = strchr("dDsSwW", t->s[at + 1]);
	if (cls == NULL || t->s[at + 1] == '\0')
		return false;
	size_t k = (size_t)(cls - "dDsSwW");
	const char *body = (k & 1) ? neg[k / 2] : pos[k / 2];
	if (!in_class)
		tr_adds(t, "[");
	tr_adds(t, body);
	if (!in_class)
		tr_adds(t, "]");
	*end = at + 2;
	return true;
}

/* Unicode class names Go's regexp knows: general categories, Any, and
 * unicode.Scripts (Go 1.21 tables). */
static const char *const go_uclass_names[] = {
	"C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N",
	"Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So",
	"Z", "Zl", "Zp", "Zs", "Any", "Adlam", "Ahom", "Anatolian_Hieroglyphs", "Arabic", "Armenian",
	"Avestan", "Balinese", "Bamum", "Bassa_Vah", "Batak", "Bengali", "Bhaiksuki", "Bopomofo",
	"Brahmi", "Braille", "Buginese", "Buhid", "Canadian_Aboriginal", "Carian",
	"Caucasian_Albanian", "Chakma", "Cham", "Cherokee", "Chorasmian", "Common", "Coptic",
	"Cuneiform", "Cypriot", "Cypro_Minoan", "Cyrillic", "Deseret", "Devanagari", "Dives_Akuru",
	"Dogra", "Duployan", "Egyptian_Hieroglyphs", "Elbasan", "Elymaic", "Ethiopic", "Georgian",
	"Glagolitic", "Gothic", "Grantha", "Greek", "Gujarati", "Gunjala_Gondi", "Gurmukhi", "Han",
	"Hangul", "Hanifi_Rohingya", "Hanunoo", "Hatran", "Hebrew", "Hiragana", "Imperial_Aramaic",
	"Inherited", "Inscriptional_Pahlavi", "Inscriptional_Parthian", "Javanese", "Kaithi",
	"Kannada", "Katakana", "Kawi", "Kayah_Li", "Kharoshthi", "Khitan_Small_Script", "Khmer",
	"Khojki", "Khudawadi", "Lao", "Latin", "Lepcha", "Limbu", "Linear_A", "Linear_B", "Lisu",
	"Lycian", "Lydian", "Mahajani", "Makasar", "Malayalam", "Mandaic", "Manichaean", "Marchen",
	"Masaram_Gondi", "Medefaidrin", "Meetei_Mayek", "Mende_Kikakui", "Meroitic_Cursive",
	"Meroitic_Hieroglyphs", "Miao", "Modi", "Mongolian", "Mro", "Multani", "Myanmar", "Nabataean",
	"Nag_Mundari", "Nandinagari", "New_Tai_Lue", "Newa", "Nko", "Nushu", "Nyiakeng_Puachue_Hmong",
	"Ogham", "Ol_Chiki", "Old_Hungarian", "Old_Italic", "Old_North_Arabian", "Old_Permic",
	"Old_Persian", "Old_Sogdian", "Old_South_Arabian", "Old_Turkic", "Old_Uyghur", "Oriya",
	"Osage", "Osmanya", "Pahawh_Hmong", "Palmyrene", "Pau_Cin_Hau", "Phags_Pa", "Phoenician",
	"Psalter_Pahlavi", "Rejang", "Runic", "Samaritan", "Saurashtra", "Sharada", "Shavian",
	"Siddham", "SignWriting", "Sinhala", "Sogdian", "Sora_Sompeng", "Soyombo", "Sundanese",
	"Syloti_Nagri", "Syriac", "Tagalog", "Tagbanwa", "Tai_Le", "Tai_Tham", "Tai_Viet", "Takri",
	"Tamil", "Tangsa", "Tangut", "Telugu", "Thaana", "Thai", "Tibetan", "Tifinagh", "Tirhuta",
	"Toto", "Ugaritic", "Vai", "Vithkuqi", "Wancho", "Warang_Citi", "Yezidi", "Yi",
	"Zanabazar_Square",
};

static bool plausible_uname(const char *p, size_t n)
{
	for (size_t i = 0; i < sizeof(go_uclass_names) / sizeof(go_uclass_names[0]); i++)
		if (strlen(go_uclass_names[i]) == n && memcmp(go_uclass_names[i], p, n) == 0)
			return true;
	return false;
}

/* Go parseUnicodeClass: \pL, \p{Name}, \p{^Name}, \P... at s[at]. */
static int unicode_class(struct tr *t, size_t at, size_t *end, bool *found)
{
	*found = false;
	if (at + 1 >= t->n || t->s[at] != '\\' || (t->s[at + 1] != 'p' && t->s[at + 1] != 'P'))
		return 0;
	bool neg = t->s[at + 1] == 'P';
	size_t i = at + 2;
	if (i >= t->n)
		return tr_err(t, "invalid character class range", at, t->n);
	uint32_t c;
	size_t w;
	int r = tr_rune(t, i, &c, &w);
	if (r < 0)
		return r;
	const char *name;
	size_t nn, seq_end;
	if (c != '{') {
		name = t->s + i;
		nn = w;
		seq_end = i + w;
	} else {
		const char *close = memchr(t->s + i, '}', t->n - i);
		if (close == NULL)
			return tr_err(t, "invalid character class range", at, t->n);
		seq_end = (size_t)(close - t->s) + 1;
		name = t->s + i + 1;
		nn = (size_t)(close - name);
	}
	if (nn > 0 && name[0] == '^') {
		neg = !neg;
		name++;
		nn--;
	}
	if (!plausible_uname(name, nn))
		return tr_err(t, "invalid character class range", at, seq_end);
	tr_adds(t, neg ? "\\P{" : "\\p{");
	tr_add(t, name, nn);
	tr_adds(t, "}");
	*end = seq_end;
	*found = true;
	return 0;
}

/* Go parseNamedClass: [:alpha:] and [:^alpha:] inside a class. */
static int posix_class(struct tr *t, size_t at, size_t *end, bool *found)
{
	static const char *const names[] = {"alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph",
	                                     "lower", "print", "punct", "space", "upper", "word", "xdigit"};
	*found = false;
	if (at + 2 >= t->n || t->s[at] != '[' || t->s[at + 1] != ':')
		return 0;
	const char *p = t->s + at + 2;
	size_t rest = t->n - at - 2;
	const char *close = NULL;
	for (size_t k = 0; k + 1 < rest; k++)
		if (p[k] == ':' && p[k + 1] == ']') {
			close = p + k;
			break;
		}
	if (close == NULL)
		return 0;
	size_t full = (size_t)(close - (t->s + at)) + 2;
	const char *nm = p;
	size_t nn = (size_t)(close - p);
	if (nn > 0 && nm[0] == '^')
		nm++, nn--;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if (strlen(names[k]) == nn && memcmp(names[k], nm, nn) == 0) {
			tr_add(t, t->s + at, full);
			*end = at + full;
			*found = true;
			return 0;
		}
	}
	return tr_err(t, "invalid character class range", at, at + full);
}

/* Go parseClassChar */
static int class_char(struct tr *t, size_t at, size_t class_start, uint32_t *r, size_t *end)
{
	if (at >= t->n)
		return tr_err(t, "missing closing ]", class_start, t->n);
	if (t->s[at] == '\\')
		return parse_escape(t, at, r, end);
	size_t w;
	int rc = tr_rune(t, at, r, &w);
	*end = at + w;
	return rc;
}

/* Go parseClass, at s[i] == '['. */
static int parse_class(struct tr *t)
{
	size_t start = t->i;
	size_t i = start + 1;
	int r;
	tr_adds(t, "[");
	if (i < t->n && t->s[i] == '^') {
		tr_adds(t, "^");
		i++;
	}
	bool first = true;
	while (i >= t->n || t->s[i] != ']' || first) {
		first = false;
		size_t end;
		bool found;
		if ((r = posix_class(t, i, &end, &found)) < 0)
			return r;
		if (found) {
			i = end;
			continue;
		}
		if ((r = unicode_class(t, i, &end, &found)) < 0)
			return r;
		if (found) {
			i = end;
			continue;
		}
		if (perl_class(t, i, true, &end)) {
			i = end;
			continue;
		}
		size_t rng = i;
		uint32_t lo, hi;
		if ((r = class_char(t, i, start, &lo, &i)) < 0)
			return r;
		hi = lo;
		if (i + 1 < t->n && t->s[i] == '-' && t->s[i + 1] != ']') {
			i++;
			if ((r = class_char(t, i, start, &hi, &i)) < 0)
				return r;
			if (hi < lo)
				return tr_err(t, "invalid character class range", rng, i);
		}
		tr_hex(t, lo);
		if (hi != lo) {
			tr_adds(t, "-");
			tr_hex(t, hi);
		}
	}
	tr_adds(t, "]");
	t->i = i + 1;
	return 0;
}

static bool valid_capture_name(const char *p, size_t n)
{
	if (n == 0)
		return false;
	const unsigned char *u = (const unsigned char *)p;
	for (size_t i = 0; i < n;) {
		uint32_t r;
		size_t w = rutf8_decode(u + i, n - i, &r);
		if (r != '_' && !is_letter_or_digit(r))
			return false;
		i += w;
	}
	return true;
}

static void fold_atom(struct tr *t)
{
	if (t->atom >= 0 && t->atom_weight > t->grp[t->depth].weight)
		t->grp[t->depth].weight = t->atom_weight;
	t->atom = -1;
	t->atom_assert = false;
	t->atom_weight = 1;
}

/* Starts a new repeatable item at the current output position. */
static void begin_atom(struct tr *t, bool assertion)
{
	fold_atom(t);
	t->atom = (long)t->out.len;
	t->atom_assert = assertion;
	t->atom_weight = 1;
}

static int push_group(struct tr *t, bool capture, const char *open)
{
	if (t->depth + 1 >= RE_MAX_DEPTH)
		return tr_err(t, "expression nests too deeply", 0, t->n);
	fold_atom(t);
	t->depth++;
	t->grp[t->depth] = (struct trgroup){.out_start = t->out.len, .weight = 0, .capture = capture};
	return tr_adds(t, open);
}

static int add_name(struct tr *t, uint32_t cap, const char *name, size_t nn)
{
	if (cap >= t->names_cap) {
		size_t nc = t->names_cap ? t->names_cap * 2 : 8;
		while (nc <= cap)
			nc *= 2;
		char **nv = realloc(t->names, nc * sizeof(*nv));
		if (nv == NULL) {
			t->oom = true;
			return -ENOMEM;
		}
		memset(nv + t->names_cap, 0, (nc - t->names_cap) * sizeof(*nv));
		t->names = nv;
		t->names_cap = nc;
	}
	if (name) {
		t->names[cap] = strndup(name, nn);
		if (t->names[cap] == NULL) {
			t->oom = true;
			return -ENOMEM;
		}
	}
	return 0;
}

/* Go parsePerlFlags, at s[i..] == "(?". */
static int parse_perl_flags(struct tr *t)
{
	size_t at = t->i;
	const char *s = t->s + at;
	size_t rest = t->n - at;
	if ((rest > 4 && s[2] == 'P') || (rest > 3 && s[2] == '<')) {
		size_t begin = s[2] == '<' ? 3 : 4;
		const char *gt = memchr(s, '>', rest);
		if (gt == NULL) {
			for (size_t k = at; k < t->n;) {
				uint32_t r;
				size_t w;
				if (tr_rune(t, k, &r, &w) < 0)
					return -EINVAL;
				k += w;
			}
			return tr_err(t, "invalid named capture", at, t->n);
		}
		size_t end = (size_t)(gt - s);
		if (begin > end || !valid_capture_name(s + begin, end - begin))
			return tr_err(t, "invalid named capture", at, at + end + 1);
		t->ncap++;
		if (add_name(t, t->ncap, s + begin, end - begin) < 0 || push_group(t, true, "(") < 0)
			return -ENOMEM;
		t->i = at + end + 1;
		return 0;
	}
	size_t i = at + 2;
	int sign = 1;
	bool saw = false;
	while (i < t->n) {
		uint32_t c;
		size_t w;
		int r = tr_rune(t, i, &c, &w);
		if (r < 0)
			return r;
		i += w;
		if (c == 'i' || c == 'm' || c == 's' || c == 'U') {
			saw = true;
			continue;
		}
		if (c == '-') {
			if (sign < 0)
				break;
			sign = -1;
			saw = false;
			continue;
		}
		if (c == ':' || c == ')') {
			if (sign < 0 && !saw)
				break;
			if (c == ':') {
				/* "(?flags:" opens a non-capturing group. */
				cc_buf tmp;
				cc_buf_init(&tmp, 0);
				if (cc_buf_add(&tmp, t->s + at, i - at) < 0 || cc_buf_addc(&tmp, '\0') < 0) {
					cc_buf_free(&tmp);
					t->oom = true;
					return -ENOMEM;
				}
				r = push_group(t, false, tmp.p);
				cc_buf_free(&tmp);
				if (r < 0)
					return r;
			} else {
				/* "(?flags)": applies to the rest of the group. */
				fold_atom(t);
				if (i - at > 3)
					tr_add(t, t->s + at, i - at);
			}
			t->i = i;
			return 0;
		}
		break;
	}
	return tr_err(t, "invalid or unsupported Perl syntax", at, i);
}

/* Go parseInt for repeat counts: no leading zeros; -1 when > 1e8. */
static bool rep_int(const char *s, size_t n, size_t *i, int *v)
{
	size_t k = *i;
	if (k >= n || s[k] < '0' || s[k] > '9')
		return false;
	if (k + 1 < n && s[k] == '0' && s[k + 1] >= '0' && s[k + 1] <= '9')
		return false;
	long val = 0;
	for (; k < n && s[k] >= '0' && s[k] <= '9'; k++)
		if (val >= 0)
			val = val >= 100000000 ? -1 : val * 10 + (s[k] - '0');
	*v = (int)val;
	*i = k;
	return true;
}

/* Go parseRepeat: "{n}", "{n,}", "{n,m}" at s[i]; false if it is not one. */
static bool parse_braces(struct tr *t, size_t i, int *min, int *max, size_t *end)
{
	const char *s = t->s;
	size_t n = t->n;
	if (i >= n || s[i] != '{')
		return false;
	i++;
	if (!rep_int(s, n, &i, min))
		return false;
	if (i >= n)
		return false;
	if (s[i] != ',') {
		*max = *min;
	} else {
		i++;
		if (i >= n)
			return false;
		if (s[i] == '}') {
			*max = -1;
		} else {
			if (!rep_int(s, n, &i, max))
				return false;
			if (*max < 0)
				*min = -1;
		}
	}
	if (i >= n || s[i] != '}')
		return false;
	*end = i + 1;
	return true;
}

/* Applies a repetition operator s[op, after) to the last item. */
static int apply_repeat(struct tr *t, size_t op, size_t after, int min, int max, bool braces)
{
	bool lazy = false;
	if (after < t->n && t->s[after] == '?') {
		lazy = true;
		after++;
	}
	if (t->last_rep != SIZE_MAX)
		return tr_err(t, "invalid nested repetition operator", t->last_rep, after);
	if (t->atom < 0)
		return tr_err(t, "missing argument to repetition operator", op, after);
	if (braces) {
		int m = max < 0 ? min : max;
		uint64_t w = m == 0 ? 0 : (uint64_t)m * t->atom_weight;
		if ((min >= 2 || max >= 2) && w > RE_MAX_REPEAT)
			return tr_err(t, "invalid repeat count", op, after);
		t->atom_weight = (uint32_t)(w > RE_MAX_REPEAT ? RE_MAX_REPEAT + 1 : w);
	}
	if (t->atom_assert) {
		/* PCRE2 does not repeat assertions; a group around one is fine. */
		size_t at = (size_t)t->atom;
		if (tr_add(t, "(?:", 3) < 0)
			return -ENOMEM;
		memmove(t->out.p + at + 3, t->out.p + at, t->out.len - 3 - at);
		memcpy(t->out.p + at, "(?:", 3);
		tr_adds(t, ")");
		t->atom_assert = false;
	}
	char q[40];
	if (!braces)
		snprintf(q, sizeof(q), "%c", t->s[op]);
	else if (max == min)
		snprintf(q, sizeof(q), "{%d}", min);
	else if (max < 0)
		snprintf(q, sizeof(q), "{%d,}", min);
	else
		snprintf(q, sizeof(q), "{%d,%d}", min, max);
	tr_adds(t, q);
	if (lazy)
		tr_adds(t, "?");
	t->last_rep = op;
	t->i = after;
	return 0;
}

/* \Q...\E (or to the end): every rune literal. */
static int tr_quoted(struct tr *t)
{
	size_t k = t->i + 2;
	size_t stop = t->n;
	for (size_t z = k; z + 1 < t->n; z++)
		if (t->s[z] == '\\' && t->s[z + 1] == 'E') {
			stop = z;
			break;
		}
	while (k < stop) {
		uint32_t rr;
		size_t w;
		int r = tr_rune(t, k, &rr, &w);
		if (r < 0)
			return r;
		begin_atom(t, false);
		tr_lit(t, rr);
		k += w;
	}
	t->i = stop < t->n ? stop + 2 : t->n;
	return 0;
}

/* An item starting with a backslash at s[i]: \A \z \b \B, \Q...\E,
 * \pN / \p{..}, \d \s \w and their negations, or an escaped rune. */
static int tr_backslash(struct tr *t)
{
	size_t at = t->i;
	size_t end;
	bool found;
	int r;
	if (at + 1 < t->n) {
		char e = t->s[at + 1];
		if (e == 'A' || e == 'z' || e == 'b' || e == 'B') {
			begin_atom(t, true);
			char tx[3] = {'\\', e, 0};
			tr_adds(t, tx);
			t->i = at + 2;
			return 0;
		}
		if (e == 'C')
			return tr_err(t, "invalid escape sequence", at, at + 2);
		if (e == 'Q')
			return tr_quoted(t);
	}
	begin_atom(t, false);
	if ((r = unicode_class(t, at, &end, &found)) < 0)
		return r;
	if (!found && perl_class(t, at, false, &end))
		found = true;
	if (!found) {
		uint32_t rr;
		if ((r = parse_escape(t, at, &rr, &end)) < 0)
			return r;
		tr_lit(t, rr);
	}
	t->i = end;
	return 0;
}

/* One step of the main loop (Go parse's BigSwitch). Sets *rep when the
 * item was a repetition operator. */
static int tr_step(struct tr *t, bool *rep)
{
	size_t at = t->i;
	char c = t->s[at];
	size_t end;
	*rep = false;
	switch (c) {
	case '(':
		if (at + 1 < t->n && t->s[at + 1] == '?')
			return parse_perl_flags(t);
		t->ncap++;
		if (add_name(t, t->ncap, NULL, 0) < 0 || push_group(t, true, "(") < 0)
			return -ENOMEM;
		t->i = at + 1;
		return 0;
	case '|':
		fold_atom(t);
		tr_adds(t, "|");
		t->i = at + 1;
		return 0;
	case ')': {
		if (t->depth == 0)
			return tr_err(t, "unexpected )", 0, t->n);
		fold_atom(t);
		struct trgroup g = t->grp[t->depth--];
		tr_adds(t, ")");
		t->atom = (long)g.out_start;
		t->atom_assert = false;
		t->atom_weight = g.weight ? g.weight : 1;
		t->i = at + 1;
		return 0;
	}
	case '^':
	case '$':
		begin_atom(t, true);
		tr_add(t, &c, 1);
		t->i = at + 1;
		return 0;
	case '.':
		begin_atom(t, false);
		tr_adds(t, ".");
		t->i = at + 1;
		return 0;
	case '[':
		begin_atom(t, false);
		return parse_class(t);
	case '*':
	case '+':
	case '?':
		*rep = true;
		return apply_repeat(t, at, at + 1, 0, 0, false);
	case '{': {
		int min, max;
		if (!parse_braces(t, at, &min, &max, &end)) {
			begin_atom(t, false);
			tr_lit(t, '{');
			t->i = at + 1;
			return 0;
		}
		if (min < 0 || min > RE_MAX_REPEAT || max > RE_MAX_REPEAT || (max >= 0 && min > max))
			return tr_err(t, "invalid repeat count", at, end);
		*rep = true;
		return apply_repeat(t, at, end, min, max, true);
	}
	case '\\':
		return tr_backslash(t);
	default: {
		uint32_t rr;
		size_t w;
		int r = tr_rune(t, at, &rr, &w);
		if (r < 0)
			return r;
		begin_atom(t, false);
		tr_lit(t, rr);
		t->i = at + w;
		return 0;
	}
	}
}

/* Translates; on failure t->err holds Go's message (or t->oom is set). */
static int translate(struct tr *t, const char *s, size_t n)
{
	memset(t, 0, sizeof(*t));
	t->s = s;
	t->n = n;
	t->atom = -1;
	t->atom_weight = 1;
	t->last_rep = SIZE_MAX;
	cc_buf_init(&t->out, 0);
	t->grp = calloc(RE_MAX_DEPTH + 1, sizeof(*t->grp));
	if (t->grp == NULL) {
		t->oom = true;
		return -ENOMEM;
	}
	while (t->i < t->n) {
		bool rep;
		int r = tr_step(t, &rep);
		if (r < 0 || t->oom)
			return r < 0 ? r : -ENOMEM;
		if (!rep)
			t->last_rep = SIZE_MAX;
	}
	if (t->depth > 0)
		return tr_err(t, "missing closing )", 0, t->n);
	if (add_name(t, t->ncap, NULL, 0) < 0)
		return -ENOMEM;
	return t->oom ? -ENOMEM : 0;
}

static void tr_free_names(char **names, uint32_t ncap)
{
	if (names == NULL)
		return;
	for (uint32_t k = 0; k <= ncap; k++)
		free(names[k]);
	free(names);
}

/* ====================================================================
 * Compiled patterns and the cache
 * ==================================================================== */

struct rentry {
	struct rentry *hnext;
	struct rentry *lprev, *lnext;
	uint64_t hash;
	char *key;
	size_t keylen;
	int refs;
	bool cached;
	pcre2_code *code; /* NULL when the pattern is invalid */
	char *err;        /* Go's error text when invalid */
	uint32_t ncap;
	char **names;
	bool oom;
};

struct recache {
	pthread_mutex_t mu;
	struct rentry *buckets[RE_CACHE_BUCKETS];
	struct rentry lru; /* sentinel: lru.lnext is the most recent */
	size_t count;
	pcre2_match_context *mctx;
};

static void entry_free(struct rentry *e)
{
	if (e == NULL)
		return;
	pcre2_code_free(e->code);
	free(e->err);
	tr_free_names(e->names, e->ncap);
	free(e->key);
	free(e);
}

static void *cache_new(void)
{
	struct recache *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->lru.lnext = c->lru.lprev = &c->lru;
	c->mctx = pcre2_match_context_create(NULL);
	return c;
}

static void cache_free(void *p)
{
	struct recache *c = p;
	if (c == NULL)
		return;
	for (struct rentry *e = c->lru.lnext; e != &c->lru;) {
		struct rentry *nx = e->lnext;
		entry_free(e); /* no evaluation runs while the engine is freed */
		e = nx;
	}
	pcre2_match_context_free(c->mctx);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* Hash of a cache key, 8 bytes at a time (keys are patterns, often long). */
static uint64_t key_hash(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		p += 8;
		n -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
}

/* Compiles a Go pattern into e (code, names) or records Go's error. */
static void compile_go(struct rentry *e, const char *pat, size_t n)
{
	struct tr t;
	int r = translate(&t, pat, n);
	free(t.grp);
	if (r < 0) {
		e->err = t.err;
		e->oom = t.oom || t.err == NULL;
		tr_free_names(t.names, t.ncap);
		cc_buf_free(&t.out);
		return;
	}
	pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
	if (cc == NULL) {
		e->oom = true;
		tr_free_names(t.names, t.ncap);
		cc_buf_free(&t.out);
		return;
	}
	pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
	pcre2_set_parens_nest_limit(cc, RE_MAX_DEPTH + 10);
	int ec;
	PCRE2_SIZE eo;
	uint32_t opts = PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_CIRCUMFLEX |
	                PCRE2_NEVER_BACKSLASH_C | PCRE2_NO_UTF_CHECK;
	e->code = pcre2_compile((PCRE2_SPTR)(t.out.p ? t.out.p : ""), t.out.len, opts, &ec, &eo, cc);
	pcre2_compile_context_free(cc);
	cc_buf_free(&t.out);
	if (e->code == NULL) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		if (asprintf(&e->err, "error parsing regexp: %s: `%.*s`", (const char *)msg, (int)n, pat) < 0) {
			e->err = NULL;
			e->oom = true;
		}
		tr_free_names(t.names, t.ncap);
		return;
	}
	(void)pcre2_jit_compile(e->code, PCRE2_JIT_COMPLETE);
	e->ncap = t.ncap;
	e->names = t.names;
}

static struct rentry *entry_new(const char *key, size_t keylen)
{
	struct rentry *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->key = malloc(keylen ? keylen : 1);
	if (e->key == NULL) {
		free(e);
		return NULL;
	}
	memcpy(e->key, key, keylen);
	e->keylen = keylen;
	e->hash = key_hash(key, keylen);
	e->refs = 1;
	return e;
}

static void lru_unlink(struct rentry *e)
{
	e->lprev->lnext = e->lnext;
	e->lnext->lprev = e->lprev;
}

static void lru_front(struct recache *c, struct rentry *e)
{
	e->lnext = c->lru.lnext;
	e->lprev = &c->lru;
	c->lru.lnext->lprev = e;
	c->lru.lnext = e;
}

static struct rentry *table_find(struct recache *c, uint64_t h, const char *key, size_t keylen)
{
	for (struct rentry *e = c->buckets[h % RE_CACHE_BUCKETS]; e; e = e->hnext)
		if (e->hash == h && e->keylen == keylen && memcmp(e->key, key, keylen) == 0)
			return e;
	return NULL;
}

static void table_remove(struct recache *c, struct rentry *e)
{
	struct rentry **pp = &c->buckets[e->hash % RE_CACHE_BUCKETS];
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(e);
	c->count--;
	e->cached = false;
	if (--e->refs == 0)
		entry_free(e);
}

/* Drops a reference (entries not in the cache die with their last user). */
static void entry_release(struct recache *c, struct rentry *e)
{
	if (e == NULL)
		return;
	if (c == NULL) {
		entry_free(e);
		return;
	}
	pthread_mutex_lock(&c->mu);
	if (--e->refs == 0)
		entry_free(e);
	pthread_mutex_unlock(&c->mu);
}

/* The compiled form of key: from the cache, or built by build(). Returns
 * NULL on OOM. The caller releases it with entry_release(). */
static struct rentry *entry_get(struct recache *c, const char *key, size_t keylen,
                                void (*build)(struct rentry *, const char *, size_t), const char *src,
                                size_t srcn)
{
	uint64_t h = key_hash(key, keylen);
	if (c) {
		pthread_mutex_lock(&c->mu);
		struct rentry *e = table_find(c, h, key, keylen);
		if (e) {
			e->refs++;
			lru_unlink(e);
			lru_front(c, e);
		}
		pthread_mutex_unlock(&c->mu);
		if (e)
			return e;
	}
	struct rentry *e = entry_new(key, keylen);
	if (e == NULL)
		return NULL;
	build(e, src, srcn);
	if (e->oom) {
		entry_free(e);
		return NULL;
	}
	if (c == NULL)
		return e;
	pthread_mutex_lock(&c->mu);
	struct rentry *other = table_find(c, h, key, keylen);
	if (other) {
		other->refs++;
		pthread_mutex_unlock(&c->mu);
		entry_free(e);
		return other;
	}
	if (c->count >= RE_CACHE_MAX)
		table_remove(c, c->lru.lprev);
	e->hnext = c->buckets[h % RE_CACHE_BUCKETS];
	c->buckets[h % RE_CACHE_BUCKETS] = e;
	lru_front(c, e);
	c->count++;
	e->cached = true;
	e->refs++; /* the cache's own reference */
	pthread_mutex_unlock(&c->mu);
	return e;
}

static struct recache *get_cache(rctx *cx)
{
	return rctx_state(cx, RBI_STATE_REGEX, cache_new, cache_free);
}

static void build_plain(struct rentry *e, const char *pat, size_t n) { compile_go(e, pat, n); }

/* Compiled regex for pattern (a Go regexp), or a builtin error. */
static int regex_get(rctx *cx, struct recache *c, const char *pat, size_t n, struct rentry **out)
{
	char stackkey[256];
	char *key = stackkey;
	size_t kn;
	if (__builtin_add_overflow(n, 1, &kn))
		return rbi_oom(cx);
	if (kn > sizeof(stackkey)) {
		key = rarena_alloc(rctx_arena(cx), kn);
		if (key == NULL)
			return rbi_oom(cx);
	}
	key[0] = 'r';
	memcpy(key + 1, pat, n);
	struct rentry *e = entry_get(c, key, kn, build_plain, pat, n);
	if (e == NULL)
		return rbi_oom(cx);
	if (e->code == NULL) {
		int r = rbi_err(cx, "%s", e->err);
		entry_release(c, e);
		return r;
	}
	*out = e;
	return 0;
}

/* ---- matching --------------------------------------------------------- */

/* Go reads each invalid UTF-8 byte as the rune U+FFFD, which '.', classes
 * and \x{fffd} match; PCRE2 cannot match invalid bytes. A subject with
 * invalid bytes is therefore matched in a copy where each such byte is
 * replaced by U+FFFD's encoding; match offsets map back to the argument,
 * whose bytes are what results are made of (as in Go). Rune steps are the
 * same in both. */
struct matcher {
	rctx *cx;
	struct recache *c;
	struct rentry *e;
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	const char *s;    /* subject as PCRE2 sees it: valid UTF-8 */
	size_t n;
	const char *orig; /* the argument */
	size_t *map;      /* offset in s -> offset in orig; NULL if s == orig */
};

static void *arena_malloc(PCRE2_SIZE n, void *a) { return rarena_alloc(a, n); }
static void arena_free(void *p, void *a)
{
	(void)p;
	(void)a;
}

static int prepare_subject(rctx *cx, struct matcher *m, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t bad = 0;
	uint32_t r;
	for (size_t i = 0; i < n;) {
		size_t w = u[i] < 0x80 ? 1 : rutf8_decode(u + i, n - i, &r);
		if (w == 1 && u[i] >= 0x80)
			bad++;
		i += w;
	}
	m->orig = s;
	m->s = s;
	m->n = n;
	m->map = NULL;
	if (bad == 0)
		return 0;
	size_t tn;
	if (__builtin_mul_overflow(bad, 2, &tn) || __builtin_add_overflow(tn, n, &tn) || tn > OUT_MAX)
		return rbi_oom(cx);
	char *t = rarena_alloc(rctx_arena(cx), tn + 1);
	size_t *map = rarena_nalloc(rctx_arena(cx), tn + 1, sizeof(*map));
	if (t == NULL || map == NULL)
		return rbi_oom(cx);
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		size_t w = u[i] < 0x80 ? 1 : rutf8_decode(u + i, n - i, &r);
		if (w == 1 && u[i] >= 0x80) {
			memcpy(t + k, "\xef\xbf\xbd", 3);
			map[k] = map[k + 1] = map[k + 2] = i;
			k += 3;
		} else {
			memcpy(t + k, s + i, w);
			for (size_t j = 0; j < w; j++)
				map[k + j] = i + j;
			k += w;
		}
		i += w;
	}
	map[k] = n;
	t[k] = '\0';
	m->s = t;
	m->n = k;
	m->map = map;
	return 0;
}

static size_t orig_off(const struct matcher *m, size_t off) { return m->map ? m->map[off] : off; }

static int matcher_init(rctx *cx, struct matcher *m, struct recache *c, struct rentry *e, const char *s, size_t n)
{
	m->cx = cx;
	m->c = c;
	m->e = e;
	/* Match data comes from the evaluation arena: nothing to free. */
	pcre2_general_context *gc = pcre2_general_context_create(arena_malloc, arena_free, rctx_arena(cx));
	m->md = gc ? pcre2_match_data_create(e->ncap + 1, gc) : NULL;
	if (m->md == NULL)
		return rbi_oom(cx);
	m->ov = pcre2_get_ovector_pointer(m->md);
	return prepare_subject(cx, m, s, n);
}

/* Leftmost match at or after start: 1 found (m->ov filled), 0 none. */
static int match_at(struct matcher *m, size_t start)
{
	pcre2_match_context *mc = m->c ? m->c->mctx : NULL;
	int r = pcre2_match(m->e->code, (PCRE2_SPTR)m->s, m->n, start, PCRE2_NO_UTF_CHECK, m->md, mc);
	if (r == PCRE2_ERROR_JIT_STACKLIMIT)
		r = pcre2_match(m->e->code, (PCRE2_SPTR)m->s, m->n, start, PCRE2_NO_JIT | PCRE2_NO_UTF_CHECK, m->md,
		                mc);
	if (r >= 0)
		return 1;
	if (r == PCRE2_ERROR_NOMATCH)
		return 0;
	if (r == PCRE2_ERROR_MATCHLIMIT || r == PCRE2_ERROR_DEPTHLIMIT || r == PCRE2_ERROR_HEAPLIMIT)
		return rbi_err(m->cx, "regular expression match limit exceeded");
	if (r == PCRE2_ERROR_NOMEMORY)
		return rbi_oom(m->cx);
	PCRE2_UCHAR msg[256];
	pcre2_get_error_message(r, msg, sizeof(msg));
	return rbi_err(m->cx, "regular expression match failed: %s", (const char *)msg);
}

/* Width of the rune at s[pos] (pos < n). */
static size_t rune_width(const struct matcher *m, size_t pos)
{
	uint32_t rr;
	return rutf8_decode((const unsigned char *)m->s + pos, m->n - pos, &rr);
}

/* Go Regexp.allMatches: calls each(m, arg) for up to limit matches
 * (limit < 0: all). Empty matches right after a match are skipped. */
typedef int (*match_fn)(struct matcher *m, void *arg);

static int all_matches(struct matcher *m, int64_t limit, match_fn each, void *arg)
{
	size_t n = m->n;
	if (limit < 0)
		limit = (int64_t)n + 1;
	size_t pos = 0;
	long prev_end = -1;
	for (int64_t i = 0; i < limit && pos <= n;) {
		int r = match_at(m, pos);
		if (r <= 0)
			return r;
		size_t ms = m->ov[0], me = m->ov[1];
		bool accept = true;
		if (me == pos) {
			if ((long)ms == prev_end)
				accept = false;
			pos = pos < n ? pos + rune_width(m, pos) : n + 1;
		} else {
			pos = me;
		}
		prev_end = (long)me;
		if (accept) {
			if ((r = each(m, arg)) < 0)
				return r;
			i++;
		}
	}
	return 0;
}

/* The argument's bytes between two subject offsets. */
static const rv *sub_str(struct matcher *m, PCRE2_SIZE a, PCRE2_SIZE b)
{
	if (a == PCRE2_UNSET || b <= a)
		return rv_empty_str();
	size_t oa = orig_off(m, a), ob = orig_off(m, b);
	return rv_str(rctx_arena(m->cx), m->orig + oa, ob - oa);
}

/* ---- builtins ----------------------------------------------------------- */

static int bi_regex_match(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *p, *s;
	size_t pn, sn;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &p, &pn)) < 0 || (r = rbi_arg_str(cx, args, 1, &s, &sn)) < 0)
		return r;
	struct recache *c = get_cache(cx);
	struct rentry *e;
	if ((r = regex_get(cx, c, p, pn, &e)) < 0)
		return r;
	struct matcher m;
	r = matcher_init(cx, &m, c, e, s, sn);
	if (r == 0)
		r = match_at(&m, 0);
	entry_release(c, e);
	if (r < 0)
		return r;
	*ret = rv_bool(r == 1);
	return 0;
}

static int bi_regex_is_valid(rctx *cx, const rv *const *args, const rv **ret)
{
	if (args[0]->t != RV_STR) {
		*ret = rv_false();
		return 0;
	}
	struct recache *c = get_cache(cx);
	struct rentry *e;
	int r = regex_get(cx, c, args[0]->u.s.p, args[0]->u.s.n, &e);
	if (r == -ENOMEM)
		return r;
	if (r == 0)
		entry_release(c, e);
	/* An invalid pattern is not an error here. */
	cc_error_free(cx->err);
	cx->err = NULL;
	*ret = rv_bool(r == 0);
	return 0;
}

/* OPA builtins.IntOperand */
static int arg_goint(rctx *cx, const rv *const *args, int i, int64_t *out)
{
	int r = rbi_arg_num(cx, args, i);
	if (r < 0)
		return r;
	if (args[i]->nk != RN_INT)
		return rbi_type_errf(cx, "operand %d must be integer number but got floating-point number",
		                     i + 1);
	*out = args[i]->u.i;
	return 0;
}

struct collect {
	rvec v;
	bool submatches;
};

static int collect_match(struct matcher *m, void *arg)
{
	struct collect *col = arg;
	rctx *cx = m->cx;
	const rv *x;
	if (!col->submatches) {
		x = sub_str(m, m->ov[0], m->ov[1]);
	} else {
		uint32_t ng = m->e->ncap + 1;
		const rv **g = rarena_nalloc(rctx_arena(cx), ng, sizeof(*g));
		if (g == NULL)
			return rbi_oom(cx);
		for (uint32_t k = 0; k < ng; k++) {
			g[k] = sub_str(m, m->ov[2 * k], m->ov[2 * k + 1]);
			if (g[k] == NULL)
				return rbi_oom(cx);
		}
		x = rv_arr(rctx_arena(cx), g, ng);
	}
	if (x == NULL || col->v.n >= OUT_MAX || rvec_push(&col->v, x) < 0)
		return rbi_oom(cx);
	return 0;
}

static int find_common(rctx *cx, const rv *const *args, const rv **ret, bool submatches)
{
	const char *p, *s;
	size_t pn, sn;
	int64_t lim = 0;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &p, &pn)) < 0 || (r = rbi_arg_str(cx, args, 1, &s, &sn)) < 0 ||
	    (r = arg_goint(cx, args, 2, &lim)) < 0)
		return r;
	struct recache *c = get_cache(cx);
	struct rentry *e;
	if ((r = regex_get(cx, c, p, pn, &e)) < 0)
		return r;
	struct matcher m;
	struct collect col = {.submatches = submatches};
	rvec_init(&col.v, rctx_arena(cx));
	r = matcher_init(cx, &m, c, e, s, sn);
	if (r == 0)
		r = all_matches(&m, lim, collect_match, &col);
	entry_release(c, e);
	if (r < 0)
		return r;
	*ret = rvec_to_arr(&col.v);
	return *ret ? 0 : rbi_oom(cx);
}

static int bi_regex_find_n(rctx *cx, const rv *const *args, const rv **ret)
{
	return find_common(cx, args, ret, false);
}

static int bi_regex_find_all_submatch(rctx *cx, const rv *const *args, const rv **ret)
{
	return find_common(cx, args, ret, true);
}

/* ---- regex.split ---- */

struct splitter {
	rvec v;
	size_t beg;
	size_t end;
};

static int split_match(struct matcher *m, void *arg)
{
	struct splitter *sp = arg;
	sp->end = m->ov[0];
	if (m->ov[1] != 0) {
		const rv *x = sub_str(m, sp->beg, sp->end);
		if (x == NULL || sp->v.n >= OUT_MAX || rvec_push(&sp->v, x) < 0)
			return rbi_oom(m->cx);
	}
	sp->beg = m->ov[1];
	return 0;
}

static int bi_regex_split(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *p, *s;
	size_t pn, sn;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &p, &pn)) < 0 || (r = rbi_arg_str(cx, args, 1, &s, &sn)) < 0)
		return r;
	struct recache *c = get_cache(cx);
	struct rentry *e;
	if ((r = regex_get(cx, c, p, pn, &e)) < 0)
		return r;
	struct splitter sp = {.beg = 0, .end = 0};
	rvec_init(&sp.v, rctx_arena(cx));
	if (pn > 0 && sn == 0) {
		entry_release(c, e);
		r = rvec_push(&sp.v, rv_empty_str());
	} else {
		struct matcher m;
		r = matcher_init(cx, &m, c, e, s, sn);
		if (r == 0)
			r = all_matches(&m, -1, split_match, &sp);
		entry_release(c, e);
		if (r == 0 && sp.end != m.n) {
			const rv *x = sub_str(&m, sp.beg, m.n);
			r = x == NULL ? -ENOMEM : rvec_push(&sp.v, x);
		}
	}
	if (r == -ENOMEM)
		return rbi_oom(cx);
	if (r < 0)
		return r;
	*ret = rvec_to_arr(&sp.v);
	return *ret ? 0 : rbi_oom(cx);
}

/* ---- regex.replace ---- */

/* Go regexp extract: "name" or "{name}" after a '$'. */
static bool expand_name(const char *t, size_t n, size_t *namelen, size_t *off, size_t *rest, long *num)
{
	size_t i = 0;
	bool brace = false;
	if (n == 0)
		return false;
	if (t[0] == '{') {
		brace = true;
		i = 1;
	}
	size_t start = i;
	while (i < n) {
		uint32_t r;
		size_t w = rutf8_decode((const unsigned char *)t + i, n - i, &r);
		if (r != '_' && !is_letter_or_digit(r))
			break;
		i += w;
	}
	if (i == start)
		return false;
	*off = start;
	*namelen = i - start;
	if (brace) {
		if (i >= n || t[i] != '}')
			return false;
		i++;
	}
	long v = 0;
	for (size_t k = start; k < start + *namelen; k++) {
		if (t[k] < '0' || t[k] > '9' || v >= 100000000) {
			v = -1;
			break;
		}
		v = v * 10 + (t[k] - '0');
	}
	if (t[start] == '0' && *namelen > 1)
		v = -1;
	*num = v;
	*rest = i;
	return true;
}

/* Go Regexp.expand of template for the current match. */
static void expand(struct matcher *m, struct abuf *b, const char *tpl, size_t tn)
{
	size_t i = 0;
	while (i < tn) {
		const char *d = memchr(tpl + i, '$', tn - i);
		if (d == NULL)
			break;
		size_t at = (size_t)(d - tpl);
		abuf_add(b, tpl + i, at - i);
		i = at + 1;
		if (i < tn && tpl[i] == '$') {
			abuf_add(b, "$", 1);
			i++;
			continue;
		}
		size_t nl, off, rest;
		long num;
		if (!expand_name(tpl + i, tn - i, &nl, &off, &rest, &num)) {
			abuf_add(b, "$", 1);
			continue;
		}
		const char *name = tpl + i + off;
		i += rest;
		uint32_t g = UINT32_MAX;
		if (num >= 0) {
			if ((uint64_t)num <= m->e->ncap)
				g = (uint32_t)num;
		} else {
			for (uint32_t k = 1; k <= m->e->ncap; k++) {
				const char *nk = m->e->names ? m->e->names[k] : NULL;
				if (nk && strlen(nk) == nl && memcmp(nk, name, nl) == 0) {
					g = k;
					break;
				}
			}
		}
		if (g != UINT32_MAX && m->ov[2 * g] != PCRE2_UNSET) {
			size_t ga = orig_off(m, m->ov[2 * g]), gb = orig_off(m, m->ov[2 * g + 1]);
			abuf_add(b, m->orig + ga, gb - ga);
		}
	}
	abuf_add(b, tpl + i, tn - i);
}

static int bi_regex_replace(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s, *p, *v;
	size_t sn, pn, vn;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &s, &sn)) < 0 || (r = rbi_arg_str(cx, args, 1, &p, &pn)) < 0 ||
	    (r = rbi_arg_str(cx, args, 2, &v, &vn)) < 0)
		return r;
	struct recache *c = get_cache(cx);
	struct rentry *e;
	if ((r = regex_get(cx, c, p, pn, &e)) < 0)
		return r;
	struct matcher m;
	struct abuf b;
	abuf_init(&b, rctx_arena(cx), 0, OUT_MAX - 1); /* room for the NUL */
	bool changed = false;
	r = matcher_init(cx, &m, c, e, s, sn);
	/* Go Regexp.replaceAll, in subject offsets; text comes from s. */
	size_t last = 0, search = 0;
	while (r == 0 && search <= m.n && !b.err) {
		int k = match_at(&m, search);
		if (k <= 0) {
			r = k;
			break;
		}
		size_t ms = m.ov[0], me = m.ov[1];
		abuf_add(&b, s + orig_off(&m, last), orig_off(&m, ms) - orig_off(&m, last));
		if (me > last || ms == 0) {
			expand(&m, &b, v, vn);
			changed = true;
		}
		last = me;
		size_t w = search < m.n ? rune_width(&m, search) : 1;
		if (search + w > me)
			search += w;
		else if (search + 1 > me)
			search++;
		else
			search = me;
	}
	entry_release(c, e);
	if (r < 0)
		return r;
	if (!changed) {
		*ret = args[0];
		return 0;
	}
	abuf_add(&b, s + orig_off(&m, last), sn - orig_off(&m, last));
	return abuf_finish(cx, &b, ret);
}

/* ---- regex.template_match ---- */

/* Go regexp.QuoteMeta */
static int quote_meta(cc_buf *b, const char *s, size_t n)
{
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (s[i] != '\0' && strchr("\\.+*?()|[]{}^$", s[i]))
			r = cc_buf_addc(b, '\\');
		if (r == 0)
			r = cc_buf_addc(b, s[i]);
	}
	return r;
}

struct tmpl_src {
	const char *tpl;
	size_t n;
	char ds, de;
};

/* delimiterIndices: first-level delimiter pairs (start, end+1) into idxs;
 * false if unbalanced. */
static bool tmpl_indices(const struct tmpl_src *ts, size_t *idxs, size_t *ni)
{
	int level = 0;
	size_t idx = 0;
	*ni = 0;
	for (size_t i = 0; i < ts->n; i++) {
		if (ts->tpl[i] == ts->ds) {
			if (++level == 1)
				idx = i;
		} else if (ts->tpl[i] == ts->de) {
			if (--level == 0) {
				idxs[(*ni)++] = idx;
				idxs[(*ni)++] = i + 1;
			} else if (level < 0) {
				return false;
			}
		}
	}
	return level == 0;
}

/* Each template variable must compile on its own as ^patt$; on failure
 * its error becomes e's. */
static bool tmpl_part_ok(struct rentry *e, const char *patt, size_t n)
{
	cc_buf one;
	cc_buf_init(&one, 0);
	struct rentry probe = {0};
	if (cc_buf_addc(&one, '^') < 0 || cc_buf_add(&one, patt, n) < 0 || cc_buf_addc(&one, '$') < 0)
		probe.oom = true;
	else
		compile_go(&probe, one.p, one.len);
	cc_buf_free(&one);
	bool ok = probe.code != NULL;
	if (!ok) {
		e->err = probe.err;
		e->oom = probe.oom;
		probe.err = NULL;
	}
	pcre2_code_free(probe.code);
	tr_free_names(probe.names, probe.ncap);
	free(probe.err);
	return ok;
}

static void tmpl_unbalanced(struct rentry *e, const struct tmpl_src *ts)
{
	cc_buf q;
	cc_buf_init(&q, 0);
	const rv sv = {.t = RV_STR, .u.s = {ts->tpl, ts->n}};
	if (rv_to_rego(&sv, &q) < 0 || asprintf(&e->err, "unbalanced braces in %s", q.p) < 0) {
		e->err = NULL;
		e->oom = true;
	}
	cc_buf_free(&q);
}

/* compileRegexTemplate: "^" + QuoteMeta(raw) + "(" + var + ")" ... + "$". */
static void build_template(struct rentry *e, const char *src, size_t srcn)
{
	const struct tmpl_src *ts = (const struct tmpl_src *)(const void *)src;
	(void)srcn;
	size_t *idxs = calloc(ts->n + 2, sizeof(*idxs));
	size_t ni;
	if (idxs == NULL) {
		e->oom = true;
		return;
	}
	if (!tmpl_indices(ts, idxs, &ni)) {
		tmpl_unbalanced(e, ts);
		free(idxs);
		return;
	}
	cc_buf pat;
	cc_buf_init(&pat, 0);
	int r = cc_buf_addc(&pat, '^');
	size_t end = 0;
	for (size_t k = 0; r == 0 && k < ni; k += 2) {
		const char *raw = ts->tpl + end;
		size_t rawn = idxs[k] - end;
		end = idxs[k + 1];
		const char *patt = ts->tpl + idxs[k] + 1;
		size_t pattn = end - 1 - (idxs[k] + 1);
		r = quote_meta(&pat, raw, rawn);
		if (r == 0)
			r = cc_buf_addc(&pat, '(');
		if (r == 0)
			r = cc_buf_add(&pat, patt, pattn);
		if (r == 0)
			r = cc_buf_addc(&pat, ')');
		if (r == 0 && !tmpl_part_ok(e, patt, pattn)) {
			free(idxs);
			cc_buf_free(&pat);
			return;
		}
	}
	if (r == 0)
		r = quote_meta(&pat, ts->tpl + end, ts->n - end);
	if (r == 0)
		r = cc_buf_addc(&pat, '$');
	if (r < 0)
		e->oom = true;
	else
		compile_go(e, pat.p, pat.len);
	free(idxs);
	cc_buf_free(&pat);
}

static int bi_regex_template_match(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *tpl, *s, *ds, *de;
	size_t tn, sn, dsn, den;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &tpl, &tn)) < 0 || (r = rbi_arg_str(cx, args, 1, &s, &sn)) < 0 ||
	    (r = rbi_arg_str(cx, args, 2, &ds, &dsn)) < 0 || (r = rbi_arg_str(cx, args, 3, &de, &den)) < 0)
		return r;
	if (dsn != 1)
		return rbi_err(cx, "start delimiter has to be exactly one character long but is %zu long", dsn);
	if (den != 1) /* OPA reports the start delimiter's length here */
		return rbi_err(cx, "end delimiter has to be exactly one character long but is %zu long", dsn);
	size_t kn;
	if (__builtin_add_overflow(tn, 3, &kn))
		return rbi_oom(cx);
	char *key = rarena_alloc(rctx_arena(cx), kn);
	if (key == NULL)
		return rbi_oom(cx);
	key[0] = 't';
	key[1] = ds[0];
	key[2] = de[0];
	memcpy(key + 3, tpl, tn);
	struct tmpl_src src = {tpl, tn, ds[0], de[0]};
	struct recache *c = get_cache(cx);
	struct rentry *e = entry_get(c, key, kn, build_template, (const char *)&src, sizeof(src));
	if (e == NULL)
		return rbi_oom(cx);
	if (e->code == NULL) {
		r = rbi_err(cx, "%s", e->err);
		entry_release(c, e);
		return r;
	}
	struct matcher m;
	r = matcher_init(cx, &m, c, e, s, sn);
	if (r == 0)
		r = match_at(&m, 0);
	entry_release(c, e);
	if (r < 0)
		return r;
	*ret = rv_bool(r == 1);
	return 0;
}

/* ====================================================================
 * regex.globs_match: github.com/yashtewari/glob-intersection NonEmpty.
 * Globs: literal runes, '.' (any rune), [set] with ranges, each optionally
 * followed by '+' or '*'; '\' escapes. The algorithm (including its
 * approximations) follows the library; work is bounded by GI_MAX_STEPS.
 * ==================================================================== */

enum { GT_CHAR, GT_DOT, GT_SET };
enum { GF_NONE, GF_PLUS, GF_STAR };

#define GI_MAX_STEPS 10000000L

struct grange {
	uint32_t lo, hi;
};

struct gtok {
	int type;
	int flag;
	uint32_t r;
	struct grange *set; /* sorted, merged */
	size_t nset;
};

struct gi {
	rctx *cx;
	const uint32_t *in; /* runes of the glob being tokenized */
	size_t n;
	const char *src;    /* its text, for messages */
	size_t srcn;
	long steps;
	bool too_complex;
};

#define GI_EOF 1

static int gi_err(struct gi *g, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int gi_err(struct gi *g, size_t pos, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* string([]rune(input)) re-encodes invalid bytes as U+FFFD. */
	return rbi_err(g->cx, "input:%.*s, pos:%zu, %s: the input provided is invalid", (int)g->srcn, g->src,
	               pos, msg);
}

/* nextRune: 0 with the rune, GI_EOF at the end, or an error. */
static int gi_next(struct gi *g, size_t idx, size_t *ni, uint32_t *r, bool *esc)
{
	*esc = false;
	*r = 0;
	if (idx >= g->n) {
		*ni = idx;
		return GI_EOF;
	}
	if (g->in[idx] == '\\') {
		if (idx + 1 < g->n) {
			*ni = idx + 2;
			*r = g->in[idx + 1];
			*esc = true;
			return 0;
		}
		*ni = 0;
		return gi_err(g, idx, "input ends with a \\ (escape) character");
	}
	*ni = idx + 1;
	*r = g->in[idx];
	return 0;
}

/* r as NUL-terminated UTF-8 text in buf. */
static char *rune_text(uint32_t r, char buf[8])
{
	buf[rutf8_encode(r, buf)] = '\0';
	return buf;
}

static int range_cmp(const void *a, const void *b)
{
	const struct grange *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int set_add(struct gi *g, struct gtok *t, size_t *cap, uint32_t lo, uint32_t hi)
{
	if (t->nset == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct grange *ns = rarena_nalloc(rctx_arena(g->cx), nc, sizeof(*ns));
		if (ns == NULL)
			return rbi_oom(g->cx);
		if (t->nset)
			memcpy(ns, t->set, t->nset * sizeof(*ns));
		t->set = ns;
		*cap = nc;
	}
	t->set[t->nset++] = (struct grange){lo, hi};
	return 0;
}

static void set_normalize(struct gtok *t)
{
	if (t->nset < 2)
		return;
	qsort(t->set, t->nset, sizeof(*t->set), range_cmp);
	size_t m = 0;
	for (size_t i = 1; i < t->nset; i++) {
		if (t->set[i].lo <= t->set[m].hi + 1) {
			if (t->set[i].hi > t->set[m].hi)
				t->set[m].hi = t->set[i].hi;
		} else {
			t->set[++m] = t->set[i];
		}
	}
	t->nset = m + 1;
}

/* nextTokenSet: after '['. */
static int gi_set(struct gi *g, size_t idx, size_t *ni, struct gtok *t)
{
	size_t cap = 0, nidx;
	uint32_t r, prev = 0;
	bool esc, prev_exists = false, complete = false;
	t->type = GT_SET;
	int e = gi_next(g, idx, &nidx, &r, &esc);
	if (e < 0)
		return e;
	for (; e != GI_EOF; e = gi_next(g, nidx, &nidx, &r, &esc)) {
		if (e < 0)
			return e;
		if (!esc && r == '-') {
			if (!prev_exists)
				return gi_err(g, nidx, "range character '-' must be preceded by a Unicode character");
			if (nidx + 1 >= g->n)
				return gi_err(g, nidx, "range character '-' must be followed by a Unicode character");
			gi_next(g, nidx, &nidx, &r, &esc);
			if (!esc && (r == ']' || r == '-'))
				return gi_err(g, nidx, "range character '-' cannot be followed by a special symbol");
			if (r < prev) {
				char a[8], b[8];
				return gi_err(g, nidx, "range is out of order: '%s' comes before '%s' in Unicode",
				              rune_text(r, a), rune_text(prev, b));
			}
			if ((e = set_add(g, t, &cap, prev, r)) < 0)
				return e;
			prev_exists = false;
		} else if (!esc && r == ']') {
			complete = true;
			break;
		} else {
			if ((e = set_add(g, t, &cap, r, r)) < 0)
				return e;
			prev = r;
			prev_exists = true;
		}
	}
	if (!complete)
		return gi_err(g, nidx, "found [ without matching ]");
	set_normalize(t);
	*ni = nidx;
	return 0;
}

static bool tok_equal(const struct gtok *a, const struct gtok *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == GT_CHAR)
		return a->r == b->r;
	if (a->type == GT_DOT)
		return true;
	if (a->nset != b->nset)
		return false;
	for (size_t i = 0; i < a->nset; i++)
		if (a->set[i].lo != b->set[i].lo || a->set[i].hi != b->set[i].hi)
			return false;
	return true;
}

/* Tokenize + Simplify. */
static int gi_tokenize(struct gi *g, struct gtok **out, size_t *outn)
{
	struct gtok *v = rarena_nalloc(rctx_arena(g->cx), g->n ? g->n : 1, sizeof(*v));
	if (v == NULL)
		return rbi_oom(g->cx);
	size_t k = 0, i = 0;
	for (;;) {
		size_t ni;
		uint32_t r;
		bool esc;
		int e = gi_next(g, i, &ni, &r, &esc);
		if (e == GI_EOF)
			break;
		if (e < 0)
			return e;
		struct gtok t = {.type = GT_CHAR, .flag = GF_NONE, .r = r};
		if (!esc && r == '.') {
			t.type = GT_DOT;
		} else if (!esc && r == ']') {
			return gi_err(g, ni, "set-close ']' with no preceding '['");
		} else if (!esc && r == '[') {
			if ((e = gi_set(g, ni, &ni, &t)) < 0)
				return e;
		} else if (!esc && (r == '+' || r == '*')) {
			return gi_err(g, ni, "flag '%c' must be preceded by a non-flag", (char)r);
		}
		/* nextFlag */
		size_t fi;
		uint32_t fr;
		bool fesc;
		e = gi_next(g, ni, &fi, &fr, &fesc);
		if (e < 0)
			return e;
		if (e == 0 && !fesc && (fr == '+' || fr == '*')) {
			t.flag = fr == '+' ? GF_PLUS : GF_STAR;
			ni = fi;
		}
		/* Simplify: merge equal flagged neighbours (+ wins). */
		if (k > 0 && t.flag != GF_NONE && v[k - 1].flag != GF_NONE && tok_equal(&t, &v[k - 1])) {
			if (t.flag == GF_PLUS)
				v[k - 1].flag = GF_PLUS;
		} else {
			v[k++] = t;
		}
		i = ni;
	}
	*out = v;
	*outn = k;
	return 0;
}

static bool set_has(const struct gtok *t, uint32_t r)
{
	for (size_t i = 0; i < t->nset; i++)
		if (r >= t->set[i].lo && r <= t->set[i].hi)
			return true;
	return false;
}

static bool tok_match(const struct gtok *a, const struct gtok *b)
{
	if (a->type > b->type) {
		const struct gtok *x = a;
		a = b;
		b = x;
	}
	if (a->type == GT_CHAR) {
		if (b->type == GT_CHAR)
			return a->r == b->r;
		if (b->type == GT_DOT)
			return true;
		return set_has(b, a->r);
	}
	if (a->type == GT_DOT)
		return true;
	for (size_t i = 0; i < a->nset; i++)
		for (size_t k = 0; k < b->nset; k++)
			if (a->set[i].lo <= b->set[k].hi && b->set[k].lo <= a->set[i].hi)
				return true;
	return false;
}

static bool gi_normal(struct gi *g, const struct gtok *a, size_t an, const struct gtok *b, size_t bn);

static bool gi_budget(struct gi *g)
{
	if (++g->steps > GI_MAX_STEPS) {
		g->too_complex = true;
		return false;
	}
	return true;
}

static bool gi_star(struct gi *g, const struct gtok *st, size_t sn, const struct gtok *o, size_t on)
{
	if (!gi_budget(g))
		return false;
	const struct gtok *next = sn > 1 ? &st[1] : NULL;
	for (size_t i = 0; i < on; i++) {
		if (next && tok_match(&o[i], next)) {
			if (gi_normal(g, st + 1, sn - 1, o + i, on - i))
				return true;
			if (g->too_complex || !tok_match(&o[i], &st[0]))
				return false;
		} else if (!tok_match(&o[i], &st[0])) {
			return false;
		}
	}
	return next == NULL;
}

static bool gi_plus(struct gi *g, const struct gtok *pl, size_t pn, const struct gtok *o, size_t on)
{
	if (!gi_budget(g) || !tok_match(&pl[0], &o[0]))
		return false;
	if (gi_star(g, pl, pn, o + 1, on - 1))
		return true;
	return o[0].flag != GF_NONE && gi_normal(g, pl + 1, pn - 1, o, on);
}

static bool gi_special(struct gi *g, const struct gtok *a, size_t an, const struct gtok *b, size_t bn)
{
	if (a[0].flag != GF_NONE)
		return a[0].flag == GF_PLUS ? gi_plus(g, a, an, b, bn) : gi_star(g, a, an, b, bn);
	return b[0].flag == GF_PLUS ? gi_plus(g, b, bn, a, an) : gi_star(g, b, bn, a, an);
}

static bool gi_normal(struct gi *g, const struct gtok *a, size_t an, const struct gtok *b, size_t bn)
{
	if (!gi_budget(g))
		return false;
	size_t i;
	for (i = 0; i < an && i < bn; i++) {
		if (a[i].flag == GF_NONE && b[i].flag == GF_NONE) {
			if (!tok_match(&a[i], &b[i]))
				return false;
		} else {
			return gi_special(g, a + i, an - i, b + i, bn - i);
		}
	}
	return i == an && i == bn;
}

static int gi_parse(rctx *cx, struct gi *g, const char *s, size_t n, struct gtok **t, size_t *tn)
{
	size_t cnt;
	uint32_t *runes = rarena_nalloc(rctx_arena(cx), n ? n : 1, sizeof(*runes));
	if (runes == NULL)
		return rbi_oom(cx);
	cnt = 0;
	for (size_t i = 0; i < n;)
		i += rutf8_decode((const unsigned char *)s + i, n - i, &runes[cnt++]);
	g->in = runes;
	g->n = cnt;
	g->src = s;
	g->srcn = n;
	return gi_tokenize(g, t, tn);
}

static int bi_globs_match(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *a, *b;
	size_t an, bn;
	int r;
	if ((r = rbi_arg_str(cx, args, 0, &a, &an)) < 0 || (r = rbi_arg_str(cx, args, 1, &b, &bn)) < 0)
		return r;
	struct gi g = {.cx = cx};
	struct gtok *g1, *g2;
	size_t n1, n2;
	if ((r = gi_parse(cx, &g, a, an, &g1, &n1)) < 0 || (r = gi_parse(cx, &g, b, bn, &g2, &n2)) < 0)
		return r;
	/* trimGlobs */
	long l = 0, r1, r2;
	bool ok = true;
	for (l = 0; l < (long)n1 && l < (long)n2 && g1[l].flag == GF_NONE && g2[l].flag == GF_NONE; l++)
		if (!tok_match(&g1[l], &g2[l])) {
			ok = false;
			break;
		}
	if (ok) {
		if (l > 0)
			l--;
		for (r1 = (long)n1 - 1, r2 = (long)n2 - 1; r1 >= 0 && r1 >= l && r2 >= 0 && r2 >= l &&
		                                            g1[r1].flag == GF_NONE && g2[r2].flag == GF_NONE;
		     r1--, r2--)
			if (!tok_match(&g1[r1], &g2[r2])) {
				ok = false;
				break;
			}
		if (ok && r1 < (long)n1 - 1) {
			r1++;
			r2++;
		}
		if (ok)
			ok = gi_normal(&g, g1 + l, (size_t)(r1 + 1 - l), g2 + l, (size_t)(r2 + 1 - l));
	}
	if (g.too_complex)
		return rbi_err(cx, "glob intersection too complex");
	*ret = rv_bool(ok);
	return 0;
}

const struct rbi rbi_group_regex[] = {
    {"regex.match", 2, bi_regex_match, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"regex.is_valid", 1, bi_regex_is_valid, NULL, 0, {RT_STR}, RT_BOOL},
    {"regex.find_n", 3, bi_regex_find_n, NULL, 0, {RT_STR, RT_STR, RT_NUM}, RT_ARR},
    {"regex.find_all_string_submatch_n", 3, bi_regex_find_all_submatch, NULL, 0, {RT_STR, RT_STR, RT_NUM},
     RT_ARR},
    {"regex.replace", 3, bi_regex_replace, NULL, 0, {RT_STR, RT_STR, RT_STR}, RT_STR},
    {"regex.split", 2, bi_regex_split, NULL, 0, {RT_STR, RT_STR}, RT_ARR},
    {"regex.template_match", 4, bi_regex_template_match, NULL, 0, {RT_STR, RT_STR, RT_STR, RT_STR},
     RT_BOOL},
    {"regex.globs_match", 2, bi_globs_match, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {NULL, 0, NULL, NULL, 0, {0}, 0},
};
