/* Go regexp (RE2) syntax for the regex builtins: parses a Go pattern,
 * rejecting what RE2 rejects with Go's error texts, and compiles an
 * equivalent PCRE2 pattern: every literal is escaped, \s is spelled out
 * (Go's \s has no \v), classes are explicit, named groups become plain
 * groups (their names are kept for "${name}"). PCRE2 runs in UTF mode with
 * '$' only at the very end (PCRE2_DOLLAR_ENDONLY, as Go) and (?m)^ after a
 * final newline (PCRE2_ALT_CIRCUMFLEX, as Go). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../hex.h"
#include "../utf8.h"
#include "cocoon/buf.h"
#include "regex_int.h"

#define RE_MAX_DEPTH 1000   /* Go: maxHeight */
#define RE_MAX_REPEAT 1000  /* Go: repeat counts and nested products */

/* ---- runes ------------------------------------------------------------ */

bool rre_letter_or_digit(uint32_t r)
{
	if (r < 0x80)
		return (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
	/* Go uses unicode.IsLetter/IsDigit; treat non-ASCII runes outside
	 * the common punctuation and space blocks as letters. */
	return !(r <= 0xBF || (r >= 0x2000 && r <= 0x206F) || (r >= 0x3000 && r <= 0x303F) ||
	         r == RUTF8_ERROR);
}

/* ---- Go (RE2) syntax -> PCRE2 pattern ----------------------------------- */

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
				int h = rhex_digit(c);
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
		int x = rhex_digit(c);
		if (i >= t->n)
			return tr_err(t, "invalid escape sequence", at, i);
		if ((r = tr_rune(t, i, &c, &w)) < 0)
			return r;
		i += w;
		int y = rhex_digit(c);
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
		if (r != '_' && !rre_letter_or_digit(r))
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

void rre_free_names(char **names, uint32_t ncap)
{
	if (names == NULL)
		return;
	for (uint32_t k = 0; k <= ncap; k++)
		free(names[k]);
	free(names);
}

/* ---- compiling ---------------------------------------------------------- */

/* Compiles a Go pattern into e (code, names) or records Go's error. */
void rre_compile_go(struct rentry *e, const char *pat, size_t n)
{
	struct tr t;
	int r = translate(&t, pat, n);
	free(t.grp);
	if (r < 0) {
		e->err = t.err;
		e->oom = t.oom || t.err == NULL;
		rre_free_names(t.names, t.ncap);
		cc_buf_free(&t.out);
		return;
	}
	pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
	if (cc == NULL) {
		e->oom = true;
		rre_free_names(t.names, t.ncap);
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
		rre_free_names(t.names, t.ncap);
		return;
	}
	e->ncap = t.ncap;
	e->names = t.names;
}
