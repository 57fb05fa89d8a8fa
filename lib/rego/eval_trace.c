/* --explain traces (rego.h enum rego_explain): why a rule was undefined
 * or a decision denied, as `opa eval --explain=fails|full` shows it. One
 * event per line: "<file>:<line>", padded, then "| " per nesting level,
 * then the event and the expression or rule head as the engine sees it
 * (after the compiler's rewriting, as OPA's traces). */
#include <string.h>

#include "ast_print.h"
#include "eval_int.h"

#define LOC_WIDTH 24

static bool tracing(const struct ev *ev, enum rego_explain at_least)
{
	return ev->o->trace != NULL && ev->o->explain >= at_least;
}

/* Appends one event; once the trace is full, one last line says so and
 * the rest is dropped (the evaluation itself goes on). */
static void event(struct ev *ev, const char *file, ast_loc loc, const char *op,
                  int (*print)(const void *node, cc_buf *out), const void *node)
{
	cc_buf *t = ev->o->trace;
	static const char truncated[] = "... trace truncated\n";
	if (t->len > 0 && t->p[t->len - 1] == '\n' && t->len >= sizeof(truncated) - 1 &&
	    strcmp(t->p + t->len - (sizeof(truncated) - 1), truncated) == 0)
		return;
	cc_buf line;
	cc_buf_init(&line, 64u * 1024u);
	int n = cc_buf_printf(&line, "%s:%u", file ? file : "query", loc.line);
	while (n == 0 && line.len < LOC_WIDTH)
		n = cc_buf_adds(&line, " ");
	if (n == 0)
		n = cc_buf_adds(&line, " ");
	for (uint32_t i = 0; n == 0 && i < ev->depth; i++)
		n = cc_buf_adds(&line, "| ");
	if (n == 0)
		n = cc_buf_printf(&line, "%s ", op);
	if (n == 0)
		n = print(node, &line);
	if (n == 0)
		n = cc_buf_adds(&line, "\n");
	if (n < 0 || cc_buf_add(t, line.p, line.len) < 0) {
		/* the event did not fit: end the trace */
		if (t->max - t->len < sizeof(truncated)) {
			/* make room at a line boundary */
			t->len = t->max > sizeof(truncated) ? t->max - sizeof(truncated) : 0;
			while (t->len > 0 && t->p[t->len - 1] != '\n')
				t->len--;
		}
		cc_buf_adds(t, truncated);
	}
	cc_buf_free(&line);
}

static int print_expr(const void *node, cc_buf *out)
{
	return ast_print_expr(node, out);
}

static int print_rule_head(const void *node, cc_buf *out)
{
	const ast_rule *r = node;
	return ast_print_term(r->head, out);
}

struct ktrace {
	kont k;
	kont *next;
	bool hit;
};

static int trace_k(struct ev *ev, kont *k, const rv *v)
{
	struct ktrace *kt = (struct ktrace *)k;
	kt->hit = true;
	return kcall(ev, kt->next, v);
}

int ev_trace_expr(struct ev *ev, const ast_expr *e, kont *k,
                  int (*inner)(struct ev *, const ast_expr *, kont *))
{
	if (!tracing(ev, REGO_EXPLAIN_FAILS))
		return inner(ev, e, k);
	if (tracing(ev, REGO_EXPLAIN_FULL))
		event(ev, ev->file, e->loc, "Eval", print_expr, e);
	struct ktrace kt = {{trace_k}, k, false};
	int r = inner(ev, e, &kt.k);
	if (r == 0 && !kt.hit)
		event(ev, ev->file, e->loc, "Fail", print_expr, e);
	return r;
}

void ev_trace_rule(struct ev *ev, const char *op, const ast_rule *r)
{
	/* fails: which rules were entered and which came out undefined;
	 * full: also the rules that produced a value */
	if (tracing(ev, strcmp(op, "Exit") == 0 ? REGO_EXPLAIN_FULL : REGO_EXPLAIN_FAILS))
		event(ev, r->file, r->loc, op, print_rule_head, r);
}
