/* Loading a requirement's keys (sig_int.h): keyPath/keyPaths entries are
 * absolute paths read from the file system, or URIs (CoCo's
 * kbs:///default/gpg-public-key/test) whose bytes come from the caller's
 * resource callback; keyData/keyDatas bytes are in the policy already. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "policy_int.h"
#include "sig_int.h"
#include "util.h"

void sig_keys_clear(struct sig_keys *k)
{
	for (size_t i = 0; i < k->n; i++) {
		free(k->v[i].p); /* public keys: nothing to wipe */
		free(k->v[i].name);
	}
	free(k->v);
	k->v = NULL;
	k->n = 0;
}

/* The bytes of one keyPath entry. */
static int load_path(const char *path, const struct sig_callbacks *cb, void *ctx, void **ret,
                     size_t *ret_len, cc_error **err)
{
	char q[SIG_QUOTE_MAX];
	if (sig_has_scheme(path)) {
		if (strncmp(path, "file://", 7) == 0 && path[7] == '/')
			return sig_read_file(path + 7, CC_IMG_MAX_SIG_KEY_BYTES, ret, ret_len, err);
		if (cb == NULL || cb->get_resource == NULL)
			return cc_error_set(err, -ENOTSUP, "key \"%s\": no resource callback for URIs",
			                    sig_quotes(path, q));
		size_t len = 0;
		void *p = NULL;
		int r = cb->get_resource(ctx, path, CC_IMG_MAX_SIG_KEY_BYTES, &p, &len, err);
		if (r < 0)
			return cc_error_wrap(err, "key \"%s\"", sig_quotes(path, q));
		if (len > CC_IMG_MAX_SIG_KEY_BYTES) {
			free(p);
			return cc_error_set(err, -EFBIG, "key \"%s\": larger than %u bytes",
			                    sig_quotes(path, q), CC_IMG_MAX_SIG_KEY_BYTES);
		}
		*ret = p;
		*ret_len = len;
		return 0;
	}
	if (path[0] != '/')
		return cc_error_set(err, -EINVAL, "key \"%s\": keyPath must be an absolute path or a URI",
		                    sig_quotes(path, q));
	return sig_read_file(path, CC_IMG_MAX_SIG_KEY_BYTES, ret, ret_len, err);
}

static int push(struct sig_keys *k, void *p, size_t n, const char *name, cc_error **err)
{
	struct sig_keydata_buf *nv = realloc(k->v, (k->n + 1) * sizeof(*nv));
	char *nm = strdup(name);
	if (nv != NULL)
		k->v = nv;
	if (nv == NULL || nm == NULL) {
		free(nm);
		free(p);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	nv[k->n++] = (struct sig_keydata_buf){.p = p, .n = n, .name = nm};
	return 0;
}

int sig_keys_load(const struct sig_pr *pr, const struct sig_callbacks *cb, void *ctx,
                  struct sig_keys *ret, cc_error **err)
{
	struct sig_keys k = {0};
	int r = 0;
	for (size_t i = 0; i < pr->n_key_paths && r == 0; i++) {
		void *p = NULL;
		size_t n = 0;
		r = load_path(pr->key_paths[i], cb, ctx, &p, &n, err);
		if (r == 0)
			r = push(&k, p, n, pr->key_paths[i], err);
	}
	for (size_t i = 0; i < pr->n_key_datas && r == 0; i++) {
		void *p = malloc(pr->key_datas[i].n + 1);
		if (p == NULL) {
			r = cc_error_set(err, -ENOMEM, "out of memory");
			break;
		}
		if (pr->key_datas[i].n > 0)
			memcpy(p, pr->key_datas[i].p, pr->key_datas[i].n);
		r = push(&k, p, pr->key_datas[i].n, "keyData", err);
	}
	if (r < 0) {
		sig_keys_clear(&k);
		return r;
	}
	*ret = k;
	return 0;
}
