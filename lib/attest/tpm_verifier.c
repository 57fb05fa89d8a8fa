/* The `tpm` verifier: Trustee's deps/verifier/src/tpm checks, in C
 * (docs/attest-tpm.md, "What is checked"). Everything is decoded and its
 * structure checked before any cryptography; then the AK (when a trust list
 * is configured), the signature, the PCR digest, the nonce and the
 * init-data binding, each failing with upstream's words. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpm_int.h"

struct tpm_verifier {
	attest_verifier base;
	tpm_ak_set *trusted; /* NULL: the policy decides */
};

/* The quote, decoded and structurally checked. */
typedef struct quote {
	tpm_evidence *ev;
	EVP_PKEY *ak;
	TPMS_ATTEST attest;
	TPMT_SIGNATURE sig;
} quote;

static void quote_done(quote *q)
{
	EVP_PKEY_free(q->ak);
	tpm_evidence_free(q->ev);
}

static int quote_decode(const json_t *evidence, quote *q, cc_error **err)
{
	int r = tpm_evidence_parse(evidence, &q->ev, err);
	if (r < 0)
		return r;
	r = tpm_ak_parse(q->ev->ak_der, q->ev->ak_der_len, &q->ak, err);
	if (r < 0)
		return r;
	r = tpm_wire_signature(q->ev->signature, q->ev->signature_len, &q->sig, err);
	if (r < 0)
		return cc_error_wrap(err, "tpm_quote.signature");
	r = tpm_wire_attest(q->ev->message, q->ev->message_len, &q->attest, err);
	if (r >= 0)
		r = tpm_wire_check_quote(&q->attest, err);
	if (r < 0)
		return cc_error_wrap(err, "tpm_quote.message");
	return 0;
}

static int check_pcrs(const quote *q, cc_error **err)
{
	uint8_t d[TPM_SHA256_SIZE];
	if (tpm_pcrs_digest((const uint8_t(*)[TPM_SHA256_SIZE])q->ev->pcrs, TPM_PCR_COUNT, d) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (CRYPTO_memcmp(d, q->attest.attested.quote.pcrDigest.buffer, sizeof(d)) != 0)
		return cc_error_set(err, -EBADMSG,
		                    "Digest of PCRs does not match digest in Quote: tpm_quote.pcrs "
		                    "are not the quoted values");
	return 0;
}

/* The quote's extraData must be report_data zero-padded to 64 bytes. */
static int check_nonce(const quote *q, const uint8_t *rd, size_t rd_len, cc_error **err)
{
	if (rd_len > TPM_REPORT_DATA_SIZE)
		return cc_error_set(err, -EINVAL, "expected report data is %zu bytes, more than %u",
		                    rd_len, TPM_REPORT_DATA_SIZE);
	uint8_t want[TPM_REPORT_DATA_SIZE] = {0};
	if (rd_len > 0)
		memcpy(want, rd, rd_len);
	const TPM2B_DATA *got = &q->attest.extraData;
	if (got->size != sizeof(want) || CRYPTO_memcmp(got->buffer, want, sizeof(want)) != 0)
		return cc_error_set(err, -EPERM,
		                    "TPM quote nonce doesn't match expected report_data");
	return 0;
}

/* PCR 8 must be SHA-256(32 x 0x00 || init-data digest): one extend of a
 * PCR reset to zeros, as the attester's bind_init_data does. */
static int check_init_data(const quote *q, const uint8_t *id, size_t id_len, cc_error **err)
{
	if (id_len != TPM_SHA256_SIZE)
		return cc_error_set(err, -EINVAL,
		                    "init-data digest is %zu bytes: a TPM binds a SHA-256 digest "
		                    "(32 bytes) in PCR %u",
		                    id_len, TPM_INITDATA_PCR);
	static const uint8_t zeros[TPM_SHA256_SIZE];
	uint8_t want[TPM_SHA256_SIZE];
	if (tpm_sha256_2(zeros, sizeof(zeros), id, id_len, want) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (CRYPTO_memcmp(want, q->ev->pcrs[TPM_INITDATA_PCR], sizeof(want)) != 0)
		return cc_error_set(err, -EPERM, "TPM PCR[%u] doesn't match expected initdata hash",
		                    TPM_INITDATA_PCR);
	return 0;
}

static int set_hex(json_t *claims, const char *key, const uint8_t *p, size_t len)
{
	char hex[2 * sizeof(((TPM2B_DATA *)0)->buffer) + 1];
	if (len > sizeof(((TPM2B_DATA *)0)->buffer))
		return -EINVAL;
	tpm_hex_encode(p, len, hex);
	return json_object_set_new(claims, key, json_string(hex)) == 0 ? 0 : -ENOMEM;
}

/* Trustee's claims: init_data (hex PCR 8), report_data (hex extraData),
 * pcr00..pcr23 (hex), plus ak_public (the evidence's base64), which
 * Trustee's default policy reads as input.tpm.ak_public. */
static int make_claims(const quote *q, json_t **ret)
{
	json_t *c = json_object();
	int r = c != NULL ? 0 : -ENOMEM;
	if (r == 0 && json_object_set_new(c, "ak_public", json_string(q->ev->ak_b64)) < 0)
		r = -ENOMEM;
	if (r == 0)
		r = set_hex(c, "init_data", q->ev->pcrs[TPM_INITDATA_PCR], TPM_SHA256_SIZE);
	if (r == 0)
		r = set_hex(c, "report_data", q->attest.extraData.buffer, q->attest.extraData.size);
	for (unsigned i = 0; r == 0 && i < TPM_PCR_COUNT; i++) {
		char key[8];
		snprintf(key, sizeof(key), "pcr%02u", i);
		r = set_hex(c, key, q->ev->pcrs[i], TPM_SHA256_SIZE);
	}
	if (r < 0) {
		json_decref(c);
		return r;
	}
	*ret = c;
	return 0;
}

int tpm_verify_evidence(const json_t *evidence, const uint8_t *report_data, size_t rd_len,
                        const uint8_t *init_data, size_t id_len, const tpm_ak_set *trusted,
                        json_t **ret_claims, cc_error **err)
{
	quote q = {0};
	int r = quote_decode(evidence, &q, err);
	if (r >= 0 && trusted != NULL && !tpm_ak_set_contains(trusted, q.ev->ak_der, q.ev->ak_der_len))
		r = cc_error_set(err, -EPERM,
		                 "The provided AK public key is not in the list of trusted keys");
	if (r >= 0)
		r = tpm_verify_signature(q.ak, q.ev->message, q.ev->message_len, &q.sig, err);
	if (r >= 0)
		r = check_pcrs(&q, err);
	if (r >= 0 && report_data != NULL)
		r = check_nonce(&q, report_data, rd_len, err);
	if (r >= 0 && init_data != NULL)
		r = check_init_data(&q, init_data, id_len, err);
	json_t *claims = NULL;
	if (r >= 0 && make_claims(&q, &claims) < 0)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	quote_done(&q);
	if (r < 0)
		return cc_error_wrap(err, "tpm evidence");
	*ret_claims = claims;
	return 0;
}

static int verifier_evaluate(attest_verifier *v, const json_t *evidence, const uint8_t *rd,
                             size_t rd_len, const uint8_t *id, size_t id_len, json_t **ret,
                             cc_error **err)
{
	struct tpm_verifier *t = (struct tpm_verifier *)v;
	return tpm_verify_evidence(evidence, rd, rd_len, id, id_len, t->trusted, ret, err);
}

static void verifier_free(attest_verifier *v)
{
	struct tpm_verifier *t = (struct tpm_verifier *)v;
	tpm_ak_set_free(t->trusted);
	free(t);
}

static const attest_verifier_ops tpm_verifier_ops = {
	.tee = "tpm",
	.tee_class = "cpu",
	.evaluate = verifier_evaluate,
	.free = verifier_free,
};

int tpm_verifier_new(const char *trusted_ak_dir, attest_verifier **ret, cc_error **err)
{
	tpm_ak_set *trusted = NULL;
	if (trusted_ak_dir != NULL) {
		int r = tpm_ak_set_load_dir(trusted_ak_dir, &trusted, err);
		if (r < 0)
			return r;
	}
	struct tpm_verifier *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		tpm_ak_set_free(trusted);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	t->base.ops = &tpm_verifier_ops;
	t->trusted = trusted;
	*ret = &t->base;
	return 0;
}
