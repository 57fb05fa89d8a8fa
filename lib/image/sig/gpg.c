/* GPG simple-signing verification with gpgme (containers/image
 * signature/mechanism_gpgme.go newEphemeralGPGSigningMechanism, Verify):
 * the policy's keys are imported into a private temporary GnuPG home that
 * holds nothing else, so a signature can only verify against them; the
 * home has key retrieval and agent start-up turned off, and is removed
 * afterwards. The user's keyring is never read. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gpgme.h>

#include "cocoon/buf.h"
#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "sig_int.h"
#include "util.h"

/* gpg.conf of the temporary home: never fetch keys, never start an agent
 * or dirmngr (verification needs neither). */
static const char gpg_conf[] = "no-autostart\n"
                               "no-auto-key-retrieve\n"
                               "auto-key-locate local\n"
                               "no-greeting\n";

struct sig_gpg {
	char *home;
	gpgme_ctx_t ctx;
	char **fprs; /* primary fingerprints of the imported keys */
	size_t n;
};

static pthread_once_t gpgme_once = PTHREAD_ONCE_INIT;
static bool gpgme_ready;

static void gpgme_init(void)
{
	gpgme_ready = gpgme_check_version(NULL) != NULL &&
	              gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) == GPG_ERR_NO_ERROR;
}

/* rm -r of the temporary home (a few files, perhaps one level of
 * directories: private-keys-v1.d, openpgp-revocs.d). */
static void remove_tree(int dirfd, const char *name, unsigned depth)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		unlinkat(dirfd, name, 0);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, e->d_name, 0) < 0 && errno == EISDIR && depth < 4)
			remove_tree(fd, e->d_name, depth + 1);
	}
	closedir(d);
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

void sig_gpg_free(sig_gpg *g)
{
	if (g == NULL)
		return;
	if (g->ctx != NULL)
		gpgme_release(g->ctx);
	if (g->home != NULL)
		remove_tree(AT_FDCWD, g->home, 0);
	for (size_t i = 0; i < g->n; i++)
		free(g->fprs[i]);
	free(g->fprs);
	free(g->home);
	free(g);
}

CC_DEFINE_CLEANUP(sig_gpg, sig_gpg_free)

static int gpg_fail(cc_error **err, gpgme_error_t e, const char *what)
{
	return cc_error_set(err, gpgme_err_code(e) == GPG_ERR_ENOMEM ? -ENOMEM : -EIO, "%s: %s",
	                    what, gpgme_strerror(e));
}

/* Creates the home directory and its gpg.conf. */
static int make_home(sig_gpg *g, const char *tmpdir, cc_error **err)
{
	if (tmpdir == NULL && (tmpdir = getenv("TMPDIR")) == NULL)
		tmpdir = "/tmp";
	if (asprintf(&g->home, "%s/cocoon-gpg-XXXXXX", tmpdir) < 0) {
		g->home = NULL;
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (mkdtemp(g->home) == NULL) {
		int e = errno;
		free(g->home);
		g->home = NULL;
		return cc_error_set(err, -e, "creating a GnuPG home in %s: %s", tmpdir, strerror(e));
	}
	_cleanup_close_ int fd = openat(AT_FDCWD, g->home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int conf = fd < 0 ? -1 : openat(fd, "gpg.conf", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	bool ok = conf >= 0 && write(conf, gpg_conf, sizeof(gpg_conf) - 1) ==
	                           (ssize_t)(sizeof(gpg_conf) - 1);
	if (conf >= 0)
		close(conf);
	if (!ok)
		return cc_error_set(err, -EIO, "writing %s/gpg.conf: %s", g->home, strerror(errno));
	return 0;
}

static int make_ctx(sig_gpg *g, cc_error **err)
{
	gpgme_error_t e = gpgme_new(&g->ctx);
	if (e == GPG_ERR_NO_ERROR)
		e = gpgme_set_protocol(g->ctx, GPGME_PROTOCOL_OpenPGP);
	if (e == GPG_ERR_NO_ERROR)
		e = gpgme_ctx_set_engine_info(g->ctx, GPGME_PROTOCOL_OpenPGP, NULL, g->home);
	if (e != GPG_ERR_NO_ERROR)
		return gpg_fail(err, e, "setting up gpgme");
	gpgme_set_armor(g->ctx, 0);
	gpgme_set_textmode(g->ctx, 0);
	gpgme_set_offline(g->ctx, 1);
	/* gpgme >= 1.10; gpg.conf says the same for older ones */
	(void)gpgme_set_ctx_flag(g->ctx, "auto-key-retrieve", "0");
	return 0;
}

static int add_fpr(sig_gpg *g, const char *fpr, cc_error **err)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->fprs[i], fpr) == 0)
			return 0;
	char **nv = realloc(g->fprs, (g->n + 1) * sizeof(char *));
	if (nv == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	g->fprs = nv;
	if ((nv[g->n] = strdup(fpr)) == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	g->n++;
	return 0;
}

/* Imports one key (or keyring); records the fingerprints imported. */
static int import_key(sig_gpg *g, const struct sig_keydata_buf *k, cc_error **err)
{
	char q[SIG_QUOTE_MAX];
	gpgme_data_t d = NULL;
	gpgme_error_t e = gpgme_data_new_from_mem(&d, (const char *)k->p, k->n, 0);
	if (e != GPG_ERR_NO_ERROR)
		return gpg_fail(err, e, "importing keys");
	e = gpgme_op_import(g->ctx, d);
	gpgme_data_release(d);
	if (e != GPG_ERR_NO_ERROR)
		return cc_error_set(err, -EINVAL, "importing key %s: %s", sig_quotes(k->name, q),
		                    gpgme_strerror(e));
	gpgme_import_result_t res = gpgme_op_import_result(g->ctx);
	for (gpgme_import_status_t s = res ? res->imports : NULL; s != NULL; s = s->next) {
		if (s->result != GPG_ERR_NO_ERROR || s->fpr == NULL)
			continue;
		int r = add_fpr(g, s->fpr, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int sig_gpg_new(const struct sig_keys *keys, const char *tmpdir, sig_gpg **ret, cc_error **err)
{
	pthread_once(&gpgme_once, gpgme_init);
	if (!gpgme_ready)
		return cc_error_set(err, -ENOTSUP, "gpgme: no usable OpenPGP engine (gpg)");
	_cleanup_(sig_gpg_freep) sig_gpg *g = calloc(1, sizeof(*g));
	if (g == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int r = make_home(g, tmpdir, err);
	if (r == 0)
		r = make_ctx(g, err);
	for (size_t i = 0; i < keys->n && r == 0; i++)
		r = import_key(g, &keys->v[i], err);
	if (r < 0)
		return r;
	if (g->n == 0)
		return cc_error_set(err, -EINVAL, "no public keys imported");
	*ret = TAKE_PTR(g);
	return 0;
}

/* ---- verification --------------------------------------------------- */

static ssize_t plain_write(void *handle, const void *buf, size_t size)
{
	cc_buf *b = handle;
	if (cc_buf_add(b, buf, size) < 0) {
		errno = EFBIG;
		return -1;
	}
	return (ssize_t)size;
}

/* Why a signature with this status is not good. */
static const char *status_reason(gpgme_error_t status)
{
	switch (gpgme_err_code(status)) {
	case GPG_ERR_NO_PUBKEY:
		return "signed by a key that is not in the policy";
	case GPG_ERR_BAD_SIGNATURE:
		return "bad signature (the signed data or the signature was altered)";
	case GPG_ERR_KEY_EXPIRED:
		return "the signing key has expired";
	case GPG_ERR_SIG_EXPIRED:
		return "the signature has expired";
	case GPG_ERR_CERT_REVOKED:
		return "the signing key has been revoked";
	default:
		return NULL;
	}
}

/* Whether a good signature by a key that has expired since (GnuPG's
 * EXPKEYSIG, status GPG_ERR_KEY_EXPIRED) was made while the signing key
 * was valid: a creation time before the (sub)key's expiry, and a key that
 * is neither revoked, disabled nor invalid. containers/image refuses every
 * such signature; image-rs accepts them (rust pgp does not look at key
 * expiry), and CoCo's own signed test images are signed by a key that
 * expired after it signed them. cocoon follows image-rs here, bounded by
 * the signature's own time (docs/signatures.md). */
static bool signed_before_expiry(sig_gpg *g, gpgme_signature_t s)
{
	gpgme_key_t key = NULL;
	if (s->fpr == NULL || s->timestamp == 0 ||
	    gpgme_get_key(g->ctx, s->fpr, &key, 0) != GPG_ERR_NO_ERROR)
		return false;
	bool ok = false;
	size_t n = strlen(s->fpr);
	for (gpgme_subkey_t k = key->subkeys; k != NULL && !ok; k = k->next) {
		size_t kn = k->fpr ? strlen(k->fpr) : 0;
		/* s->fpr is a fingerprint, or a key id (its tail) */
		if (kn < n || strcasecmp(k->fpr + kn - n, s->fpr) != 0)
			continue;
		ok = k->expires > 0 && (long)s->timestamp < k->expires && !k->revoked &&
		     !k->disabled && !k->invalid && k->can_sign;
	}
	ok = ok && !key->revoked && !key->disabled && !key->invalid;
	gpgme_key_unref(key);
	return ok;
}

/* Checks the one signature of a verify result and finds its primary key. */
static int check_sig(sig_gpg *g, gpgme_verify_result_t res, char **ret_fpr, cc_error **err)
{
	size_t count = 0;
	for (gpgme_signature_t s = res ? res->signatures : NULL; s != NULL; s = s->next)
		count++;
	if (count != 1)
		return cc_error_set(err, -EPERM, "unexpected GPG signature count %zu", count);
	gpgme_signature_t s = res->signatures;
	const char *fpr = s->fpr ? s->fpr : "?";
	bool expired_since = gpgme_err_code(s->status) == GPG_ERR_KEY_EXPIRED &&
	                     signed_before_expiry(g, s);
	if (s->status != GPG_ERR_NO_ERROR && !expired_since) {
		const char *why = status_reason(s->status);
		return cc_error_set(err, -EPERM, "invalid GPG signature by %s: %s", fpr,
		                    why ? why : gpgme_strerror(s->status));
	}
	if (s->validity == GPGME_VALIDITY_NEVER ||
	    (s->validity_reason != GPG_ERR_NO_ERROR && !expired_since) || s->wrong_key_usage)
		return cc_error_set(err, -EPERM, "invalid GPG signature by %s (validity %d%s)", fpr,
		                    (int)s->validity, s->wrong_key_usage ? ", wrong key usage" : "");
	gpgme_key_t key = NULL;
	if (gpgme_get_key(g->ctx, fpr, &key, 0) != GPG_ERR_NO_ERROR || key->subkeys == NULL ||
	    key->subkeys->fpr == NULL) {
		if (key != NULL)
			gpgme_key_unref(key);
		return cc_error_set(err, -EPERM, "signing key %s not found in the policy's keys", fpr);
	}
	int r = -EPERM;
	for (size_t i = 0; i < g->n && r < 0; i++)
		if (strcmp(g->fprs[i], key->subkeys->fpr) == 0)
			r = sig_strdup(key->subkeys->fpr, ret_fpr, err);
	if (r == -EPERM)
		r = cc_error_set(err, -EPERM, "signature by key %s is not accepted", key->subkeys->fpr);
	gpgme_key_unref(key);
	return r;
}

int sig_gpg_verify(sig_gpg *g, const void *sig, size_t n, unsigned char **ret, size_t *ret_len,
                   char **ret_fpr, cc_error **err)
{
	struct gpgme_data_cbs cbs = {.write = plain_write};
	cc_buf plain;
	cc_buf_init(&plain, CC_IMG_MAX_SIGNATURE_BYTES);
	gpgme_data_t sd = NULL, pd = NULL;
	gpgme_error_t e = gpgme_data_new_from_mem(&sd, sig, n, 0);
	if (e == GPG_ERR_NO_ERROR)
		e = gpgme_data_new_from_cbs(&pd, &cbs, &plain);
	if (e == GPG_ERR_NO_ERROR)
		e = gpgme_op_verify(g->ctx, sd, NULL, pd);
	int r = 0;
	if (e != GPG_ERR_NO_ERROR)
		r = cc_error_set(err, gpgme_err_code(e) == GPG_ERR_ENOMEM ? -ENOMEM : -EPERM,
		                 "invalid GPG signature: %s", gpgme_strerror(e));
	char *fpr = NULL;
	if (r == 0)
		r = check_sig(g, gpgme_op_verify_result(g->ctx), &fpr, err);
	gpgme_data_release(sd);
	gpgme_data_release(pd);
	size_t len = 0;
	char *p = r == 0 ? cc_buf_steal(&plain, &len) : NULL;
	cc_buf_free(&plain);
	if (r == 0 && p == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r < 0) {
		free(fpr);
		return r;
	}
	*ret = (unsigned char *)p;
	*ret_len = len;
	*ret_fpr = fpr;
	return 0;
}
