/* Shared by the files of the regex builtin group (internal): bi/regex.c
 * (matching, the builtins, the group table), bi/regex_syntax.c (Go syntax
 * to PCRE2), bi/regex_cache.c (compiled patterns per engine),
 * bi/regex_globs.c (regex.globs_match). */
#ifndef COCOON_REGO_BI_REGEX_INT_H
#define COCOON_REGO_BI_REGEX_INT_H

#include <pthread.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "../bi.h"

/* A compiled pattern, shared through the cache and reference counted. */
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
	uint32_t uses;    /* cache hits; JIT compilation waits for RE_JIT_AFTER */
};

/* PCRE2's JIT compiler costs more than a few interpreted matches: a
 * one-shot evaluation (the CLI) uses most patterns once or twice, while a
 * long-lived engine (the agent, the KBS) hits the same ones constantly. */
#define RE_JIT_AFTER 3u

#define RE_CACHE_BUCKETS 512

/* Compiled patterns of one engine (RBI_STATE_REGEX): an LRU hash table. */
struct recache {
	pthread_mutex_t mu;
	struct rentry *buckets[RE_CACHE_BUCKETS];
	struct rentry lru; /* sentinel: lru.lnext is the most recent */
	size_t count;
	pcre2_match_context *mctx;
};

/* ---- regex_syntax.c ---------------------------------------------------- */

/* Compiles a Go pattern into e (code, names) or records Go's error in
 * e->err (e->oom on allocation failure). */
void rre_compile_go(struct rentry *e, const char *pat, size_t n);
/* Frees the capture-group names of a compiled pattern. */
void rre_free_names(char **names, uint32_t ncap);
/* Go's unicode.IsLetter || IsDigit, approximated outside ASCII. */
bool rre_letter_or_digit(uint32_t r);

/* ---- regex_cache.c ----------------------------------------------------- */

/* The engine's pattern cache, or NULL (no engine state: nothing cached). */
struct recache *rre_get_cache(rctx *cx);
/* The compiled form of key: from the cache, or built by build(e, src,
 * srcn). NULL on OOM. The caller releases it with rre_entry_release(). */
struct rentry *rre_entry_get(struct recache *c, const char *key, size_t keylen,
                             void (*build)(struct rentry *, const char *, size_t), const char *src,
                             size_t srcn);
/* Drops a reference (entries not in the cache die with their last user). */
void rre_entry_release(struct recache *c, struct rentry *e);
/* Compiled regex for pattern (a Go regexp), or a builtin error. */
int rre_regex_get(rctx *cx, struct recache *c, const char *pat, size_t n, struct rentry **out);

/* ---- regex_globs.c ----------------------------------------------------- */

/* The regex.globs_match builtin. */
int rre_globs_match(rctx *cx, const rv *const *args, const rv **ret);

#endif
