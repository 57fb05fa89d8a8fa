/* The `tpm` verifier: Trustee's deps/verifier/src/tpm checks, in C
 * (docs/attest-tpm.md, "What is checked"). Everything is decoded and its
 * structure checked before any cryptography; then the AK (a trust list, an
 * AK certificate chain), the signature, the PCR digest, the event log
 * replay, the nonce, the report data and the init-data binding; each
 * failure starts with the check's name, then upstream's words where it has
 * them. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "tpm_int.h"

struct tpm_verifier {
	attest_verifier base;
	tpm_ak_set *trusted; /* NULL: the policy decides */
	X509_STORE *ak_cas;  /* NULL: no AK certificate required */
	int64_t at;
	uint8_t nonce[TPM_REPORT_DATA_SIZE];
	size_t nonce_len;
	bool has_nonce;
};

/* The quote, decoded and structurally checked. */
typedef struct quote {
	tpm_evidence *ev;
	EVP_PKEY *ak;
	uint8_t *ak_spki; /* the AK as DER SubjectPublicKeyInfo, whatever form was sent */
	size_t ak_spki_len;
	eventlog *log; /* NULL: none sent */
	TPMS_ATTEST attest;
	TPMT_SIGNATURE sig;
} quote;

static void quote_done(quote *q)
{
	eventlog_free(q->log);
	free(q->ak_spki);
	EVP_PKEY_free(q->ak);
	tpm_evidence_free(q->ev);
}

static int quote_decode(const json_t *evidence, quote *q, cc_error **err)
{
	int r = tpm_evidence_parse(evidence, &q->ev, err);
	if (r < 0)
		return r;
	r = tpm_ak_decode(q->ev->ak_der, q->ev->ak_der_len, &q->ak, err);
	if (r < 0)
		return r;
	if (tpm_pkey_spki(q->ak, &q->ak_spki, &q->ak_spki_len) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (q->ev->eventlog != NULL) {
		r = eventlog_parse(q->ev->eventlog, q->ev->eventlog_len, EVENTLOG_AUTO, &q->log, err);
		if (r < 0)
			return cc_error_wrap(err, "eventlog");
	}
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

/* The quote's pcrDigest is the signing hash over the quoted PCR values. */
static int check_pcrs(const quote *q, cc_error **err)
{
	const TPM2B_DIGEST *want = &q->attest.attested.quote.pcrDigest;
	TPMI_ALG_HASH h = q->sig.sigAlg == TPM2_ALG_ECDSA ? q->sig.signature.ecdsa.hash
	                                                  : q->sig.signature.rsassa.hash;
	const EVP_MD *md = h == TPM2_ALG_SHA256   ? EVP_sha256()
	                   : h == TPM2_ALG_SHA384 ? EVP_sha384()
	                                          : EVP_sha512();
	if ((int)want->size != EVP_MD_get_size(md))
		return cc_error_set(err, -EBADMSG,
		                    "pcr digest: pcrDigest is %u bytes, the signing hash's are %d",
		                    (unsigned)want->size, EVP_MD_get_size(md));
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	if (EVP_Digest(q->ev->pcrs, sizeof(q->ev->pcrs), d, &n, md, NULL) != 1)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (n != want->size || CRYPTO_memcmp(d, want->buffer, n) != 0)
		return cc_error_set(err, -EBADMSG,
		                    "pcr digest: Digest of PCRs does not match digest in Quote: "
		                    "tpm_quote.pcrs are not the quoted values");
	return 0;
}

/* The quote's extraData must be report_data zero-padded to 64 bytes. */
static int check_nonce(const quote *q, const uint8_t *rd, size_t rd_len, cc_error **err)
{
	if (rd_len > TPM_REPORT_DATA_SIZE)
		return cc_error_set(err, -EINVAL,
		                    "report_data mismatch: expected report data is %zu bytes, more "
		                    "than %u",
		                    rd_len, TPM_REPORT_DATA_SIZE);
	uint8_t want[TPM_REPORT_DATA_SIZE] = {0};
	if (rd_len > 0)
		memcpy(want, rd, rd_len);
	const TPM2B_DATA *got = &q->attest.extraData;
	if (got->size != sizeof(want) || CRYPTO_memcmp(got->buffer, want, sizeof(want)) != 0)
		return cc_error_set(err, -EPERM,
		                    "report_data mismatch: TPM quote nonce doesn't match expected "
		                    "report_data");
	return 0;
}

/* PCR 8 must be SHA-256(32 x 0x00 || init-data digest): one extend of a
 * PCR reset to zeros, as the attester's bind_init_data does. */
static int check_init_data(const quote *q, const uint8_t *id, size_t id_len, cc_error **err)
{
	if (id_len != TPM_SHA256_SIZE)
		return cc_error_set(err, -EINVAL,
		                    "init_data mismatch: init-data digest is %zu bytes: a TPM binds "
		                    "a SHA-256 digest (32 bytes) in PCR %u",
		                    id_len, TPM_INITDATA_PCR);
	static const uint8_t zeros[TPM_SHA256_SIZE];
	uint8_t want[TPM_SHA256_SIZE];
	if (tpm_sha256_2(zeros, sizeof(zeros), id, id_len, want) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (CRYPTO_memcmp(want, q->ev->pcrs[TPM_INITDATA_PCR], sizeof(want)) != 0)
		return cc_error_set(err, -EPERM,
		                    "init_data mismatch: TPM PCR[%u] doesn't match expected initdata "
		                    "hash",
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

/* --nonce: byte for byte the quote's qualifying data (extraData). */
static int check_exact_nonce(const quote *q, const uint8_t *nonce, size_t len, cc_error **err)
{
	const TPM2B_DATA *got = &q->attest.extraData;
	if (got->size != len || CRYPTO_memcmp(got->buffer, nonce, len) != 0) {
		char g[2 * sizeof(got->buffer) + 1];
		tpm_hex_encode(got->buffer, got->size, g);
		return cc_error_set(err, -EPERM,
		                    "nonce mismatch: the quote's qualifying data is %s (%u bytes), "
		                    "not the expected nonce (%zu bytes)",
		                    g, (unsigned)got->size, len);
	}
	return 0;
}

/* The evidence's own report_data member (guest-components' newer
 * attester) must be what the TPM quoted. */
static int check_evidence_report_data(const quote *q, cc_error **err)
{
	const TPM2B_DATA *got = &q->attest.extraData;
	if (q->ev->report_data == NULL)
		return 0;
	if (got->size != q->ev->report_data_len ||
	    CRYPTO_memcmp(got->buffer, q->ev->report_data, got->size) != 0)
		return cc_error_set(err, -EPERM,
		                    "report_data mismatch: the evidence's report_data is not the "
		                    "quote's qualifying data");
	return 0;
}

/* Every SHA-256 PCR the log extends must replay to its quoted value. */
static int check_eventlog(const quote *q, cc_error **err)
{
	if (q->log == NULL)
		return 0;
	size_t checked = 0;
	for (unsigned i = 0; i < TPM_PCR_COUNT; i++) {
		uint8_t v[TPM_SHA256_SIZE];
		bool touched = false;
		int r = eventlog_replay(q->log, EVENTLOG_ALG_SHA256, i, v, &touched, err);
		if (r == -ENOENT)
			return cc_error_set(err, -EPERM,
			                    "event log replay: the log has no sha256 bank (%s), and "
			                    "the quote covers SHA-256 PCRs only",
			                    eventlog_get_format(q->log) == EVENTLOG_LEGACY
			                        ? "a legacy SHA-1 log"
			                        : "its header declares no SHA-256");
		if (r < 0)
			return r;
		if (!touched)
			continue;
		r = eventlog_check_register(q->log, EVENTLOG_ALG_SHA256, i, q->ev->pcrs[i],
		                            TPM_SHA256_SIZE, err);
		if (r < 0)
			return r;
		checked++;
	}
	if (checked == 0)
		return cc_error_set(err, -EPERM,
		                    "event log replay: the log extends no SHA-256 PCR");
	return 0;
}

static int check_ak(const quote *q, const tpm_policy *pol, cc_error **err)
{
	if (pol->trusted != NULL &&
	    !tpm_ak_set_contains(pol->trusted, q->ak_spki, q->ak_spki_len))
		return cc_error_set(err, -EPERM,
		                    "AK trust: The provided AK public key is not in the list of "
		                    "trusted keys");
	if (pol->ak_cas != NULL)
		return tpm_ak_check_chain(pol->ak_cas, pol->at, q->ev->ak_cert_pem,
		                          q->ev->ak_cert_pem_len, q->ak, err);
	return 0;
}

int tpm_verify_evidence_policy(const json_t *evidence, const uint8_t *report_data,
                               size_t rd_len, const uint8_t *init_data, size_t id_len,
                               const tpm_policy *pol, json_t **ret_claims, cc_error **err)
{
	quote q = {0};
	int r = quote_decode(evidence, &q, err);
	if (r >= 0)
		r = check_ak(&q, pol, err);
	if (r >= 0)
		r = tpm_verify_signature(q.ak, q.ev->message, q.ev->message_len, &q.sig, err);
	if (r >= 0)
		r = check_pcrs(&q, err);
	if (r >= 0)
		r = check_eventlog(&q, err);
	if (r >= 0 && pol->nonce != NULL)
		r = check_exact_nonce(&q, pol->nonce, pol->nonce_len, err);
	if (r >= 0)
		r = check_evidence_report_data(&q, err);
	if (r >= 0 && report_data != NULL)
		r = check_nonce(&q, report_data, rd_len, err);
	if (r >= 0 && init_data != NULL)
		r = check_init_data(&q, init_data, id_len, err);
	json_t *claims = NULL;
	if (r >= 0 && make_claims(&q, &claims) < 0)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r >= 0 && q.log != NULL) {
		json_t *parsed = NULL;
		r = eventlog_to_json(q.log, &parsed, err);
		if (r >= 0 && json_object_set(claims, "uefi_event_logs",
		                              json_object_get(parsed, "uefi_event_logs")) < 0)
			r = cc_error_set(err, -ENOMEM, "out of memory");
		json_decref(parsed);
		if (r < 0)
			json_decref(claims);
	}
	quote_done(&q);
	if (r < 0)
		return r;
	*ret_claims = claims;
	return 0;
}

int tpm_verify_evidence(const json_t *evidence, const uint8_t *report_data, size_t rd_len,
                        const uint8_t *init_data, size_t id_len, const tpm_ak_set *trusted,
                        json_t **ret_claims, cc_error **err)
{
	tpm_policy pol = {.trusted = trusted};
	return tpm_verify_evidence_policy(evidence, report_data, rd_len, init_data, id_len, &pol,
	                                  ret_claims, err);
}

static int verifier_evaluate(attest_verifier *v, const json_t *evidence, const uint8_t *rd,
                             size_t rd_len, const uint8_t *id, size_t id_len, json_t **ret,
                             cc_error **err)
{
	struct tpm_verifier *t = (struct tpm_verifier *)v;
	tpm_policy pol = {
		.trusted = t->trusted,
		.ak_cas = t->ak_cas,
		.at = t->at,
		.nonce = t->has_nonce ? t->nonce : NULL,
		.nonce_len = t->nonce_len,
	};
	return tpm_verify_evidence_policy(evidence, rd, rd_len, id, id_len, &pol, ret, err);
}

static void verifier_free(attest_verifier *v)
{
	struct tpm_verifier *t = (struct tpm_verifier *)v;
	tpm_ak_set_free(t->trusted);
	X509_STORE_free(t->ak_cas);
	free(t);
}

static const attest_verifier_ops tpm_verifier_ops = {
	.tee = "tpm",
	.tee_class = "cpu",
	.evaluate = verifier_evaluate,
	.free = verifier_free,
};

int tpm_verifier_new_opts(const attest_verifier_opts *o, attest_verifier **ret, cc_error **err)
{
	if (o->nonce != NULL && o->nonce_len > TPM_REPORT_DATA_SIZE)
		return cc_error_set(err, -EINVAL,
		                    "nonce: %zu bytes, more than a quote's %u-byte qualifying data",
		                    o->nonce_len, TPM_REPORT_DATA_SIZE);
	struct tpm_verifier *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	t->base.ops = &tpm_verifier_ops;
	t->at = o->at;
	if (o->nonce != NULL) {
		if (o->nonce_len > 0)
			memcpy(t->nonce, o->nonce, o->nonce_len);
		t->nonce_len = o->nonce_len;
		t->has_nonce = true;
	}
	int r = 0;
	if (o->trusted_ak_dir != NULL)
		r = tpm_ak_set_load_dir(o->trusted_ak_dir, &t->trusted, err);
	if (r == 0 && o->tpm_ak_ca_dir != NULL)
		r = tpm_ak_ca_load_dir(o->tpm_ak_ca_dir, &t->ak_cas, err);
	if (r < 0) {
		verifier_free(&t->base);
		return r;
	}
	*ret = &t->base;
	return 0;
}

int tpm_verifier_new(const char *trusted_ak_dir, attest_verifier **ret, cc_error **err)
{
	attest_verifier_opts o = {.trusted_ak_dir = trusted_ak_dir};
	return tpm_verifier_new_opts(&o, ret, err);
}
