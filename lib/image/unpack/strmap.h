/* A small string-keyed hash map (open addressing, linear probing) for the
 * unpacker's per-layer bookkeeping. Keys are copied; values are the
 * caller's. The hash is seeded from getrandom() so keys an image chooses
 * cannot be aimed at one bucket chain. Internal to lib/image/unpack. */
#ifndef COCOON_IMAGE_UNPACK_STRMAP_H
#define COCOON_IMAGE_UNPACK_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct strmap;

/* An empty map; NULL on OOM. */
struct strmap *strmap_new(void);
/* Frees the map and its keys; free_value (may be NULL) runs on each value. */
void strmap_free(struct strmap *m, void (*free_value)(void *));
/* The value stored under key (n bytes), or NULL if there is none. */
void *strmap_get(const struct strmap *m, const char *key, size_t n);
/* Stores value under key, replacing (and returning in *ret_old, may be NULL)
 * an earlier value. Returns 0 or -ENOMEM (the map is then unchanged). */
int strmap_put(struct strmap *m, const char *key, size_t n, void *value, void **ret_old);
/* Number of keys. */
size_t strmap_size(const struct strmap *m);
/* Calls fn(key, value, ctx) for every entry until it returns non-zero,
 * which is then returned (0 when all ran). */
int strmap_each(const struct strmap *m, int (*fn)(const char *key, void *value, void *ctx),
                void *ctx);

#endif
