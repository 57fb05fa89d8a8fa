/* Key sets for decryption and recipient lists for encryption, with the
 * spellings of skopeo's --decryption-key / --encryption-key (containers/
 * ocicrypt helpers/parse_helpers.go). */
#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "internal.h"

struct ocicrypt_keys {
	struct oc_key *v;
	size_t n;
	struct oc_kpconfig *kp;
	bool kp_set;      /* loaded or given: do not look at the environment */
	bool kp_explicit; /* a config was given: every provider in it may unwrap */
	pthread_mutex_t kp_mu; /* the lazy load: layers are decrypted in parallel */
	char **allow;     /* --decryption-key provider:NAME names */
	size_t nallow;
};

struct ocicrypt_recipients {
	EVP_PKEY **jwe;
	size_t njwe;
	X509 **certs;
	size_t ncerts;
	json_t *providers; /* Go's ec.Parameters for providers: name -> [b64 args] */
	struct oc_kpconfig *kp;
	bool kp_set;
	pthread_mutex_t kp_mu;
};

/* ---- keyprovider config, shared by both --------------------------------- */

static int kp_lazy(pthread_mutex_t *mu, struct oc_kpconfig **kp, bool *set, cc_error **err)
{
	int r = 0;
	pthread_mutex_lock(mu);
	if (!*set) {
		const char *path = getenv("OCICRYPT_KEYPROVIDER_CONFIG");
		if (path != NULL && path[0] != '\0')
			r = oc_kpconfig_load(path, kp, err);
		if (r == 0)
			*set = true;
	}
	pthread_mutex_unlock(mu);
	return r;
}

static int kp_set_path(struct oc_kpconfig **kp, bool *set, const char *path, cc_error **err)
{
	struct oc_kpconfig *c = NULL;
	if (path != NULL) {
		int r = oc_kpconfig_load(path, &c, err);
		if (r < 0)
			return r;
	}
	oc_kpconfig_free(*kp);
	*kp = c;
	*set = true;
	return 0;
}

/* ---- decryption keys ---------------------------------------------------- */

ocicrypt_keys *ocicrypt_keys_new(void)
{
	ocicrypt_keys *k = calloc(1, sizeof(ocicrypt_keys));
	if (k != NULL && pthread_mutex_init(&k->kp_mu, NULL) != 0) {
		free(k);
		return NULL;
	}
	return k;
}

void ocicrypt_keys_free(ocicrypt_keys *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->n; i++) {
		EVP_PKEY_free(k->v[i].pkey);
		free(k->v[i].name);
	}
	free(k->v);
	oc_kpconfig_free(k->kp);
	pthread_mutex_destroy(&k->kp_mu);
	for (size_t i = 0; i < k->nallow; i++)
		free(k->allow[i]);
	free(k->allow);
	free(k);
}

bool oc_keys_provider_allowed(const ocicrypt_keys *k, const char *name)
{
	if (k->kp_explicit)
		return true;
	for (size_t i = 0; i < k->nallow; i++)
		if (strcmp(k->allow[i], name) == 0)
			return true;
	return false;
}

bool oc_keys_providers_enabled(const ocicrypt_keys *k)
{
	return k->kp_explicit || k->nallow > 0;
}

/* --decryption-key provider:NAME[:ARGS] (Go: the provider's name goes into
 * the decrypt config's parameters; only named providers may unwrap). */
static int allow_provider(ocicrypt_keys *k, const char *value, cc_error **err)
{
	size_t len = strcspn(value, ":");
	if (len == 0)
		return cc_error_set(err, -EINVAL, "decryption key provider:%s: no provider name", value);
	if (k->nallow >= CC_IMG_MAX_KEYPROVIDERS)
		return cc_error_set(err, -E2BIG, "more than %u key providers", CC_IMG_MAX_KEYPROVIDERS);
	char **v = reallocarray(k->allow, k->nallow + 1, sizeof(*v));
	if (v == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	k->allow = v;
	if ((k->allow[k->nallow] = strndup(value, len)) == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	k->nallow++;
	return 0;
}

size_t oc_keys_count(const ocicrypt_keys *k)
{
	return k ? k->n : 0;
}

const struct oc_key *oc_keys_at(const ocicrypt_keys *k, size_t i)
{
	return &k->v[i];
}

int oc_keys_kpconfig(const ocicrypt_keys *k, const struct oc_kpconfig **ret, cc_error **err)
{
	/* Loaded on first use, under the key set's mutex (layers of one image
	 * are decrypted by several threads). */
	ocicrypt_keys *mk = (ocicrypt_keys *)k;
	int r = kp_lazy(&mk->kp_mu, &mk->kp, &mk->kp_set, err);
	if (r == 0)
		*ret = k->kp;
	return r;
}

int ocicrypt_keys_set_provider_config(ocicrypt_keys *k, const char *path, cc_error **err)
{
	int r = kp_set_path(&k->kp, &k->kp_set, path, err);
	if (r == 0)
		k->kp_explicit = path != NULL;
	return r;
}

int ocicrypt_keys_add_mem(ocicrypt_keys *k, const void *data, size_t n, const char *password,
                          const char *name, cc_error **err)
{
	EVP_PKEY *pkey = NULL;
	int r = oc_load_private_key(data, n, password, name, &pkey, err);
	if (r < 0)
		return r;
	struct oc_key *v = reallocarray(k->v, k->n + 1, sizeof(*v));
	char *nm = strdup(name);
	if (v == NULL || nm == NULL) {
		if (v)
			k->v = v;
		free(nm);
		EVP_PKEY_free(pkey);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	k->v = v;
	k->v[k->n].pkey = pkey;
	k->v[k->n].name = nm;
	k->n++;
	return 0;
}

/* Go's processPwdString: file=, pass=, fd=, or the password itself. */
static int password_from_spec(const char *s, char **ret, cc_error **err)
{
	char *b = NULL;
	size_t n = 0;
	if (strncmp(s, "file=", 5) == 0) {
		int r = cc_read_file(s + 5, CC_IMG_MAX_KEY_FILE_BYTES, OC_READ, &b, &n, err);
		if (r < 0)
			return r;
	} else if (strncmp(s, "fd=", 3) == 0) {
		char *end = NULL;
		errno = 0;
		long fd = strtol(s + 3, &end, 10);
		if (errno || end == s + 3 || *end || fd < 0 || fd > INT_MAX)
			return cc_error_set(err, -EINVAL, "password fd: not a file descriptor: %s",
			                    s + 3);
		if ((b = calloc(1, 65)) == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		ssize_t got = read((int)fd, b, 64); /* Go reads up to 64 bytes */
		if (got < 0) {
			free(b);
			return cc_error_set(err, -errno, "password fd %ld: %m", fd);
		}
		n = (size_t)got;
		b[n] = '\0';
	} else {
		const char *p = strncmp(s, "pass=", 5) == 0 ? s + 5 : s;
		if ((b = strdup(p)) == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		n = strlen(p);
	}
	if (memchr(b, '\0', n) != NULL) {
		oc_free_secret(b, n);
		return cc_error_set(err, -EINVAL, "password contains a NUL byte");
	}
	*ret = b;
	return 0;
}

int ocicrypt_keys_add(ocicrypt_keys *k, const char *spec, cc_error **err)
{
	if (strncmp(spec, "provider:", 9) == 0)
		return allow_provider(k, spec + 9, err);
	_cleanup_free_ char *file = strdup(spec);
	if (file == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	char *pw_spec = strchr(file, ':');
	if (pw_spec != NULL) {
		*pw_spec++ = '\0';
		if (strchr(pw_spec, ':') != NULL)
			return cc_error_set(err, -EINVAL,
			                    "decryption key %s: more than one ':' (FILE[:PASSWORD])",
			                    file);
	}
	char *pw = NULL;
	int r = pw_spec ? password_from_spec(pw_spec, &pw, err) : 0;
	if (r < 0)
		return cc_error_wrap(err, "decryption key %s", file);
	char *data = NULL;
	size_t n = 0;
	r = cc_read_file(file, CC_IMG_MAX_KEY_FILE_BYTES, OC_READ, &data, &n, err);
	if (r == 0)
		r = ocicrypt_keys_add_mem(k, data, n, pw, file, err);
	if (data)
		oc_free_secret(data, n);
	if (pw)
		oc_free_secret(pw, strlen(pw));
	return r;
}

/* ---- recipients --------------------------------------------------------- */

ocicrypt_recipients *ocicrypt_recipients_new(void)
{
	ocicrypt_recipients *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	if ((r->providers = json_object()) == NULL || pthread_mutex_init(&r->kp_mu, NULL) != 0) {
		json_decref(r->providers);
		free(r);
		return NULL;
	}
	return r;
}

void ocicrypt_recipients_free(ocicrypt_recipients *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->njwe; i++)
		EVP_PKEY_free(r->jwe[i]);
	for (size_t i = 0; i < r->ncerts; i++)
		X509_free(r->certs[i]);
	free(r->jwe);
	free(r->certs);
	json_decref(r->providers);
	oc_kpconfig_free(r->kp);
	pthread_mutex_destroy(&r->kp_mu);
	free(r);
}

int ocicrypt_recipients_set_provider_config(ocicrypt_recipients *r, const char *path,
                                            cc_error **err)
{
	return kp_set_path(&r->kp, &r->kp_set, path, err);
}

static int add_jwe(ocicrypt_recipients *r, const char *file, cc_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t n = 0;
	EVP_PKEY *pkey = NULL;
	int ret = cc_read_file(file, CC_IMG_MAX_KEY_FILE_BYTES, OC_READ, &data, &n, err);
	if (ret == 0)
		ret = oc_load_public_key(data, n, file, &pkey, err);
	if (ret < 0)
		return ret;
	EVP_PKEY **v = reallocarray(r->jwe, r->njwe + 1, sizeof(*v));
	if (v == NULL) {
		EVP_PKEY_free(pkey);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	r->jwe = v;
	r->jwe[r->njwe++] = pkey;
	return 0;
}

static int add_pkcs7(ocicrypt_recipients *r, const char *file, cc_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t n = 0;
	X509 *x = NULL;
	int ret = cc_read_file(file, CC_IMG_MAX_KEY_FILE_BYTES, OC_READ, &data, &n, err);
	if (ret == 0)
		ret = oc_load_cert(data, n, file, &x, err);
	if (ret < 0)
		return ret;
	X509 **v = reallocarray(r->certs, r->ncerts + 1, sizeof(*v));
	if (v == NULL) {
		X509_free(x);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	r->certs = v;
	r->certs[r->ncerts++] = x;
	return 0;
}

/* Go's EncryptWithKeyProvider: "NAME:ARGS" -> Parameters[NAME] += ARGS,
 * "NAME" -> Parameters[NAME] += "Enabled". */
static int add_provider(ocicrypt_recipients *r, const char *value, cc_error **err)
{
	const char *colon = strchr(value, ':');
	size_t nlen = colon ? (size_t)(colon - value) : strlen(value);
	const char *args = colon ? colon + 1 : "Enabled";
	if (nlen == 0)
		return cc_error_set(err, -EINVAL, "encryption key provider:%s: no provider name",
		                    value);
	_cleanup_free_ char *name = strndup(value, nlen);
	if (name == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	json_t *list = json_object_get(r->providers, name);
	if (list == NULL) {
		if (json_object_size(r->providers) >= CC_IMG_MAX_KEYPROVIDERS)
			return cc_error_set(err, -E2BIG, "more than %u key providers",
			                    CC_IMG_MAX_KEYPROVIDERS);
		list = json_array();
		if (list == NULL || json_object_set_new(r->providers, name, list) != 0)
			return cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (json_array_append_new(list, oc_json_bytes_b64(args, strlen(args))) != 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int ocicrypt_recipients_add(ocicrypt_recipients *r, const char *spec, cc_error **err)
{
	const char *colon = strchr(spec, ':');
	if (colon == NULL)
		return cc_error_set(err, -EINVAL,
		                    "encryption key %s: expected jwe:FILE, pkcs7:FILE or "
		                    "provider:NAME[:ARGS]",
		                    spec);
	size_t plen = (size_t)(colon - spec);
	const char *value = colon + 1;
	if (plen == 3 && strncmp(spec, "jwe", 3) == 0)
		return add_jwe(r, value, err);
	if (plen == 5 && strncmp(spec, "pkcs7", 5) == 0)
		return add_pkcs7(r, value, err);
	if (plen == 8 && strncmp(spec, "provider", 8) == 0)
		return add_provider(r, value, err);
	if (plen == 3 && strncmp(spec, "pgp", 3) == 0)
		return cc_error_set(err, -ENOTSUP, "encryption key %s: pgp is not supported", spec);
	return cc_error_set(err, -EINVAL, "encryption key %s: protocol \"%.*s\" not recognized",
	                    spec, (int)plen, spec);
}

/* Accessors for encrypt.c. */
void oc_recipients_get(const ocicrypt_recipients *r, EVP_PKEY *const **jwe, size_t *njwe,
                       X509 *const **certs, size_t *ncerts, const json_t **providers)
{
	*jwe = r->jwe;
	*njwe = r->njwe;
	*certs = r->certs;
	*ncerts = r->ncerts;
	*providers = r->providers;
}

int oc_recipients_kpconfig(const ocicrypt_recipients *r, const struct oc_kpconfig **ret,
                           cc_error **err)
{
	ocicrypt_recipients *mr = (ocicrypt_recipients *)r;
	int rc = kp_lazy(&mr->kp_mu, &mr->kp, &mr->kp_set, err);
	if (rc == 0)
		*ret = r->kp;
	return rc;
}
