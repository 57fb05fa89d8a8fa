/* GraphQL tokens and the parser core, as gqlparser's lexer and parser
 * read them: columns count runes, the first error wins, a lexer error is
 * reported when its token is consumed ("Unexpected <Invalid>" when the
 * parser rejects the peeked token first), and messages are gqlparser's. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "graphql_int.h"

/* ---- small helpers ------------------------------------------------------ */

void gq_errf(struct gq_err *e, struct gq_pos pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->pos = pos;
}

void *gq_new(rarena *a, size_t size)
{
	return rarena_zalloc(a, size);
}

int gq_push(rarena *a, struct gq_list *l, void *item)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		void **v = rarena_nalloc(a, cap, sizeof(void *));
		if (v == NULL)
			return -1;
		if (l->n)
			memcpy(v, l->v, l->n * sizeof(void *));
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = item;
	return 0;
}

int gq_named_cmp(const void *x, const void *y)
{
	const struct gq_named *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

ptrdiff_t gq_first_dup(rarena *a, const struct gq_list *l, const char *(*name)(const void *item), bool by_first,
                       size_t *first)
{
	if (l->n < 2)
		return -1;
	struct gq_named *v = rarena_nalloc(a, l->n, sizeof(*v));
	if (v == NULL)
		return -2;
	for (size_t i = 0; i < l->n; i++) {
		v[i].name = name(l->v[i]);
		v[i].idx = i;
	}
	qsort(v, l->n, sizeof(*v), gq_named_cmp);
	/* each run of equal names is sorted by index: [0] first, [1] second */
	ptrdiff_t best = -1;
	size_t best_key = SIZE_MAX, best_first = 0;
	for (size_t i = 0; i + 1 < l->n; i++) {
		if (strcmp(v[i].name, v[i + 1].name) != 0 || (i > 0 && strcmp(v[i - 1].name, v[i].name) == 0))
			continue;
		size_t key = by_first ? v[i].idx : v[i + 1].idx;
		if (key < best_key) {
			best_key = key;
			best = (ptrdiff_t)v[i + 1].idx;
			best_first = v[i].idx;
		}
	}
	if (first)
		*first = best_first;
	return best;
}

/* Go's utf8.DecodeRuneInString: invalid or short sequences decode as
 * U+FFFD with width 1. */
static unsigned decode_rune(const unsigned char *s, size_t n, size_t *w)
{
	unsigned c = s[0];
	*w = 1;
	if (c < 0x80)
		return c;
	unsigned need, min, r;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1, min = 0x80, r = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, min = 0x800, r = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, min = 0x10000, r = c & 0x07;
	else
		return 0xfffd;
	if (n < need + 1)
		return 0xfffd;
	for (unsigned i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0xfffd;
		r = (r << 6) | (s[i] & 0x3f);
	}
	if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		return 0xfffd;
	*w = need + 1;
	return r;
}

static size_t put_rune(char *out, unsigned r)
{
	if (r >= 0xd800 && r <= 0xdfff)
		r = 0xfffd;
	if (r < 0x80) {
		out[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		out[0] = (char)(0xc0 | (r >> 6));
		out[1] = (char)(0x80 | (r & 0x3f));
		return 2;
	}
	if (r < 0x10000) {
		out[0] = (char)(0xe0 | (r >> 12));
		out[1] = (char)(0x80 | ((r >> 6) & 0x3f));
		out[2] = (char)(0x80 | (r & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (r >> 18));
	out[1] = (char)(0x80 | ((r >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((r >> 6) & 0x3f));
	out[3] = (char)(0x80 | (r & 0x3f));
	return 4;
}

const char *gq_quote(rarena *a, const char *s, size_t n)
{
	/* worst case: every byte becomes \xNN or a rune becomes \uNNNN */
	size_t cap = (n + 1) * 6 + 3;
	char *out = rarena_alloc(a, cap);
	if (n > SIZE_MAX / 8 || out == NULL)
		return "\"\"";
	size_t o = 0;
	out[o++] = '"';
	for (size_t i = 0; i < n;) {
		size_t w;
		unsigned r = decode_rune((const unsigned char *)s + i, n - i, &w);
		unsigned char c = (unsigned char)s[i];
		if (r == 0xfffd && w == 1 && c >= 0x80) {
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
		} else if (r == '"' || r == '\\') {
			out[o++] = '\\';
			out[o++] = (char)r;
		} else if (r < 0x20 || r == 0x7f) {
			const char *esc = NULL;
			switch (r) {
			case '\a': esc = "\\a"; break;
			case '\b': esc = "\\b"; break;
			case '\f': esc = "\\f"; break;
			case '\n': esc = "\\n"; break;
			case '\r': esc = "\\r"; break;
			case '\t': esc = "\\t"; break;
			case '\v': esc = "\\v"; break;
			default: break;
			}
			if (esc) {
				memcpy(out + o, esc, 2);
				o += 2;
			} else {
				o += (size_t)snprintf(out + o, cap - o, "\\x%02x", r);
			}
		} else if (r >= 0x80 && r < 0xa0) {
			o += (size_t)snprintf(out + o, cap - o, "\\u%04x", r);
		} else {
			memcpy(out + o, s + i, w);
			o += w;
		}
		i += w;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

/* ---- lexer ---------------------------------------------------------------- */

static const char *const kind_names[] = {
    "<Invalid>", "<EOF>", "!", "$", "&", "(", ")", "...", ":", "=", "@", "[",
    "]", "{", "}", "|", "Name", "Int", "Float", "String", "BlockString",
};

const char *gq_tok_kind_name(int kind)
{
	if (kind < 0 || (size_t)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "<Invalid>";
	return kind_names[kind];
}

struct lexstate {
	size_t start;
	long start_runes;
};

static struct gq_token mk(struct gq_parser *p, const struct lexstate *ls, int kind,
                          const char *v, size_t vn)
{
	struct gq_token t;
	t.kind = kind;
	t.val.p = v;
	t.val.n = vn;
	t.pos.line = p->line;
	t.pos.col = (int)(ls->start_runes - p->line_start_runes + 1);
	return t;
}

/* A lexer error: an Invalid token and the pending error. */
static struct gq_token lex_error(struct gq_parser *p, const struct lexstate *ls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static struct gq_token lex_error(struct gq_parser *p, const struct lexstate *ls, const char *fmt, ...)
{
	int col = (int)(p->end_runes - p->line_start_runes + 1);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->peek_err.msg, sizeof(p->peek_err.msg), fmt, ap);
	va_end(ap);
	p->peek_err.pos.line = p->line;
	p->peek_err.pos.col = col;
	p->peek_failed = true;
	struct gq_token t = mk(p, ls, GQT_INVALID, "", 0);
	t.pos.col = col;
	return t;
}

static void ws(struct gq_parser *p)
{
	while (p->end < p->n) {
		unsigned char c = (unsigned char)p->s[p->end];
		if (c == '\t' || c == ' ' || c == ',') {
			p->end++, p->end_runes++;
		} else if (c == '\n') {
			p->end++, p->end_runes++;
			p->line++;
			p->line_start_runes = p->end_runes;
		} else if (c == '\r') {
			p->end++, p->end_runes++;
			p->line++;
			p->line_start_runes = p->end_runes;
			if (p->end < p->n && p->s[p->end] == '\n')
				p->end++, p->end_runes++;
		} else if (c == 0xef && p->end + 2 < p->n && (unsigned char)p->s[p->end + 1] == 0xbb &&
		           (unsigned char)p->s[p->end + 2] == 0xbf) {
			p->end += 3;
			p->end_runes++;
		} else {
			return;
		}
	}
}

static size_t digits(struct gq_parser *p)
{
	size_t k = 0;
	while (p->end < p->n && p->s[p->end] >= '0' && p->s[p->end] <= '9')
		p->end++, p->end_runes++, k++;
	return k;
}

static const char *describe_next(struct gq_parser *p, char *buf)
{
	if (p->end < p->n) {
		unsigned c = (unsigned char)p->s[p->end];
		size_t k = put_rune(buf + 1, c); /* Go's string(byte) */
		buf[0] = '"';
		buf[k + 1] = '"';
		buf[k + 2] = '\0';
		return buf;
	}
	return "<EOF>";
}

static struct gq_token read_number(struct gq_parser *p, struct lexstate *ls)
{
	char buf[8];
	bool isfloat = false;
	p->end--, p->end_runes--;
	if (p->end < p->n && p->s[p->end] == '-')
		p->end++, p->end_runes++;
	if (p->end < p->n && p->s[p->end] == '0') {
		p->end++, p->end_runes++;
		size_t k = digits(p);
		if (k) {
			p->end -= k;
			p->end_runes -= (long)k;
			return lex_error(p, ls, "Invalid number, unexpected digit after 0: %s.", describe_next(p, buf));
		}
	} else if (digits(p) == 0) {
		return lex_error(p, ls, "Invalid number, expected digit but got: %s.", describe_next(p, buf));
	}
	if (p->end < p->n && p->s[p->end] == '.') {
		p->end++, p->end_runes++;
		isfloat = true;
		if (digits(p) == 0)
			return lex_error(p, ls, "Invalid number, expected digit but got: %s.", describe_next(p, buf));
	}
	if (p->end < p->n && (p->s[p->end] == 'e' || p->s[p->end] == 'E')) {
		p->end++, p->end_runes++;
		isfloat = true;
		if (p->end < p->n && (p->s[p->end] == '-' || p->s[p->end] == '+'))
			p->end++, p->end_runes++;
		if (digits(p) == 0)
			return lex_error(p, ls, "Invalid number, expected digit but got: %s.", describe_next(p, buf));
	}
	return mk(p, ls, isfloat ? GQT_FLOAT : GQT_INT, p->s + ls->start, p->end - ls->start);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static struct gq_token read_string(struct gq_parser *p, struct lexstate *ls)
{
	char *buf = NULL; /* only when there are escapes */
	size_t bn = 0;
	ls->start++;
	ls->start_runes++;
	while (p->end < p->n) {
		unsigned char c = (unsigned char)p->s[p->end];
		if (c == '\n' || c == '\r')
			break;
		if (c < 0x20 && c != '\t')
			return lex_error(p, ls, "Invalid character within String: \"\\u%04d\".", c);
		if (c == '"') {
			struct gq_token t = mk(p, ls, GQT_STRING, p->s + ls->start, p->end - ls->start);
			if (buf) {
				buf[bn] = '\0';
				t.val.p = buf;
				t.val.n = bn;
			}
			p->end++, p->end_runes++;
			return t;
		}
		if (c == '\\') {
			if (p->end + 1 >= p->n) {
				p->end++, p->end_runes++;
				return lex_error(p, ls, "Invalid character escape sequence.");
			}
			if (buf == NULL) {
				/* at most 4 bytes out per input byte (a rune from 6 bytes
				 * is at most 4 bytes; U+FFFD from one invalid byte is 3) */
				buf = rarena_nalloc(p->a, p->n - ls->start + 1, 4);
				if (buf == NULL) {
					gq_oom(p);
					return lex_error(p, ls, "out of memory");
				}
				bn = p->end - ls->start;
				memcpy(buf, p->s + ls->start, bn);
			}
			char esc = p->s[p->end + 1];
			if (esc == 'u') {
				if (p->end + 6 >= p->n) {
					p->end++, p->end_runes++;
					return lex_error(p, ls, "Invalid character escape sequence: \\%.*s.",
					                 (int)(p->n - p->end), p->s + p->end);
				}
				unsigned r = 0;
				for (int i = 2; i < 6; i++) {
					int h = hexval(p->s[p->end + (size_t)i]);
					if (h < 0) {
						p->end++, p->end_runes++;
						return lex_error(p, ls, "Invalid character escape sequence: \\%.*s.", 5,
						                 p->s + p->end);
					}
					r = (r << 4) | (unsigned)h;
				}
				bn += put_rune(buf + bn, r);
				p->end += 6, p->end_runes += 6;
			} else {
				char o;
				switch (esc) {
				case '"': case '/': case '\\': o = esc; break;
				case 'b': o = '\b'; break;
				case 'f': o = '\f'; break;
				case 'n': o = '\n'; break;
				case 'r': o = '\r'; break;
				case 't': o = '\t'; break;
				default: {
					char tmp[8];
					size_t k = put_rune(tmp, (unsigned char)esc);
					tmp[k] = '\0';
					p->end++, p->end_runes++;
					return lex_error(p, ls, "Invalid character escape sequence: \\%s.", tmp);
				}
				}
				buf[bn++] = o;
				p->end += 2, p->end_runes += 2;
			}
			continue;
		}
		size_t w = 1;
		unsigned r = c;
		if (c >= 127)
			r = decode_rune((const unsigned char *)p->s + p->end, p->n - p->end, &w);
		if (buf) {
			if (c >= 127)
				bn += put_rune(buf + bn, r);
			else
				buf[bn++] = (char)c;
		}
		p->end += w, p->end_runes++;
	}
	return lex_error(p, ls, "Unterminated string.");
}

/* Leading spaces/tabs of a line, or -1 when the line is all blank. */
static long lead_ws(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return (long)i;
	return -1;
}

/* GraphQL's BlockStringValue: common indentation removed from every line
 * but the first, blank leading and trailing lines dropped. */
static struct gq_str block_value(rarena *a, const char *raw, size_t n)
{
	struct gq_str out = {"", 0};
	size_t nlines = 1;
	for (size_t i = 0; i < n; i++)
		if (raw[i] == '\n')
			nlines++;
	size_t *ls = rarena_nalloc(a, nlines, sizeof(size_t));
	size_t *le = rarena_nalloc(a, nlines, sizeof(size_t));
	char *o = rarena_alloc(a, n + 1);
	if (ls == NULL || le == NULL || o == NULL)
		return out;
	size_t k = 0, st = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || raw[i] == '\n') {
			ls[k] = st;
			le[k] = i;
			k++;
			st = i + 1;
		}
	}
	long common = -1;
	for (size_t i = 1; i < nlines; i++) {
		long ind = lead_ws(raw + ls[i], le[i] - ls[i]);
		if (ind >= 0 && (common < 0 || ind < common))
			common = ind;
	}
	if (common > 0) {
		for (size_t i = 1; i < nlines; i++) {
			if (le[i] - ls[i] < (size_t)common)
				ls[i] = le[i];
			else
				ls[i] += (size_t)common;
		}
	}
	size_t first = 0, last = nlines;
	while (first < last && lead_ws(raw + ls[first], le[first] - ls[first]) < 0)
		first++;
	while (first < last && lead_ws(raw + ls[last - 1], le[last - 1] - ls[last - 1]) < 0)
		last--;
	size_t on = 0;
	for (size_t i = first; i < last; i++) {
		if (i > first)
			o[on++] = '\n';
		memcpy(o + on, raw + ls[i], le[i] - ls[i]);
		on += le[i] - ls[i];
	}
	o[on] = '\0';
	out.p = o;
	out.n = on;
	return out;
}

static struct gq_token read_block_string(struct gq_parser *p, struct lexstate *ls)
{
	char *buf = rarena_nalloc(p->a, p->n - p->end + 1, 3);
	size_t bn = 0;
	if (buf == NULL) {
		gq_oom(p);
		return lex_error(p, ls, "out of memory");
	}
	ls->start += 3;
	ls->start_runes += 3;
	p->end += 2, p->end_runes += 2;
	while (p->end < p->n) {
		unsigned char c = (unsigned char)p->s[p->end];
		if (c == '"' && p->end + 3 <= p->n && memcmp(p->s + p->end, "\"\"\"", 3) == 0) {
			struct gq_str v = block_value(p->a, buf, bn);
			struct gq_token t = mk(p, ls, GQT_BLOCKSTRING, v.p, v.n);
			p->end += 3, p->end_runes += 3;
			return t;
		}
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return lex_error(p, ls, "Invalid character within String: \"\\u%04d\".", c);
		if (c == '\\' && p->end + 4 <= p->n && memcmp(p->s + p->end, "\\\"\"\"", 4) == 0) {
			memcpy(buf + bn, "\"\"\"", 3);
			bn += 3;
			p->end += 4, p->end_runes += 4;
		} else if (c == '\r') {
			if (p->end + 1 < p->n && p->s[p->end + 1] == '\n')
				p->end++, p->end_runes++;
			buf[bn++] = '\n';
			p->end++, p->end_runes++;
			p->line++;
			p->line_start_runes = p->end_runes;
		} else {
			size_t w = 1;
			unsigned r = c;
			if (c >= 127)
				r = decode_rune((const unsigned char *)p->s + p->end, p->n - p->end, &w);
			if (c >= 127)
				bn += put_rune(buf + bn, r);
			else
				buf[bn++] = (char)c;
			p->end += w, p->end_runes++;
			if (c == '\n') {
				p->line++;
				p->line_start_runes = p->end_runes;
			}
		}
	}
	return lex_error(p, ls, "Unterminated string.");
}

static bool name_start(unsigned char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static struct gq_token read_token(struct gq_parser *p)
{
	struct lexstate ls;
	for (;;) {
		ws(p);
		ls.start = p->end;
		ls.start_runes = p->end_runes;
		if (p->end >= p->n)
			return mk(p, &ls, GQT_EOF, "", 0);
		unsigned char c = (unsigned char)p->s[p->end];
		if (c != '#')
			break;
		/* comment: up to a line terminator */
		p->end++, p->end_runes++;
		while (p->end < p->n) {
			size_t w;
			unsigned r = decode_rune((const unsigned char *)p->s + p->end, p->n - p->end, &w);
			if (r > 0x1f || r == '\t')
				p->end += w, p->end_runes++;
			else
				break;
		}
	}
	unsigned char c = (unsigned char)p->s[p->end];
	p->end++, p->end_runes++;
	int k = -1;
	switch (c) {
	case '!': k = GQT_BANG; break;
	case '$': k = GQT_DOLLAR; break;
	case '&': k = GQT_AMP; break;
	case '(': k = GQT_PARENL; break;
	case ')': k = GQT_PARENR; break;
	case ':': k = GQT_COLON; break;
	case '=': k = GQT_EQUALS; break;
	case '@': k = GQT_AT; break;
	case '[': k = GQT_BRACKETL; break;
	case ']': k = GQT_BRACKETR; break;
	case '{': k = GQT_BRACEL; break;
	case '}': k = GQT_BRACER; break;
	case '|': k = GQT_PIPE; break;
	case '.':
		if (ls.start + 2 < p->n && memcmp(p->s + ls.start, "...", 3) == 0) {
			p->end += 2, p->end_runes += 2;
			return mk(p, &ls, GQT_SPREAD, "", 0);
		}
		break;
	case '"':
		if (ls.start + 2 < p->n && memcmp(p->s + ls.start, "\"\"\"", 3) == 0)
			return read_block_string(p, &ls);
		return read_string(p, &ls);
	default:
		if (name_start(c)) {
			while (p->end < p->n && (name_start((unsigned char)p->s[p->end]) ||
			                         (p->s[p->end] >= '0' && p->s[p->end] <= '9')))
				p->end++, p->end_runes++;
			return mk(p, &ls, GQT_NAME, p->s + ls.start, p->end - ls.start);
		}
		if (c == '-' || (c >= '0' && c <= '9'))
			return read_number(p, &ls);
		break;
	}
	if (k >= 0)
		return mk(p, &ls, k, "", 0);
	p->end--, p->end_runes--;
	if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
		return lex_error(p, &ls, "Cannot contain the invalid character \"\\u%04d\"", c);
	if (c == '\'')
		return lex_error(p, &ls, "Unexpected single quote character ('), did you mean to use a double quote (\")?");
	char tmp[8];
	size_t tn = put_rune(tmp, c);
	tmp[tn] = '\0';
	return lex_error(p, &ls, "Cannot parse the unexpected character \"%s\".", tmp);
}

/* ---- parser core --------------------------------------------------------- */

void gq_parser_init(struct gq_parser *p, rarena *a, const char *s, size_t n, struct gq_err *e)
{
	memset(p, 0, sizeof(*p));
	p->a = a;
	p->s = s;
	p->n = n;
	p->line = 1;
	p->err = e;
	p->prev.kind = GQT_EOF;
	p->prev.val.p = "";
	memset(e, 0, sizeof(*e));
}

void *gq_pnode(struct gq_parser *p, size_t size)
{
	void *n = gq_new(p->a, size);
	if (n == NULL)
		gq_oom(p);
	return n;
}

void gq_ppush(struct gq_parser *p, struct gq_list *l, void *item)
{
	if (item != NULL && gq_push(p->a, l, item) < 0)
		gq_oom(p);
}

void gq_oom(struct gq_parser *p)
{
	if (p->failed)
		return;
	p->failed = true;
	p->err->oom = true;
	snprintf(p->err->msg, sizeof(p->err->msg), "out of memory");
}

struct gq_token gq_peek(struct gq_parser *p)
{
	if (p->failed)
		return p->prev;
	if (!p->peeked) {
		p->peek_failed = false;
		p->peek_tok = read_token(p);
		p->peeked = true;
	}
	return p->peek_tok;
}

struct gq_token gq_next(struct gq_parser *p)
{
	if (p->failed)
		return p->prev;
	if (!p->peeked)
		gq_peek(p);
	p->peeked = false;
	p->prev = p->peek_tok;
	if (p->peek_failed) {
		p->failed = true;
		p->err->msg[0] = '\0';
		memcpy(p->err->msg, p->peek_err.msg, sizeof(p->err->msg));
		p->err->pos = p->peek_err.pos;
	}
	return p->prev;
}

void gq_perror(struct gq_parser *p, struct gq_token t, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	p->err->pos = t.pos;
}

/* Token.String(): the kind, then the quoted value when there is one. */
static const char *tok_str(struct gq_parser *p, struct gq_token t)
{
	if (t.val.n == 0)
		return gq_tok_kind_name(t.kind);
	const char *q = gq_quote(p->a, t.val.p, t.val.n);
	const char *k = gq_tok_kind_name(t.kind);
	size_t n = strlen(k) + strlen(q) + 2;
	char *s = rarena_alloc(p->a, n);
	if (s == NULL)
		return k;
	snprintf(s, n, "%s %s", k, q);
	return s;
}

void gq_unexpected(struct gq_parser *p, struct gq_token t)
{
	if (p->failed)
		return;
	gq_perror(p, t, "Unexpected %s", tok_str(p, t));
}

struct gq_token gq_expect(struct gq_parser *p, int kind)
{
	struct gq_token t = gq_peek(p);
	if (t.kind == kind)
		return gq_next(p);
	gq_perror(p, t, "Expected %s, found %s", gq_tok_kind_name(kind), gq_tok_kind_name(t.kind));
	return t;
}

struct gq_token gq_expect_keyword(struct gq_parser *p, const char *kw)
{
	struct gq_token t = gq_peek(p);
	if (t.kind == GQT_NAME && t.val.n == strlen(kw) && memcmp(t.val.p, kw, t.val.n) == 0)
		return gq_next(p);
	if (!p->failed)
		gq_perror(p, t, "Expected %s, found %s", gq_quote(p->a, kw, strlen(kw)), tok_str(p, t));
	return t;
}

bool gq_skip(struct gq_parser *p, int kind)
{
	if (p->failed)
		return false;
	if (gq_peek(p).kind != kind)
		return false;
	gq_next(p);
	return true;
}

bool gq_peek_is(struct gq_parser *p, const char *name)
{
	struct gq_token t = gq_peek(p);
	return t.val.n == strlen(name) && memcmp(t.val.p, name, t.val.n) == 0;
}

const char *gq_parse_name(struct gq_parser *p)
{
	struct gq_token t = gq_expect(p, GQT_NAME);
	if (p->failed || t.kind != GQT_NAME)
		return "";
	char *s = rarena_strndup(p->a, t.val.p, t.val.n);
	if (s == NULL) {
		gq_oom(p);
		return "";
	}
	return s;
}

bool gq_enter(struct gq_parser *p)
{
	if (++p->depth > CC_REGO_MAX_GRAPHQL_DEPTH) {
		if (!p->failed) {
			p->failed = true;
			p->err->limit = true;
			snprintf(p->err->msg, sizeof(p->err->msg),
			         "GraphQL document nests deeper than %u levels", CC_REGO_MAX_GRAPHQL_DEPTH);
		}
		return false;
	}
	return true;
}

void gq_leave(struct gq_parser *p)
{
	p->depth--;
}

bool gq_count(struct gq_parser *p)
{
	if (++p->defs > CC_REGO_MAX_GRAPHQL_NODES) {
		if (!p->failed) {
			p->failed = true;
			p->err->limit = true;
			snprintf(p->err->msg, sizeof(p->err->msg),
			         "GraphQL document has more than %u definitions and selections",
			         CC_REGO_MAX_GRAPHQL_NODES);
		}
		return false;
	}
	return true;
}
