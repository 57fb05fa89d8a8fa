/* Values to YAML text (convert.h), as OPA's yaml.marshal: JSON text
 * re-read by go-yaml v2, then go-yaml's Marshal (block style, keys in
 * go-yaml's natural order, strings quoted where they would read back as
 * another type). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "convert_int.h"
#include "utf8.h"

struct yemit {
	yaml_emitter_t em;
	cc_buf *out;
	int err;
};

static int ym_write(void *data, unsigned char *buf, size_t n)
{
	struct yemit *y = data;
	int r = cc_buf_add(y->out, buf, n);
	if (r < 0)
		y->err = r;
	return r == 0;
}

static int ym_emit(struct yemit *y, yaml_event_t *ev, int ok)
{
	if (!ok)
		return -ENOMEM;
	if (!yaml_emitter_emit(&y->em, ev))
		return y->err ? y->err : y->em.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
	return 0;
}

static int ym_scalar(struct yemit *y, const char *s, size_t n, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	int ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)(uintptr_t)s,
	                                      (int)n, 1, 1, style);
	return ym_emit(y, &ev, ok);
}

/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
static bool base60_float(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0 || !(s[0] == '+' || s[0] == '-' || cv_is_digit(s[0])) || !memchr(s, ':', n))
		return false;
	if (s[i] == '+' || s[i] == '-')
		i++;
	if (i >= n || !cv_is_digit(s[i]))
		return false;
	while (i < n && (cv_is_digit(s[i]) || s[i] == '_'))
		i++;
	size_t groups = 0;
	while (i < n && s[i] == ':') {
		i++;
		size_t d = 0;
		while (i < n && cv_is_digit(s[i]) && d < 2)
			i++, d++;
		if (d == 0 || (d == 2 && s[i - 2] > '5'))
			return false;
		groups++;
	}
	if (groups == 0)
		return false;
	if (i < n && s[i] == '.')
		for (i++; i < n && (cv_is_digit(s[i]) || s[i] == '_'); i++)
			;
	return i == n;
}

/* go-yaml v2 stringv: literal if multi-line, plain if it reads back as a
 * string, else double-quoted (the emitter may still pick another style). */
static int ym_string(struct yemit *y, const char *p, size_t n)
{
	cc_buf clean;
	cc_buf_init(&clean, 0);
	if (!rutf8_valid(p, n)) {
		int r = rutf8_sanitize(p, n, &clean);
		if (r < 0)
			return r;
		p = clean.p, n = clean.len;
	}
	struct yscal sc;
	cv_resolve_plain(p, n, &sc);
	yaml_scalar_style_t st = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	if (memchr(p, '\n', n))
		st = YAML_LITERAL_SCALAR_STYLE;
	/* go-yaml resolves a plain `<<` to the merge tag, so it quotes it. */
	else if (sc.k == Y_STR && !base60_float(p, n) && !(n == 2 && p[0] == '<' && p[1] == '<'))
		st = YAML_PLAIN_SCALAR_STYLE;
	int r = ym_scalar(y, p ? p : "", n, st);
	cc_buf_free(&clean);
	return r;
}

/* A number as go-yaml reads its JSON spelling back: int, uint or float64
 * (printed with %g), or a string when out of float64 range. */
static int ym_number(struct yemit *y, const rv *x)
{
	cc_buf t, o;
	cc_buf_init(&t, 0);
	cc_buf_init(&o, 0);
	int r = rv_num_to_text(x, &t);
	struct yscal sc;
	if (r == 0)
		cv_resolve_plain(t.p, t.len, &sc);
	if (r == 0 && sc.k == Y_INT)
		r = cc_buf_printf(&o, "%lld", (long long)sc.i);
	else if (r == 0 && sc.k == Y_UINT)
		r = cc_buf_printf(&o, "%llu", (unsigned long long)sc.u);
	else if (r == 0 && sc.k == Y_FLOAT)
		r = cv_go_fmt_g(sc.f, false, &o);
	if (r == 0)
		r = sc.k == Y_STR ? ym_string(y, t.p, t.len)
		                  : ym_scalar(y, o.p, o.len, YAML_PLAIN_SCALAR_STYLE);
	cc_buf_free(&t);
	cc_buf_free(&o);
	return r;
}

static bool rune_is_letter(uint32_t c)
{
	if (c < 0x80)
		return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
	/* go-yaml asks unicode.IsLetter; outside ASCII we count everything but
	 * the C1 controls and common punctuation/space blocks as letters. */
	return !(c < 0xC0 || (c >= 0x2000 && c <= 0x206F) || (c >= 0x3000 && c <= 0x303F));
}

static bool rune_is_digit(uint32_t c) { return c >= '0' && c <= '9'; }

struct runes {
	uint32_t *r;
	size_t n;
};

static int to_runes(const char *p, size_t n, struct runes *o)
{
	o->r = malloc((n ? n : 1) * sizeof(*o->r));
	if (o->r == NULL)
		return -ENOMEM;
	o->n = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += rutf8_decode((const unsigned char *)p + i, n - i, &cp);
		o->r[o->n++] = cp;
	}
	return 0;
}

/* go-yaml v2 keyList.Less for two string keys ("natural" order). */
static bool natural_less(const struct runes *a, const struct runes *b)
{
	for (size_t i = 0; i < a->n && i < b->n; i++) {
		uint32_t x = a->r[i], y = b->r[i];
		if (x == y)
			continue;
		bool al = rune_is_letter(x), bl = rune_is_letter(y);
		if (al && bl)
			return x < y;
		if (al || bl)
			return bl;
		uint64_t an = 0, bn = 0; /* Go's int64 arithmetic wraps */
		if (x == '0' || y == '0') {
			for (size_t j = i; j-- > 0 && rune_is_digit(a->r[j]);) {
				if (a->r[j] != '0') {
					an = 1, bn = 1;
					break;
				}
			}
		}
		size_t ai = i, bi = i;
		for (; ai < a->n && rune_is_digit(a->r[ai]); ai++)
			an = an * 10 + (a->r[ai] - '0');
		for (; bi < b->n && rune_is_digit(b->r[bi]); bi++)
			bn = bn * 10 + (b->r[bi] - '0');
		if (an != bn)
			return (int64_t)an < (int64_t)bn;
		if (ai != bi)
			return ai < bi;
		return x < y;
	}
	return a->n < b->n;
}

struct ymkey {
	const char *k;
	size_t kn;
	size_t idx;
	struct runes r;
};

static int ym_value(struct yemit *y, const rv *x, int depth);

/* Stable merge sort by natural_less (go-yaml sorts with sort.Sort; the
 * order only differs for keys natural_less cannot tell apart). */
static void ym_msort(struct ymkey *k, struct ymkey *tmp, size_t n)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	ym_msort(k, tmp, h);
	ym_msort(k + h, tmp, n - h);
	size_t i = 0, j = h, o = 0;
	while (i < h && j < n)
		tmp[o++] = natural_less(&k[j].r, &k[i].r) ? k[j++] : k[i++];
	while (i < h)
		tmp[o++] = k[i++];
	while (j < n)
		tmp[o++] = k[j++];
	memcpy(k, tmp, n * sizeof(*k));
}

static int ym_object(struct yemit *y, const rv *x, int depth)
{
	struct keytexts kt;
	struct gjkey *uk = NULL;
	struct ymkey *keys = NULL, *tmp = NULL;
	size_t m = 0;
	int r = cv_keytexts_build(x, true, &kt);
	if (r == 0)
		r = cv_keys_sorted_unique(&kt, x->u.o.n, &uk, &m);
	if (r == 0) {
		keys = calloc(m ? m : 1, sizeof(*keys));
		tmp = calloc(m ? m : 1, sizeof(*tmp));
		r = keys && tmp ? 0 : -ENOMEM;
	}
	for (size_t i = 0; r == 0 && i < m; i++) {
		keys[i].k = uk[i].k, keys[i].kn = uk[i].kn, keys[i].idx = uk[i].idx;
		r = to_runes(keys[i].k, keys[i].kn, &keys[i].r);
	}
	if (r == 0)
		ym_msort(keys, tmp, m);
	yaml_event_t ev;
	if (r == 0)
		r = ym_emit(y, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		                                                       YAML_BLOCK_MAPPING_STYLE));
	for (size_t i = 0; r == 0 && i < m; i++) {
		r = ym_string(y, keys[i].k, keys[i].kn);
		if (r == 0)
			r = ym_value(y, x->u.o.v[keys[i].idx], depth + 1);
	}
	if (r == 0)
		r = ym_emit(y, &ev, yaml_mapping_end_event_initialize(&ev));
	for (size_t i = 0; keys && i < m; i++)
		free(keys[i].r.r);
	free(keys);
	free(tmp);
	free(uk);
	cv_keytexts_free(&kt);
	return r;
}

static int ym_value(struct yemit *y, const rv *x, int depth)
{
	if (depth > ENCODE_MAX_DEPTH)
		return -ELOOP;
	yaml_event_t ev;
	int r = 0;
	switch (x->t) {
	case RV_NULL:
		return ym_scalar(y, "null", 4, YAML_PLAIN_SCALAR_STYLE);
	case RV_BOOL:
		return x->u.b ? ym_scalar(y, "true", 4, YAML_PLAIN_SCALAR_STYLE)
		              : ym_scalar(y, "false", 5, YAML_PLAIN_SCALAR_STYLE);
	case RV_NUM:
		return ym_number(y, x);
	case RV_STR:
		return ym_string(y, x->u.s.p, x->u.s.n);
	case RV_ARR:
	case RV_SET:
		r = ym_emit(y, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		                                                        YAML_BLOCK_SEQUENCE_STYLE));
		for (size_t i = 0; r == 0 && i < x->u.a.n; i++)
			r = ym_value(y, x->u.a.v[i], depth + 1);
		return r ? r : ym_emit(y, &ev, yaml_sequence_end_event_initialize(&ev));
	case RV_OBJ:
		return ym_object(y, x, depth);
	}
	return -EINVAL;
}

int rv_to_yaml(const rv *x, cc_buf *out)
{
	struct yemit y = {.out = out};
	size_t start = out->len;
	if (!yaml_emitter_initialize(&y.em))
		return -ENOMEM;
	yaml_emitter_set_output(&y.em, ym_write, &y);
	yaml_emitter_set_unicode(&y.em, 1);
	yaml_event_t ev;
	int r = ym_emit(&y, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	if (r == 0)
		r = ym_emit(&y, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	if (r == 0)
		r = ym_value(&y, x, 0);
	if (r == 0)
		r = ym_emit(&y, &ev, yaml_document_end_event_initialize(&ev, 1));
	if (r == 0)
		r = ym_emit(&y, &ev, yaml_stream_end_event_initialize(&ev));
	if (r == 0 && !yaml_emitter_flush(&y.em))
		r = y.err ? y.err : -ENOMEM;
	yaml_emitter_delete(&y.em);
	/* libyaml 0.2.5 ends a document whose last scalar is a keep-chomped
	 * block scalar ("|+") with the "..." marker; Go's yaml (OPA) does not.
	 * Content lines of a block scalar are indented, so a final "\n...\n"
	 * is always the marker. */
	if (r == 0 && out->len - start >= 5 && memcmp(out->p + out->len - 5, "\n...\n", 5) == 0) {
		out->len -= 4;
		out->p[out->len] = '\0';
	}
	return r;
}
