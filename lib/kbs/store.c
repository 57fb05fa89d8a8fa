/* The KBS store's front (store.h): namespace names, argument checks that
 * every back end relies on (store_backend.h), the clock, dispatch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cocoon/limits.h>

#include "store_backend.h"

struct kbs_store {
	const struct kbs_store_ops *ops;
	void *impl;
	kbs_time (*clock)(void *ctx);
	void *clock_ctx;
};

/* Trustee's namespace names (trustee.md §4.2; the attestation policy one
 * is the builtin AS's "attestation_service_policy"). */
static const char *const ns_names[KBS_NS_COUNT] = {
	[KBS_NS_REPOSITORY] = "repository",
	[KBS_NS_KBS] = "kbs",
	[KBS_NS_ATTESTATION_POLICY] = "attestation_service_policy",
	[KBS_NS_REFERENCE_VALUE] = "reference_value",
	[KBS_NS_SESSION] = "kbs_protocol_session",
};

const char *kbs_ns_name(enum kbs_ns ns)
{
	if ((unsigned)ns >= KBS_NS_COUNT)
		return NULL;
	return ns_names[ns];
}

int kbs_ns_from_name(const char *name, enum kbs_ns *ret_ns, cc_error **err)
{
	for (unsigned i = 0; name != NULL && i < KBS_NS_COUNT; i++) {
		if (strcmp(name, ns_names[i]) == 0) {
			*ret_ns = (enum kbs_ns)i;
			return 0;
		}
	}
	return cc_error_set(err, -EINVAL, "unknown store namespace \"%.64s\"",
	                    name != NULL ? name : "(null)");
}

static kbs_time real_clock(void *ctx)
{
	(void)ctx;
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return (kbs_time)time(NULL);
	return (kbs_time)ts.tv_sec;
}

int kbs_store_new(const struct kbs_store_ops *ops, void *impl, kbs_store **ret_store,
                  cc_error **err)
{
	kbs_store *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		ops->free(impl);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	s->ops = ops;
	s->impl = impl;
	s->clock = real_clock;
	*ret_store = s;
	return 0;
}

void kbs_store_free(kbs_store *s)
{
	if (s == NULL)
		return;
	s->ops->free(s->impl);
	free(s);
}

const char *kbs_store_backend(const kbs_store *s)
{
	return s != NULL ? s->ops->name : "";
}

void kbs_store_set_clock(kbs_store *s, kbs_time (*fn)(void *ctx), void *ctx)
{
	s->clock = fn != NULL ? fn : real_clock;
	s->clock_ctx = fn != NULL ? ctx : NULL;
}

const char *kbs_store_key_desc(enum kbs_ns ns, const uint8_t *key, size_t key_len,
                               char buf[KBS_KEY_DESC_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	if (ns == KBS_NS_SESSION) {
		snprintf(buf, KBS_KEY_DESC_SIZE, "(session id, %zu bytes)", key_len);
		return buf;
	}
	size_t o = 0, i = 0;
	buf[o++] = '"';
	/* Room for one escaped byte (4), "...\"" (4) and the NUL. */
	for (; i < key_len && o + 9 <= KBS_KEY_DESC_SIZE; i++) {
		uint8_t c = key[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	if (i < key_len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* The checks every operation makes on its namespace and key. */
static int check_key(enum kbs_ns ns, const void *key, size_t key_len, cc_error **err)
{
	if ((unsigned)ns >= KBS_NS_COUNT)
		return cc_error_set(err, -EINVAL, "store namespace %d out of range", (int)ns);
	if (key == NULL || key_len == 0)
		return cc_error_set(err, -EINVAL, "%s: empty key", ns_names[ns]);
	if (key_len > CC_KBS_MAX_KEY_BYTES)
		return cc_error_set(err, -E2BIG,
		                    "%s: key of %zu bytes is over CC_KBS_MAX_KEY_BYTES (%u)",
		                    ns_names[ns], key_len, CC_KBS_MAX_KEY_BYTES);
	return 0;
}

int kbs_store_put(kbs_store *s, enum kbs_ns ns, const void *key, size_t key_len,
                  const void *val, size_t val_len, kbs_time expires_at, enum kbs_put_mode mode,
                  cc_error **err)
{
	char kd[KBS_KEY_DESC_SIZE];
	int r = check_key(ns, key, key_len, err);
	if (r < 0)
		return r;
	kbs_store_key_desc(ns, key, key_len, kd);
	if (val == NULL && val_len > 0)
		return cc_error_set(err, -EINVAL, "%s %s: no value bytes", ns_names[ns], kd);
	if (val_len > CC_KBS_MAX_VALUE_BYTES)
		return cc_error_set(err, -E2BIG,
		                    "%s %s: value of %zu bytes is over CC_KBS_MAX_VALUE_BYTES (%u)",
		                    ns_names[ns], kd, val_len, CC_KBS_MAX_VALUE_BYTES);
	if (mode != KBS_PUT_OVERWRITE && mode != KBS_PUT_CREATE)
		return cc_error_set(err, -EINVAL, "%s %s: put mode %d unknown", ns_names[ns], kd,
		                    (int)mode);
	if (ns == KBS_NS_SESSION && expires_at == 0)
		return cc_error_set(err, -EINVAL, "%s %s: a session needs an expiry time",
		                    ns_names[ns], kd);
	kbs_time now = s->clock(s->clock_ctx);
	if (expires_at != 0 && expires_at <= now)
		return cc_error_set(err, -EINVAL,
		                    "%s %s: expiry %lld is not in the future (now %lld)",
		                    ns_names[ns], kd, (long long)expires_at, (long long)now);
	return s->ops->put(s->impl, ns, key, key_len, val != NULL ? val : (const uint8_t *)"",
	                   val_len, expires_at, mode == KBS_PUT_OVERWRITE, now, err);
}

int kbs_store_get(kbs_store *s, enum kbs_ns ns, const void *key, size_t key_len,
                  uint8_t **ret_val, size_t *ret_len, kbs_time *ret_expires_at, cc_error **err)
{
	int r = check_key(ns, key, key_len, err);
	if (r < 0)
		return r;
	uint8_t *v = NULL;
	size_t n = 0;
	kbs_time exp = 0;
	r = s->ops->get(s->impl, ns, key, key_len, s->clock(s->clock_ctx), &v, &n, &exp, err);
	if (r < 0)
		return r;
	*ret_val = v;
	*ret_len = n;
	if (ret_expires_at != NULL)
		*ret_expires_at = exp;
	return 0;
}

void kbs_store_value_free(uint8_t *val, size_t len)
{
	if (val == NULL)
		return;
	/* The NUL after the value is part of the allocation. */
	explicit_bzero(val, len + 1);
	free(val);
}

int kbs_store_delete(kbs_store *s, enum kbs_ns ns, const void *key, size_t key_len,
                     bool *ret_existed, cc_error **err)
{
	int r = check_key(ns, key, key_len, err);
	if (r < 0)
		return r;
	bool existed = false;
	r = s->ops->del(s->impl, ns, key, key_len, s->clock(s->clock_ctx), &existed, err);
	if (r < 0)
		return r;
	if (ret_existed != NULL)
		*ret_existed = existed;
	return 0;
}

int kbs_store_list(kbs_store *s, enum kbs_ns ns, const void *after, size_t after_len,
                   size_t limit, kbs_keylist **ret_list, cc_error **err)
{
	if ((unsigned)ns >= KBS_NS_COUNT)
		return cc_error_set(err, -EINVAL, "store namespace %d out of range", (int)ns);
	if (after != NULL && after_len > CC_KBS_MAX_KEY_BYTES)
		return cc_error_set(err, -E2BIG, "%s: list cursor of %zu bytes is over "
		                    "CC_KBS_MAX_KEY_BYTES (%u)", ns_names[ns], after_len,
		                    CC_KBS_MAX_KEY_BYTES);
	if (limit > CC_KBS_MAX_LIST_KEYS)
		return cc_error_set(err, -E2BIG, "%s: list of %zu keys is over "
		                    "CC_KBS_MAX_LIST_KEYS (%u)", ns_names[ns], limit,
		                    CC_KBS_MAX_LIST_KEYS);
	if (limit == 0)
		limit = CC_KBS_MAX_LIST_KEYS;
	kbs_keylist *l = kbs_keylist_new();
	if (l == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	/* An empty cursor is "from the start", as NULL. */
	int r = s->ops->list(s->impl, ns, after != NULL ? after : (const uint8_t *)"",
	                     after != NULL ? after_len : 0, limit, s->clock(s->clock_ctx), l, err);
	if (r < 0) {
		kbs_keylist_free(l);
		return r;
	}
	*ret_list = l;
	return 0;
}

int kbs_store_sweep_expired(kbs_store *s, kbs_time now, uint64_t *ret_removed, cc_error **err)
{
	uint64_t n = 0;
	int r = s->ops->sweep(s->impl, now, &n, err);
	if (r < 0)
		return r;
	if (ret_removed != NULL)
		*ret_removed = n;
	return 0;
}

int kbs_store_check(kbs_store *s, cc_error **err)
{
	return s->ops->check(s->impl, err);
}
