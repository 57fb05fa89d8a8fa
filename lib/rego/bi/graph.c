/* Graph builtins: walk (OPA v1/topdown/walk.go), graph.reachable and
 * graph.reachable_paths (reachable.go).
 *
 * walk is a relation: it emits [path, value] for the value itself and then
 * for every nested value, depth first in OPA's order (array indexes,
 * object keys and set members ascending). OPA's evaluator special-cases
 * walk(x, [path, value]) with a partly ground path to skip subtrees; here
 * every pair is emitted and the evaluator unifies, with the same results.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../rctx.h"
#include "cocoon/limits.h"

/* Values nest at most this deep here; deeper ones fail instead of
 * exhausting the C stack (docs/limits.md). */
#define WALK_MAX_DEPTH CC_REGO_MAX_WALK_DEPTH

/* ---- walk ---- */

struct walker {
	rctx *cx;
	rbi_emit emit;
	void *arg;
	rvec path;
};

static int walk_node(struct walker *w, const rv *v, unsigned depth)
{
	rarena *a = rctx_arena(w->cx);
	if (depth > WALK_MAX_DEPTH)
		return rbi_limit(w->cx, "value nested deeper than %u levels", WALK_MAX_DEPTH);
	const rv *pair[2] = {rv_arr(a, w->path.v, w->path.n), v};
	const rv *out = pair[0] ? rv_arr(a, pair, 2) : NULL;
	if (out == NULL)
		return rbi_oom(w->cx);
	int r = w->emit(w->cx, out, w->arg);
	if (r != 0)
		return r;
	size_t n = v->t == RV_OBJ ? v->u.o.n : (v->t == RV_ARR || v->t == RV_SET) ? v->u.a.n : 0;
	for (size_t i = 0; i < n; i++) {
		const rv *key, *child;
		if (v->t == RV_OBJ) {
			key = v->u.o.k[i], child = v->u.o.v[i];
		} else if (v->t == RV_SET) {
			key = child = v->u.a.v[i];
		} else {
			key = rv_int(a, (int64_t)i), child = v->u.a.v[i];
			if (key == NULL)
				return rbi_oom(w->cx);
		}
		if (rvec_push(&w->path, key) < 0)
			return rbi_oom(w->cx);
		r = walk_node(w, child, depth + 1);
		w->path.n--;
		if (r != 0)
			return r;
	}
	return 0;
}

static int bi_walk(rctx *cx, const rv *const *args, rbi_emit emit, void *arg)
{
	struct walker w = {cx, emit, arg, {0}};
	rvec_init(&w.path, rctx_arena(cx));
	return walk_node(&w, args[0], 0);
}

/* ---- graph.reachable ---- */

static int graph_args(rctx *cx, const rv *const *args)
{
	if (args[0]->t != RV_OBJ)
		return rbi_type_err(cx, 1, RT_OBJ, args[0]);
	if (args[1]->t != RV_ARR && args[1]->t != RV_SET)
		return rbi_type_errf(cx, "operand 2 must be {array, set} but got %s",
		                     rv_type_name(args[1]));
	return 0;
}

/* Vertices of an edge collection (arrays and sets; anything else has
 * none, as OPA's foreachVertex). */
static size_t nedges(const rv *e)
{
	return e->t == RV_ARR || e->t == RV_SET ? e->u.a.n : 0;
}

/* OPA's breadth-first search: a vertex is reached when it is a key of the
 * graph and can be got to from the initial ones through such keys. Each
 * key is queued once (OPA may queue one several times; same result). */
static int bi_reachable(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = graph_args(cx, args);
	if (r < 0)
		return r;
	const rv *g = args[0], *init = args[1];
	rarena *a = rctx_arena(cx);
	size_t nk = g->u.o.n;
	bool *queued = rarena_zalloc(a, nk ? nk : 1);
	size_t *queue = rarena_nalloc(a, nk ? nk : 1, sizeof(*queue));
	if (queued == NULL || queue == NULL)
		return rbi_oom(cx);
	size_t head = 0, tail = 0;
	for (size_t i = 0; i < init->u.a.n; i++) {
		ptrdiff_t k = rv_find(g, init->u.a.v[i]);
		if (k >= 0 && !queued[k])
			queued[k] = true, queue[tail++] = (size_t)k;
	}
	while (head < tail) {
		const rv *edges = g->u.o.v[queue[head++]];
		for (size_t i = 0; i < nedges(edges); i++) {
			ptrdiff_t k = rv_find(g, edges->u.a.v[i]);
			if (k >= 0 && !queued[k])
				queued[k] = true, queue[tail++] = (size_t)k;
		}
	}
	rvec out;
	rvec_init(&out, a);
	for (size_t i = 0; i < tail; i++)
		if (rvec_push(&out, g->u.o.k[queue[i]]) < 0)
			return rbi_oom(cx);
	*ret = rvec_to_set(&out);
	return *ret ? 0 : rbi_oom(cx);
}

/* ---- graph.reachable_paths ---- */

/* OPA's pathBuilder, without recursion. From each neighbour of a start
 * vertex, paths grow depth first; a path is recorded when it reaches a
 * vertex outside the graph (left out of the path), a vertex without edges,
 * or a neighbour already in the `reached` set. `reached` starts as {start}
 * for each neighbour of the start vertex and is shared by the whole
 * search from it (a vertex joins it when the search goes on through it), so
 * a vertex met again on another branch ends that branch. Members of
 * `reached` are graph keys; stamp[k] == gen marks them. */
struct paths {
	rctx *cx;
	const rv *g;
	rvec path;
	uint32_t *stamp;
	uint32_t gen;
	rvec out;
	size_t work;
};

struct frame {
	const rv *edges;
	size_t next;
};

/* Records the current path, plus `extra` when not NULL. */
static int paths_commit(struct paths *p, const rv *extra)
{
	if (++p->work > CC_REGO_MAX_BUILTIN_ELEMS)
		return rbi_limit(p->cx, "too many paths");
	rarena *a = rctx_arena(p->cx);
	const rv *arr;
	if (extra) {
		if (rvec_push(&p->path, extra) < 0)
			return rbi_oom(p->cx);
		arr = rv_arr(a, p->path.v, p->path.n);
		p->path.n--;
	} else {
		arr = rv_arr(a, p->path.v, p->path.n);
	}
	if (arr == NULL || rvec_push(&p->out, arr) < 0)
		return rbi_oom(p->cx);
	return 0;
}

/* pathBuilder(root = key k or a non-key vertex v): records a path or
 * pushes root with a frame over its edges. */
static int paths_enter(struct paths *p, const rv *v, struct frame *stack, size_t *depth)
{
	ptrdiff_t k = rv_find(p->g, v);
	if (k < 0)
		return paths_commit(p, NULL); /* vertex outside the graph */
	const rv *edges = p->g->u.o.v[k];
	if (nedges(edges) == 0)
		return paths_commit(p, p->g->u.o.k[k]);
	if (rvec_push(&p->path, p->g->u.o.k[k]) < 0)
		return rbi_oom(p->cx);
	stack[(*depth)++] = (struct frame){edges, 0};
	return 0;
}

static bool paths_reached(const struct paths *p, const rv *v)
{
	ptrdiff_t k = rv_find(p->g, v);
	return k >= 0 && p->stamp[k] == p->gen;
}

static void paths_mark(struct paths *p, const rv *v)
{
	ptrdiff_t k = rv_find(p->g, v);
	if (k >= 0)
		p->stamp[k] = p->gen;
}

/* The search from start vertex s through its neighbour nb. */
static int paths_search(struct paths *p, const rv *s, const rv *nb, struct frame *stack)
{
	size_t depth = 0;
	p->gen++;
	p->path.n = 0;
	paths_mark(p, s);
	if (rvec_push(&p->path, s) < 0)
		return rbi_oom(p->cx);
	int r = paths_enter(p, nb, stack, &depth);
	while (r == 0 && depth > 0) {
		struct frame *f = &stack[depth - 1];
		if (f->next == nedges(f->edges)) {
			depth--;
			p->path.n--;
			continue;
		}
		const rv *next = f->edges->u.a.v[f->next++];
		if (paths_reached(p, next)) {
			r = paths_commit(p, NULL);
			continue;
		}
		paths_mark(p, p->path.v[p->path.n - 1]);
		r = paths_enter(p, next, stack, &depth);
	}
	return r;
}

static int bi_reachable_paths(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = graph_args(cx, args);
	if (r < 0)
		return r;
	rarena *a = rctx_arena(cx);
	struct paths p = {.cx = cx, .g = args[0]};
	size_t nk = p.g->u.o.n;
	rvec_init(&p.path, a);
	rvec_init(&p.out, a);
	p.stamp = rarena_zalloc(a, (nk ? nk : 1) * sizeof(*p.stamp));
	/* A path holds each key at most once (the start twice): nk + 2 frames. */
	struct frame *stack = rarena_nalloc(a, nk + 2, sizeof(*stack));
	if (p.stamp == NULL || stack == NULL)
		return rbi_oom(cx);
	const rv *init = args[1];
	for (size_t i = 0; r == 0 && i < init->u.a.n; i++) {
		ptrdiff_t k = rv_find(p.g, init->u.a.v[i]);
		if (k < 0)
			continue;
		const rv *s = p.g->u.o.k[k], *edges = p.g->u.o.v[k];
		if (nedges(edges) == 0) {
			p.path.n = 0;
			r = paths_commit(&p, s);
			continue;
		}
		for (size_t j = 0; r == 0 && j < nedges(edges); j++)
			r = paths_search(&p, s, edges->u.a.v[j], stack);
		if (p.gen > UINT32_MAX - 2) {
			memset(p.stamp, 0, nk * sizeof(*p.stamp));
			p.gen = 0;
		}
	}
	if (r < 0)
		return r;
	*ret = rvec_to_set(&p.out);
	return *ret ? 0 : rbi_oom(cx);
}

const struct rbi rbi_group_graph[] = {
    {"walk", 1, NULL, bi_walk, RBI_REL, {RT_ANY}, RT_ARR},
    {"graph.reachable", 2, bi_reachable, NULL, 0, {RT_OBJ, RT_ARR | RT_SET}, RT_SET},
    {"graph.reachable_paths", 2, bi_reachable_paths, NULL, 0, {RT_OBJ, RT_ARR | RT_SET}, RT_SET},
    {NULL, 0, NULL, NULL, 0, {0}, 0},
};
