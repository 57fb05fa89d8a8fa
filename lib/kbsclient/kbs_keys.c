/* TEE keys, input files and the admin token's default places for the KBS
 * client (kbs_client.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/buf.h"
#include "jose_util.h"
#include "kbs_client.h"

int kbs_tee_key_generate(cj_jwk **ret, cc_error **err)
{
	int r = cj_jwk_generate(CJ_GEN_P256, "ECDH-ES+A256KW", ret, err);
	return r < 0 ? cc_error_wrap(err, "generating the TEE key") : 0;
}

int kbs_tee_key_new(const char *algorithm, cj_jwk **ret, cc_error **err)
{
	enum cj_keygen kind;
	const char *alg = "ECDH-ES+A256KW";
	if (algorithm == NULL || strcmp(algorithm, "ECDH-ES+A256KW-P256") == 0) {
		kind = CJ_GEN_P256;
	} else if (strcmp(algorithm, "ECDH-ES+A256KW-P521") == 0) {
		kind = CJ_GEN_P521;
	} else if (strcmp(algorithm, "RSA-OAEP-256") == 0) {
		kind = CJ_GEN_RSA2048;
		alg = "RSA-OAEP-256";
	} else {
		return cc_error_set(err, -ENOTSUP,
		                    "tee_key_algorithm \"%.64s\" is not supported (ECDH-ES+A256KW-P256, "
		                    "ECDH-ES+A256KW-P521 or RSA-OAEP-256)",
		                    algorithm);
	}
	int r = cj_jwk_generate(kind, alg, ret, err);
	return r < 0 ? cc_error_wrap(err, "generating the TEE key") : 0;
}

int kbs_tee_key_from_pem(const char *pem, size_t len, const char *what, cj_jwk **ret,
                         cc_error **err)
{
	cj_jwk *k = NULL;
	int r = cj_jwk_from_pem(pem, len, NULL, &k, err);
	if (r < 0)
		return cc_error_wrap(err, "%s", what);
	const char *alg = NULL;
	const char *crv = cj_jwk_crv(k);
	if (!cj_jwk_is_private(k))
		r = cc_error_set(err, -EINVAL, "%s: a public key; the TEE key must be private", what);
	else if (cj_jwk_kty(k) == CJ_KTY_RSA)
		alg = "RSA-OAEP-256";
	else if (cj_jwk_kty(k) == CJ_KTY_EC &&
	         (strcmp(crv, "P-256") == 0 || strcmp(crv, "P-521") == 0))
		alg = "ECDH-ES+A256KW";
	else
		r = cc_error_set(err, -EINVAL,
		                 "%s: a %s%s%s key; the KBS encrypts to RSA or EC P-256/P-521 keys",
		                 what, cj_jwk_kty_name(k), crv ? " " : "", crv ? crv : "");
	if (r >= 0)
		r = cj_jwk_set_alg(k, alg, err);
	if (r < 0) {
		cj_jwk_free(k);
		return r;
	}
	*ret = k;
	return 0;
}

char *kbs_default_admin_token_path(void)
{
	static const char compose[] = "kbs/config/docker-compose/admin-token";
	if (access(compose, F_OK) == 0)
		return strdup(compose);
	const char *home = getenv("HOME");
	if (home == NULL || home[0] == '\0')
		return NULL;
	cc_buf b;
	cc_buf_init(&b, 0);
	if (cc_buf_printf(&b, "%s/.trustee/admin-token", home) < 0)
		return NULL;
	if (access(b.p, F_OK) == 0)
		return cc_buf_steal(&b, NULL);
	cc_buf_free(&b);
	return NULL;
}
