/* The contract between the KBS store's front (store.c) and its back ends
 * (store_sqlite.c; a PostgreSQL one later). docs/kbs-store.md, "What a back
 * end provides".
 *
 * The front checks every argument before it calls a back end: ns is in
 * range, keys are 1..CC_KBS_MAX_KEY_BYTES bytes, values at most
 * CC_KBS_MAX_VALUE_BYTES, limit 1..CC_KBS_MAX_LIST_KEYS, `now` comes from
 * the store's clock. A back end:
 *   - treats keys and values as bytes (embedded NULs, no encoding);
 *   - makes a write durable before it returns 0;
 *   - applies each operation atomically, also against other processes and
 *     replicas sharing the same data (create-only is one conditional
 *     insert, not a read then a write);
 *   - treats an entry with 0 < expires <= now as absent everywhere;
 *   - may be called from several threads at once;
 *   - follows the error contract and names the store and the key (through
 *     kbs_store_key_desc) in its messages. */
#ifndef COCOON_KBS_STORE_BACKEND_H
#define COCOON_KBS_STORE_BACKEND_H

#include "store.h"

struct kbs_store_ops {
	const char *name;
	/* Create or replace (overwrite) or create only (-EEXIST if live). */
	int (*put)(void *impl, enum kbs_ns ns, const uint8_t *key, size_t key_len,
	           const uint8_t *val, size_t val_len, kbs_time expires_at, bool overwrite,
	           kbs_time now, cc_error **err);
	/* A new malloc'd copy of the value with a NUL after it; -ENOENT if
	 * missing or expired (the expired entry is deleted). */
	int (*get)(void *impl, enum kbs_ns ns, const uint8_t *key, size_t key_len, kbs_time now,
	           uint8_t **ret_val, size_t *ret_len, kbs_time *ret_expires_at, cc_error **err);
	int (*del)(void *impl, enum kbs_ns ns, const uint8_t *key, size_t key_len, kbs_time now,
	           bool *ret_existed, cc_error **err);
	/* Appends up to `limit` live keys > after (byte order) to `out` with
	 * kbs_keylist_add, and calls kbs_keylist_set_more if more remain. */
	int (*list)(void *impl, enum kbs_ns ns, const uint8_t *after, size_t after_len,
	            size_t limit, kbs_time now, kbs_keylist *out, cc_error **err);
	int (*sweep)(void *impl, kbs_time now, uint64_t *ret_removed, cc_error **err);
	int (*check)(void *impl, cc_error **err);
	void (*free)(void *impl);
};

/* Wraps a back end in a store; takes ownership of impl (freed with
 * ops->free, also when this fails). Returns 0 or -ENOMEM. */
int kbs_store_new(const struct kbs_store_ops *ops, void *impl, kbs_store **ret_store,
                  cc_error **err);

/* An empty key list (NULL on OOM), and appending a copy of a key. */
kbs_keylist *kbs_keylist_new(void);
int kbs_keylist_add(kbs_keylist *l, const uint8_t *key, size_t key_len);
void kbs_keylist_set_more(kbs_keylist *l, bool more);

/* Writes into buf a description of a key for an error message: "\"a/b/c\""
 * with unprintable bytes as \xHH and long keys cut with "...", or, for
 * sessions (the id is a bearer secret), only its length. Returns buf. */
#define KBS_KEY_DESC_SIZE 160
const char *kbs_store_key_desc(enum kbs_ns ns, const uint8_t *key, size_t key_len,
                               char buf[KBS_KEY_DESC_SIZE]);

#endif
