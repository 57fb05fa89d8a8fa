/* Rego lexer (lexer.h), after OPA's v1/ast/internal/scanner. */
#include "names.h"
#include "lexer.h"

#include <errno.h>
#include <string.h>

#include "hex.h"
#include "utf8.h"

/* ---- source checks ----------------------------------------------------- */

/* The error for the character at s (n > 0 bytes left), or NULL with its
 * width in *w. */
static const char *bad_char(const unsigned char *s, size_t n, size_t *w)
{
	*w = 1;
	if (s[0] == 0)
		return "illegal null character";
	if (s[0] < 0x80)
		return NULL;
	uint32_t r;
	*w = rutf8_decode(s, n, &r);
	if (*w == 1) /* overlong forms, surrogates, > U+10FFFF: as Go */
		return "illegal utf-8 character";
	if (*w == 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
		return "illegal byte-order mark";
	return NULL;
}

int rlex_check_source(const char *src, size_t len, size_t max_line,
                      size_t max_lines, const char **msg, uint32_t *line,
                      uint32_t *col)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t off = 0, line_start = 0, nlines = 1;
	const char *bad = NULL;
	if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
		off = 3;
	while (off < len) {
		const unsigned char *nl = memchr(s + off, '\n', len - off);
		size_t end = nl ? (size_t)(nl - s) : len;
		size_t limit = end - line_start > max_line ? line_start + max_line : end;
		/* Printable ASCII and control bytes other than NUL take the fast
		 * path; NUL and multi-byte sequences are checked one by one. A
		 * sequence never crosses the newline (continuation bytes are
		 * 0x80-0xBF). */
		while (off < limit) {
			unsigned char c = s[off];
			if ((unsigned char)(c - 1) < 0x7f) {
				off++;
				continue;
			}
			size_t w;
			if ((bad = bad_char(s + off, len - off, &w)) != NULL)
				goto fail;
			off += w;
		}
		if (off < end) {
			/* A bad character here is reported before the length. */
			size_t w;
			if ((bad = bad_char(s + off, len - off, &w)) == NULL)
				bad = "line too long";
			goto fail;
		}
		if (nl == NULL)
			break;
		off = end + 1;
		line_start = off;
		if (line_start < len && ++nlines > max_lines) {
			*msg = "too many lines";
			*line = (uint32_t)(nlines > UINT32_MAX ? UINT32_MAX : nlines);
			*col = 1;
			return -EINVAL;
		}
	}
	return 0;
fail:
	*msg = bad;
	*line = (uint32_t)(nlines > UINT32_MAX ? UINT32_MAX : nlines);
	size_t cl = off - line_start + 1;
	*col = (uint32_t)(cl > UINT32_MAX ? UINT32_MAX : cl);
	return -EINVAL;
}

/* ---- cursor ------------------------------------------------------------ */

void rlex_init(struct rlexer *lx, const char *src, size_t len)
{
	lx->src = src;
	lx->len = len;
	lx->off = 0;
	lx->line = 1;
	lx->col = 1;
	if (len >= 3 && (unsigned char)src[0] == 0xEF && (unsigned char)src[1] == 0xBB &&
	    (unsigned char)src[2] == 0xBF)
		lx->off = 3;
}

/* Current byte, or -1 at the end. */
static int peekc(const struct rlexer *lx)
{
	if (lx->off >= lx->len)
		return -1;
	return (unsigned char)lx->src[lx->off];
}

/* Consumes one byte (a whole character for ASCII; columns count bytes). */
static void advance(struct rlexer *lx)
{
	if (lx->off >= lx->len)
		return;
	if (lx->src[lx->off] == '\n') {
		if (lx->line < UINT32_MAX)
			lx->line++;
		lx->col = 1;
	} else if (lx->col < UINT32_MAX) {
		lx->col++;
	}
	lx->off++;
}

/* Consumes n bytes known to hold no newline. */
static void advance_n(struct rlexer *lx, size_t n)
{
	lx->off += n;
	lx->col = n < UINT32_MAX - lx->col ? lx->col + (uint32_t)n : UINT32_MAX;
}

static bool is_letter(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

/* ---- keywords and names ------------------------------------------------ */

static const char *const kind_names[RT_NKINDS] = {
    [RT_ILLEGAL] = "illegal",
    [RT_EOF] = "eof",
    [RT_IDENT] = "identifier",
    [RT_NUMBER] = "number",
    [RT_STRING] = "string",
    [RT_TPART] = "template-string-part",
    [RT_TEND] = "template-string-end",
    [RT_LBRACK] = "[",
    [RT_RBRACK] = "]",
    [RT_LBRACE] = "{",
    [RT_RBRACE] = "}",
    [RT_LPAREN] = "(",
    [RT_RPAREN] = ")",
    [RT_COMMA] = ",",
    [RT_COLON] = ":",
    [RT_ADD] = "plus",
    [RT_SUB] = "minus",
    [RT_MUL] = "mul",
    [RT_QUO] = "div",
    [RT_REM] = "rem",
    [RT_AND] = "and",
    [RT_OR] = "or",
    [RT_UNIFY] = "eq",
    [RT_EQUAL] = "equal",
    [RT_ASSIGN] = "assign",
    [RT_NEQ] = "neq",
    [RT_GT] = "gt",
    [RT_LT] = "lt",
    [RT_GTE] = "gte",
    [RT_LTE] = "lte",
    [RT_DOT] = ".",
    [RT_SEMI] = ";",
    [RT_PACKAGE] = "package",
    [RT_IMPORT] = "import",
    [RT_AS] = "as",
    [RT_DEFAULT] = "default",
    [RT_ELSE] = "else",
    [RT_NOT] = "not",
    [RT_SOME] = "some",
    [RT_WITH] = "with",
    [RT_NULL] = "null",
    [RT_TRUE] = "true",
    [RT_FALSE] = "false",
    [RT_IN] = "in",
    [RT_EVERY] = "every",
    [RT_CONTAINS] = "contains",
    [RT_IF] = "if",
};

const char *rlex_kind_name(int kind)
{
	if (kind < 0 || kind >= RT_NKINDS || kind_names[kind] == NULL)
		return "unknown";
	return kind_names[kind];
}

static uint8_t keyword_of(const char *s, size_t n)
{
	/* Keywords are 2-8 lower-case letters; most identifiers are not. */
	if (n < 2 || n > 8 || s[0] < 'a' || s[0] > 'w')
		return 0;
	for (int k = RT_KW_FIRST; k <= RT_KW_LAST; k++) {
		const char *name = kind_names[k];
		if (rname_eq(name, s, n))
			return (uint8_t)k;
	}
	return 0;
}

/* ---- token scanners ---------------------------------------------------- */

static void set_err(struct rtoken *t, const char *msg)
{
	if (t->err == NULL)
		t->err = msg;
	t->kind = RT_ILLEGAL;
}

static void scan_ident(struct rlexer *lx, struct rtoken *t)
{
	size_t end = lx->off;
	while (end < lx->len && (is_letter((unsigned char)lx->src[end]) ||
	                         is_digit((unsigned char)lx->src[end])))
		end++;
	advance_n(lx, end - lx->off);
	t->kind = RT_IDENT;
	t->kw = keyword_of(lx->src + t->off, lx->off - t->off);
}

static void scan_digits(struct rlexer *lx, bool *found)
{
	*found = false;
	while (is_digit(peekc(lx))) {
		advance(lx);
		*found = true;
	}
}

static void scan_number(struct rlexer *lx, struct rtoken *t)
{
	bool found;
	t->kind = RT_NUMBER;
	scan_digits(lx, &found);
	if (peekc(lx) == '.') {
		advance(lx);
		scan_digits(lx, &found);
		if (!found)
			set_err(t, "expected fraction");
	}
	int c = peekc(lx);
	if (c == 'e' || c == 'E') {
		advance(lx);
		c = peekc(lx);
		if (c == '+' || c == '-')
			advance(lx);
		scan_digits(lx, &found);
		if (!found)
			set_err(t, "expected exponent");
	}
	if (is_letter(peekc(lx))) {
		set_err(t, "illegal number format");
		while (is_letter(peekc(lx)) || is_digit(peekc(lx)))
			advance(lx);
	}
}

/* After a backslash in a "..." string: checks and skips the escape. As in
 * OPA, \u skips the `u` and three more characters (the fourth is scanned as
 * ordinary content); the hex digits are validated when decoding. */
static void scan_escape(struct rlexer *lx, struct rtoken *t, bool tmpl)
{
	int c = peekc(lx);
	switch (c) {
	case '\\': case '"': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
		advance(lx);
		return;
	case 'u':
		for (int i = 0; i < 4; i++)
			advance(lx);
		return;
	case '{':
		if (tmpl) {
			advance(lx);
			return;
		}
		break;
	default:
		break;
	}
	set_err(t, "illegal escape sequence");
}

static void scan_string(struct rlexer *lx, struct rtoken *t)
{
	t->kind = RT_STRING;
	for (;;) {
		/* Plain content in one step. */
		size_t end = lx->off;
		while (end < lx->len && lx->src[end] != '"' && lx->src[end] != '\\' &&
		       lx->src[end] != '\n')
			end++;
		advance_n(lx, end - lx->off);
		int c = peekc(lx);
		if (c == '\n' || c < 0) {
			set_err(t, "non-terminated string");
			return;
		}
		advance(lx);
		if (c == '"')
			return;
		if (c == '\\')
			scan_escape(lx, t, false);
	}
}

static void scan_raw_string(struct rlexer *lx, struct rtoken *t)
{
	t->kind = RT_STRING;
	t->flags |= RTF_RAW;
	for (;;) {
		int c = peekc(lx);
		if (c < 0) {
			set_err(t, "non-terminated string");
			return;
		}
		advance(lx);
		if (c == '`')
			return;
	}
}

/* Scans template content up to `{` (RT_TPART) or the closing quote
 * (RT_TEND). The token text is the content without delimiters. */
static void scan_template_body(struct rlexer *lx, struct rtoken *t, bool raw)
{
	size_t start = lx->off;
	t->kind = RT_TPART;
	if (raw)
		t->flags |= RTF_RAW;
	for (;;) {
		int c = peekc(lx);
		if (c < 0 || (c == '\n' && !raw)) {
			t->off = start;
			t->len = lx->off - start;
			set_err(t, "non-terminated string");
			return;
		}
		size_t end = lx->off;
		advance(lx);
		if (c == (raw ? '`' : '"')) {
			t->kind = RT_TEND;
			t->off = start;
			t->len = end - start;
			return;
		}
		if (c == '{') {
			t->off = start;
			t->len = end - start;
			return;
		}
		if (c == '\\') {
			if (!raw)
				scan_escape(lx, t, true);
			else if (peekc(lx) == '{')
				advance(lx);
		}
	}
}

void rlex_template(struct rlexer *lx, struct rtoken *t, bool raw)
{
	memset(t, 0, sizeof(*t));
	t->line = lx->line;
	t->col = lx->col;
	scan_template_body(lx, t, raw);
}

/* Skips whitespace and comments, recording them in t->flags. */
static void skip_space(struct rlexer *lx, struct rtoken *t)
{
	const char *src = lx->src;
	size_t off = lx->off, len = lx->len;
	uint32_t line = lx->line, col = lx->col;
	uint8_t flags = 0;
	while (off < len) {
		char c = src[off];
		if (c == ' ' || c == '\t' || c == '\r') {
			flags |= RTF_WS;
			off++;
			if (col < UINT32_MAX)
				col++;
		} else if (c == '\n') {
			flags |= RTF_WS | RTF_NL;
			off++;
			if (line < UINT32_MAX)
				line++;
			col = 1;
		} else if (c == '#') {
			flags |= RTF_WS;
			const char *nl = memchr(src + off, '\n', len - off);
			size_t end = nl ? (size_t)(nl - src) : len;
			col = end - off < UINT32_MAX - col ? col + (uint32_t)(end - off) : UINT32_MAX;
			off = end;
		} else {
			break;
		}
	}
	lx->off = off;
	lx->line = line;
	lx->col = col;
	t->flags |= flags;
}

/* Two-character operators: `c` followed by '=' gives `with_eq`. */
static uint8_t op_eq(struct rlexer *lx, uint8_t plain, uint8_t with_eq)
{
	if (peekc(lx) == '=') {
		advance(lx);
		return with_eq;
	}
	return plain;
}

static uint8_t punct_kind(int c)
{
	switch (c) {
	case '[': return RT_LBRACK;
	case ']': return RT_RBRACK;
	case '{': return RT_LBRACE;
	case '}': return RT_RBRACE;
	case '(': return RT_LPAREN;
	case ')': return RT_RPAREN;
	case ',': return RT_COMMA;
	case '+': return RT_ADD;
	case '-': return RT_SUB;
	case '*': return RT_MUL;
	case '/': return RT_QUO;
	case '%': return RT_REM;
	case '&': return RT_AND;
	case '|': return RT_OR;
	case ';': return RT_SEMI;
	case '.': return RT_DOT;
	default: return RT_ILLEGAL;
	}
}

/* Scans an operator or punctuation token; the first byte `c` is consumed.
 * Returns true when the token set its own text span (template strings). */
static bool scan_punct(struct rlexer *lx, struct rtoken *t, int c)
{
	switch (c) {
	case ':': t->kind = op_eq(lx, RT_COLON, RT_ASSIGN); return false;
	case '=': t->kind = op_eq(lx, RT_UNIFY, RT_EQUAL); return false;
	case '>': t->kind = op_eq(lx, RT_GT, RT_GTE); return false;
	case '<': t->kind = op_eq(lx, RT_LT, RT_LTE); return false;
	case '!':
		t->kind = op_eq(lx, RT_ILLEGAL, RT_NEQ);
		if (t->kind == RT_ILLEGAL)
			set_err(t, "illegal ! character");
		return false;
	case '"': scan_string(lx, t); return false;
	case '`': scan_raw_string(lx, t); return false;
	case '$':
		if (peekc(lx) == '"' || peekc(lx) == '`') {
			bool raw = peekc(lx) == '`';
			advance(lx);
			scan_template_body(lx, t, raw);
			return true;
		}
		set_err(t, "illegal $ character");
		return false;
	default:
		break;
	}
	t->kind = punct_kind(c);
	if (t->kind == RT_ILLEGAL) {
		/* Unknown character: consume the rest of a multi-byte one. */
		while (peekc(lx) >= 0x80 && peekc(lx) < 0xC0)
			advance(lx);
	}
	return false;
}

void rlex_scan(struct rlexer *lx, struct rtoken *t)
{
	memset(t, 0, sizeof(*t));
	skip_space(lx, t);
	t->line = lx->line;
	t->col = lx->col;
	t->off = lx->off;
	int c = peekc(lx);
	if (c < 0) {
		t->kind = RT_EOF;
	} else if (is_letter(c)) {
		scan_ident(lx, t);
	} else if (is_digit(c)) {
		scan_number(lx, t);
	} else {
		advance(lx);
		if (scan_punct(lx, t, c))
			return; /* template strings set their own span */
	}
	t->len = lx->off - t->off;
}

/* ---- string decoding ---------------------------------------------------- */

/* Reads \uXXXX at p[i] (p[i] == '\\', p[i+1] == 'u'). */
static int read_u4(const char *p, size_t n, size_t i, uint32_t *cp)
{
	if (i > n || 6 > n - i || p[i] != '\\' || p[i + 1] != 'u')
		return -EINVAL;
	uint32_t v = 0;
	for (size_t k = 2; k < 6; k++) {
		int h = rhex_digit((unsigned char)p[i + k]);
		if (h < 0)
			return -EINVAL;
		v = (v << 4) | (uint32_t)h;
	}
	*cp = v;
	return 0;
}

/* Decodes \uXXXX (and a following low surrogate) at p[*i]; advances *i. */
static int decode_u(const char *p, size_t n, size_t *i, char *out, size_t *o)
{
	uint32_t cp;
	if (read_u4(p, n, *i, &cp) < 0)
		return -EINVAL;
	*i += 6;
	if (cp >= 0xD800 && cp < 0xDC00) {
		uint32_t lo;
		if (read_u4(p, n, *i, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
			*i += 6;
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		} else {
			cp = 0xFFFD;
		}
	} else if (cp >= 0xDC00 && cp < 0xE000) {
		cp = 0xFFFD;
	}
	*o += rutf8_encode(cp, out + *o);
	return 0;
}

static char simple_escape(int c)
{
	switch (c) {
	case '"': return '"';
	case '\\': return '\\';
	case '/': return '/';
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	default: return 0;
	}
}

/* True if the text has an escape other than the template `\{`. */
static bool has_json_escape(const char *p, size_t n, bool tmpl)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\\')
			continue;
		if (tmpl && i + 1 < n && p[i + 1] == '{') {
			i++;
			continue;
		}
		return true;
	}
	return false;
}

int rlex_unescape(const char *p, size_t n, bool tmpl, char *out, size_t *outlen)
{
	/* OPA only runs the JSON decoder when there is an escape to undo, so
	 * control characters are accepted in strings without escapes. */
	bool json = has_json_escape(p, n, tmpl);
	size_t o = 0, i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		if (c != '\\') {
			if (json && c < 0x20)
				return -EINVAL;
			out[o++] = (char)c;
			i++;
			continue;
		}
		if (i + 1 >= n)
			return -EINVAL;
		int e = (unsigned char)p[i + 1];
		if (tmpl && e == '{') {
			out[o++] = '{';
			i += 2;
		} else if (e == 'u') {
			if (decode_u(p, n, &i, out, &o) < 0)
				return -EINVAL;
		} else {
			char s = simple_escape(e);
			if (s == 0)
				return -EINVAL;
			out[o++] = s;
			i += 2;
		}
	}
	*outlen = o;
	return 0;
}
