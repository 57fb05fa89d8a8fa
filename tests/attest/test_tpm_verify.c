/* Unit tests of the TPM verifier's parsers and checks (lib/attest/tpm_*.c),
 * on Trustee's own swtpm evidence (vectors/trustee_tpm_evidence.json, the
 * path is argv[1]) and on hostile variants of it: truncated, oversized,
 * garbage, wrong types, every structural rule. No TPM is needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tss2/tss2_mu.h>
#include <unistd.h>

#include "tpm_int.h"

static const char *fixture_path;

/* The fixture's extraData: a 48-byte digest, then 16 zero bytes. */
static const char fixture_rd_hex[] =
	"a04182b506878d4f29b91ee606a71a0d3361ccf1b22db20c98adcaa537bea393"
	"ef0e41a18b3569ab678f1497fbc5c120";

static json_t *fixture(void)
{
	json_error_t je;
	json_t *j = json_load_file(fixture_path, JSON_REJECT_DUPLICATES, &je);
	assert_non_null(j);
	return j;
}

static void fixture_rd(uint8_t rd[48])
{
	assert_int_equal(tpm_hex_decode(fixture_rd_hex, 96, rd, 48), 0);
}

static json_t *quote_of(json_t *ev)
{
	return json_object_get(ev, "tpm_quote");
}

/* Decodes a base64 member of the fixture's tpm_quote. */
static uint8_t *fixture_bytes(const char *key, size_t *len)
{
	json_t *ev = fixture();
	const char *s = json_string_value(json_object_get(quote_of(ev), key));
	uint8_t *p = NULL;
	assert_int_equal(tpm_b64_decode(s, strlen(s), 4096, &p, len), 0);
	json_decref(ev);
	return p;
}

static void set_b64_member(json_t *obj, const char *key, const uint8_t *p, size_t len)
{
	char *s = tpm_b64_encode(p, len);
	assert_non_null(s);
	assert_int_equal(json_object_set_new(obj, key, json_string(s)), 0);
	free(s);
}

/* Runs the verifier and checks the code and that the message contains
 * want; *claims must stay untouched on failure. */
static void expect_fail(const json_t *ev, const uint8_t *rd, size_t rd_len, const uint8_t *id,
                        size_t id_len, int code, const char *want)
{
	cc_error *err = NULL;
	json_t *claims = (json_t *)0x1;
	int r = tpm_verify_evidence(ev, rd, rd_len, id, id_len, NULL, &claims, &err);
	if (r != code || strstr(cc_error_message(err), want) == NULL)
		fail_msg("got %d \"%s\", want %d \"%s\"", r, cc_error_message(err), code, want);
	assert_ptr_equal(claims, (json_t *)0x1);
	cc_error_free(err);
}

/* ---- codec ------------------------------------------------------------ */

static void test_b64_strict(void **state)
{
	uint8_t *p = NULL;
	size_t n = 0;
	assert_int_equal(tpm_b64_decode("aGk=", 4, 16, &p, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(p, "hi", 2);
	free(p);
	assert_int_equal(tpm_b64_decode("", 0, 16, &p, &n), 0);
	assert_int_equal(n, 0);
	free(p);
	static const char *bad[] = {
		"aGk",      /* length not a multiple of 4 */
		"aGl=",     /* unused bits set: not canonical */
		"aG==",     /* unused bits set */
		"a===",     /* three pads */
		"aG=k",     /* data after padding */
		"aGk=aGk=", /* padding in the middle */
		"aGk\n",    /* whitespace */
		"aGk-",     /* URL-safe alphabet */
		"aGk_",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = (uint8_t *)0x1;
		assert_int_equal(tpm_b64_decode(bad[i], strlen(bad[i]), 16, &p, &n), -EINVAL);
		assert_ptr_equal(p, (uint8_t *)0x1);
	}
	assert_int_equal(tpm_b64_decode("AAAAAAAA", 8, 5, &p, &n), -E2BIG);
	assert_int_equal(tpm_b64_decode("AAAAAA==", 8, 4, &p, &n), 0);
	free(p);
	assert_int_equal(tpm_b64_decode("AAAAAA==", 8, 3, &p, &n), -E2BIG);
	char *s = tpm_b64_encode((const uint8_t *)"\xff\xfe\x00\x01", 4);
	assert_string_equal(s, "//4AAQ==");
	free(s);
}

static void test_hex(void **state)
{
	uint8_t b[2];
	assert_int_equal(tpm_hex_decode("aBcD", 4, b, 2), 0);
	assert_int_equal(b[0], 0xab);
	assert_int_equal(b[1], 0xcd);
	assert_int_equal(tpm_hex_decode("abc", 3, b, 2), -EINVAL);
	assert_int_equal(tpm_hex_decode("abcdef", 6, b, 2), -EINVAL);
	assert_int_equal(tpm_hex_decode("abcg", 4, b, 2), -EINVAL);
	assert_int_equal(tpm_hex_decode("ab c", 4, b, 2), -EINVAL);
	char out[5];
	tpm_hex_encode((const uint8_t *)"\x0f\xa0", 2, out);
	assert_string_equal(out, "0fa0");
}

/* ---- wire ------------------------------------------------------------- */

static void test_attest_fixture(void **state)
{
	size_t len;
	uint8_t *msg = fixture_bytes("message", &len);
	TPMS_ATTEST a;
	assert_int_equal(len, 177);
	assert_int_equal(tpm_wire_attest(msg, len, &a, NULL), 0);
	assert_int_equal(tpm_wire_check_quote(&a, NULL), 0);
	assert_int_equal(a.extraData.size, 64);
	assert_int_equal(a.attested.quote.pcrSelect.pcrSelections[0].sizeofSelect, 3);
	/* Every truncation is refused, and a byte too many. */
	for (size_t cut = 0; cut < len; cut++) {
		cc_error *err = NULL;
		assert_int_equal(tpm_wire_attest(msg, cut, &a, &err), -EINVAL);
		assert_non_null(strstr(cc_error_message(err), "TPMS_ATTEST: malformed"));
		cc_error_free(err);
	}
	uint8_t *longer = malloc(len + 1);
	memcpy(longer, msg, len);
	longer[len] = 0;
	cc_error *err = NULL;
	assert_int_equal(tpm_wire_attest(longer, len + 1, &a, &err), -EINVAL);
	assert_string_equal(cc_error_message(err), "TPMS_ATTEST: 1 bytes after the structure's end");
	cc_error_free(err);
	free(longer);
	free(msg);
}

static void test_attest_garbage(void **state)
{
	uint8_t buf[512];
	TPMS_ATTEST a;
	/* A byte pattern of every value, and a huge claimed TPM2B size. */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37u);
	assert_int_equal(tpm_wire_attest(buf, sizeof(buf), &a, NULL), -EINVAL);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(tpm_wire_attest(buf, sizeof(buf), &a, NULL), -EINVAL);
	assert_int_equal(tpm_wire_attest(buf, 0, &a, NULL), -EINVAL);
}

/* Re-marshals the fixture's attestation after edit() and expects the
 * quote check to fail with want. */
static void expect_quote_rule(void (*edit)(TPMS_ATTEST *), const char *want)
{
	size_t len;
	uint8_t *msg = fixture_bytes("message", &len);
	TPMS_ATTEST a;
	assert_int_equal(tpm_wire_attest(msg, len, &a, NULL), 0);
	edit(&a);
	uint8_t out[sizeof(TPMS_ATTEST)];
	size_t off = 0;
	assert_int_equal(Tss2_MU_TPMS_ATTEST_Marshal(&a, out, sizeof(out), &off), TSS2_RC_SUCCESS);
	TPMS_ATTEST b;
	cc_error *err = NULL;
	int r = tpm_wire_attest(out, off, &b, &err);
	if (r == 0)
		r = tpm_wire_check_quote(&b, &err);
	assert_int_equal(r, -EINVAL);
	if (strstr(cc_error_message(err), want) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", cc_error_message(err), want);
	cc_error_free(err);
	free(msg);
}

static void edit_magic(TPMS_ATTEST *a) { a->magic = 0xff544348; }
static void edit_type(TPMS_ATTEST *a)
{
	/* A certification instead of a quote (the union follows the type). */
	a->type = TPM2_ST_ATTEST_CERTIFY;
	memset(&a->attested.certify, 0, sizeof(a->attested.certify));
}
static void edit_bank(TPMS_ATTEST *a) { a->attested.quote.pcrSelect.pcrSelections[0].hash = TPM2_ALG_SHA1; }
static void edit_fewer(TPMS_ATTEST *a) { a->attested.quote.pcrSelect.pcrSelections[0].pcrSelect[2] = 0x7f; }
static void edit_more(TPMS_ATTEST *a)
{
	TPMS_PCR_SELECTION *s = &a->attested.quote.pcrSelect.pcrSelections[0];
	s->sizeofSelect = 4;
	s->pcrSelect[3] = 0x01;
}
static void edit_short_select(TPMS_ATTEST *a) { a->attested.quote.pcrSelect.pcrSelections[0].sizeofSelect = 2; }
static void edit_two_banks(TPMS_ATTEST *a)
{
	TPML_PCR_SELECTION *l = &a->attested.quote.pcrSelect;
	l->pcrSelections[1] = l->pcrSelections[0];
	l->pcrSelections[1].hash = TPM2_ALG_SHA384;
	l->count = 2;
}
static void edit_digest(TPMS_ATTEST *a) { a->attested.quote.pcrDigest.size = 20; }

static void test_quote_rules(void **state)
{
	expect_quote_rule(edit_magic, "not TPM_GENERATED_VALUE");
	expect_quote_rule(edit_type, "not TPM_ST_ATTEST_QUOTE");
	expect_quote_rule(edit_bank, "expected SHA-256");
	expect_quote_rule(edit_fewer, "other PCRs than 0..23");
	expect_quote_rule(edit_more, "other PCRs than 0..23");
	expect_quote_rule(edit_short_select, "fewer than PCR 0..23");
	expect_quote_rule(edit_two_banks, "selects 2 PCR banks");
	expect_quote_rule(edit_digest, "pcrDigest is 20 bytes, expected 32, 48 or 64");
}

static void test_signature_wire(void **state)
{
	size_t len;
	uint8_t *sig = fixture_bytes("signature", &len);
	TPMT_SIGNATURE s;
	assert_int_equal(len, 262);
	assert_int_equal(tpm_wire_signature(sig, len, &s, NULL), 0);
	assert_int_equal(s.sigAlg, TPM2_ALG_RSASSA);
	assert_int_equal(s.signature.rsassa.hash, TPM2_ALG_SHA256);
	assert_int_equal(s.signature.rsassa.sig.size, 256);
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(tpm_wire_signature(sig, cut, &s, NULL), -EINVAL);
	/* An unknown scheme selector, and a size larger than the buffer. */
	uint8_t bad[6] = {0x7f, 0x7f, 0x00, 0x0b, 0x00, 0x00};
	assert_int_equal(tpm_wire_signature(bad, sizeof(bad), &s, NULL), -EINVAL);
	uint8_t big[6] = {0x00, 0x14, 0x00, 0x0b, 0xff, 0xff};
	assert_int_equal(tpm_wire_signature(big, sizeof(big), &s, NULL), -EINVAL);
	free(sig);
}

/* ---- evidence JSON ---------------------------------------------------- */

static void expect_parse(json_t *ev, int code, const char *want)
{
	cc_error *err = NULL;
	tpm_evidence *e = (tpm_evidence *)0x1;
	int r = tpm_evidence_parse(ev, &e, &err);
	if (r != code || strstr(cc_error_message(err), want) == NULL)
		fail_msg("got %d \"%s\", want %d \"%s\"", r, cc_error_message(err), code, want);
	assert_ptr_equal(e, (tpm_evidence *)0x1);
	cc_error_free(err);
	json_decref(ev);
}

static void test_evidence_shapes(void **state)
{
	tpm_evidence *e = NULL;
	json_t *ev = fixture();
	/* Unknown members are ignored, as serde ignores them; report_data
	 * (guest-components' newer attester) is decoded and kept. */
	uint8_t rd64[64] = {0};
	fixture_rd(rd64);
	set_b64_member(ev, "report_data", rd64, sizeof(rd64));
	json_object_set_new(ev, "svn", json_string("1"));
	assert_int_equal(tpm_evidence_parse(ev, &e, NULL), 0);
	assert_int_equal(e->ak_der_len, 294);
	assert_int_equal(e->pcrs[17][0], 0xff);
	assert_int_equal(e->report_data_len, 64);
	tpm_evidence_free(e);
	json_decref(ev);
	ev = fixture();
	json_object_set_new(ev, "report_data", json_string("x"));
	expect_parse(ev, -EINVAL, "report_data: not canonical standard base64");

	expect_parse(json_array(), -EINVAL, "not a JSON object");
	ev = fixture();
	json_object_del(ev, "ak_public");
	expect_parse(ev, -EINVAL, "ak_public: missing");
	ev = fixture();
	json_object_set_new(ev, "ak_public", json_integer(1));
	expect_parse(ev, -EINVAL, "ak_public: not a JSON string");
	ev = fixture();
	json_object_set_new(ev, "ak_public", json_string(""));
	expect_parse(ev, -EINVAL, "ak_public: empty");
	ev = fixture();
	json_object_set_new(ev, "ak_public", json_string("AAAA AAA"));
	expect_parse(ev, -EINVAL, "ak_public: not canonical standard base64");
	/* the optional members: types and caps */
	ev = fixture();
	uint8_t big[TPM_REPORT_DATA_SIZE + 1] = {0};
	set_b64_member(ev, "report_data", big, sizeof(big));
	expect_parse(ev, -E2BIG, "oversized report_data: 65 bytes");
	ev = fixture();
	json_object_set_new(ev, "ak_certificate", json_integer(1));
	expect_parse(ev, -EINVAL, "ak_certificate: not a JSON string");
	ev = fixture();
	char *pem = malloc(CC_TPM_MAX_AK_CHAIN_BYTES + 2);
	assert_non_null(pem);
	memset(pem, 'A', CC_TPM_MAX_AK_CHAIN_BYTES + 1);
	pem[CC_TPM_MAX_AK_CHAIN_BYTES + 1] = '\0';
	json_object_set_new(ev, "ak_certificate", json_string(pem));
	free(pem);
	expect_parse(ev, -E2BIG, "oversized ak_certificate");
	ev = fixture();
	json_object_set_new(ev, "eventlog", json_string("!!!!"));
	expect_parse(ev, -EINVAL, "eventlog: not canonical standard base64");
	ev = fixture();
	size_t n = (CC_TPM_MAX_EVENTLOG_BYTES + 3) / 3 * 4 + 4;
	char *b64 = malloc(n + 1);
	assert_non_null(b64);
	memset(b64, 'A', n);
	b64[n] = '\0';
	json_object_set_new(ev, "eventlog", json_string(b64));
	free(b64);
	expect_parse(ev, -E2BIG, "oversized eventlog");
	ev = fixture();
	json_object_set_new(ev, "tpm_quote", json_string("x"));
	expect_parse(ev, -EINVAL, "tpm_quote: not a JSON object");
	ev = fixture();
	json_object_del(quote_of(ev), "message");
	expect_parse(ev, -EINVAL, "tpm_quote.message: missing");
	ev = fixture();
	json_object_set_new(quote_of(ev), "signature", json_null());
	expect_parse(ev, -EINVAL, "tpm_quote.signature: not a JSON string");
	ev = fixture();
	json_object_set_new(quote_of(ev), "pcrs", json_object());
	expect_parse(ev, -EINVAL, "tpm_quote.pcrs: not a JSON array");
	ev = fixture();
	json_array_remove(json_object_get(quote_of(ev), "pcrs"), 0);
	expect_parse(ev, -EINVAL, "tpm_quote.pcrs: 23 values, expected 24");
	ev = fixture();
	json_array_append_new(json_object_get(quote_of(ev), "pcrs"), json_string("00"));
	expect_parse(ev, -EINVAL, "tpm_quote.pcrs: 25 values");
	ev = fixture();
	json_array_set_new(json_object_get(quote_of(ev), "pcrs"), 5, json_string("0011"));
	expect_parse(ev, -EINVAL, "tpm_quote.pcrs[5]: 4 characters, expected 64 hex digits");
	ev = fixture();
	json_array_set_new(json_object_get(quote_of(ev), "pcrs"), 7, json_integer(0));
	expect_parse(ev, -EINVAL, "tpm_quote.pcrs[7]: not a JSON string");
}

static void test_evidence_oversized(void **state)
{
	/* Base64 longer than any allowed field is refused before decoding. */
	size_t n = 4 * 4096;
	char *big = malloc(n + 1);
	memset(big, 'A', n);
	big[n] = '\0';
	json_t *ev = fixture();
	json_object_set_new(quote_of(ev), "message", json_string(big));
	expect_parse(ev, -E2BIG, "tpm_quote.message: 16384 base64 characters, more than 4096");
	/* Just over the cap after decoding. */
	big[4 * 1366] = '\0';
	ev = fixture();
	json_object_set_new(ev, "ak_public", json_string(big));
	expect_parse(ev, -E2BIG, "ak_public: more than 4096 bytes");
	free(big);
}

static void test_evidence_format_roundtrip(void **state)
{
	json_t *ev = fixture();
	tpm_evidence *e = NULL;
	assert_int_equal(tpm_evidence_parse(ev, &e, NULL), 0);
	char *text = NULL;
	assert_int_equal(tpm_evidence_format(e->ak_der, e->ak_der_len, e->message, e->message_len,
	                                     e->signature, e->signature_len,
	                                     (const uint8_t(*)[32])e->pcrs, &text, NULL),
	                 0);
	json_t *back = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	assert_true(json_equal(back, ev));
	/* Upstream's order: members sorted, no spaces. */
	assert_memory_equal(text, "{\"ak_public\":\"MIIB", 17);
	assert_non_null(strstr(text, "\"tpm_quote\":{\"message\":\""));
	json_decref(back);
	free(text);
	tpm_evidence_free(e);
	json_decref(ev);
}

/* ---- the checks, on upstream's evidence -------------------------------- */

static void test_verify_fixture(void **state)
{
	json_t *ev = fixture();
	uint8_t rd[48];
	fixture_rd(rd);
	json_t *claims = NULL;
	cc_error *err = NULL;
	int r = tpm_verify_evidence(ev, rd, sizeof(rd), NULL, 0, NULL, &claims, &err);
	if (r < 0)
		fail_msg("%s", cc_error_message(err));
	/* Trustee's claims (pcr00..pcr23, init_data, report_data) + ak_public. */
	assert_int_equal(json_object_size(claims), 27);
	assert_string_equal(json_string_value(json_object_get(claims, "ak_public")),
	                    json_string_value(json_object_get(ev, "ak_public")));
	const char *rdc = json_string_value(json_object_get(claims, "report_data"));
	assert_int_equal(strlen(rdc), 128);
	assert_memory_equal(rdc, fixture_rd_hex, 96);
	assert_string_equal(rdc + 96, "00000000000000000000000000000000");
	assert_string_equal(json_string_value(json_object_get(claims, "init_data")),
	                    json_string_value(json_object_get(claims, "pcr08")));
	assert_string_equal(json_string_value(json_object_get(claims, "pcr17")),
	                    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
	assert_non_null(json_object_get(claims, "pcr23"));
	json_decref(claims);
	/* Report data not provided (Trustee's ReportData::NotProvided). */
	claims = NULL;
	assert_int_equal(tpm_verify_evidence(ev, NULL, 0, NULL, 0, NULL, &claims, NULL), 0);
	json_decref(claims);
	/* The digest padded to 64 by the caller is the same nonce. */
	uint8_t rd64[64] = {0};
	memcpy(rd64, rd, 48);
	claims = NULL;
	assert_int_equal(tpm_verify_evidence(ev, rd64, 64, NULL, 0, NULL, &claims, NULL), 0);
	json_decref(claims);
	json_decref(ev);
}

static void test_verify_nonce_and_init_data(void **state)
{
	json_t *ev = fixture();
	uint8_t rd[65];
	fixture_rd(rd);
	/* The reference notes' 32-byte truncation is not upstream's rule. */
	expect_fail(ev, rd, 32, NULL, 0, -EPERM, "nonce doesn't match expected report_data");
	rd[47] ^= 1;
	expect_fail(ev, rd, 48, NULL, 0, -EPERM, "nonce doesn't match expected report_data");
	rd[47] ^= 1;
	expect_fail(ev, rd, 65, NULL, 0, -EINVAL, "65 bytes, more than 64");
	/* PCR 8 of the fixture is zero: no init-data digest matches it. */
	uint8_t id[48] = {0};
	expect_fail(ev, rd, 48, id, 32, -EPERM, "TPM PCR[8] doesn't match expected initdata hash");
	expect_fail(ev, rd, 48, id, 48, -EINVAL, "init-data digest is 48 bytes");
	json_decref(ev);
}

static void test_verify_tampered(void **state)
{
	uint8_t rd[48];
	fixture_rd(rd);
	json_t *ev = fixture();
	/* A PCR value that is not the quoted one. */
	json_array_set_new(json_object_get(quote_of(ev), "pcrs"), 11,
	                   json_string("11111111111111111111111111111111"
	                               "11111111111111111111111111111111"));
	expect_fail(ev, rd, 48, NULL, 0, -EBADMSG, "Digest of PCRs does not match digest in Quote");
	json_decref(ev);

	size_t len;
	uint8_t *msg = fixture_bytes("message", &len);
	msg[len - 60] ^= 0x01; /* clockInfo.resetCount: still parses */
	ev = fixture();
	set_b64_member(quote_of(ev), "message", msg, len);
	expect_fail(ev, rd, 48, NULL, 0, -EBADMSG, "signature verification failed");
	json_decref(ev);
	free(msg);

	uint8_t *sig = fixture_bytes("signature", &len);
	sig[len - 1] ^= 0x80;
	ev = fixture();
	set_b64_member(quote_of(ev), "signature", sig, len);
	expect_fail(ev, rd, 48, NULL, 0, -EBADMSG, "signature verification failed");
	json_decref(ev);
	/* Another scheme than RSASSA (RSAPSS, same layout). */
	sig[len - 1] ^= 0x80;
	sig[1] = 0x16;
	ev = fixture();
	set_b64_member(quote_of(ev), "signature", sig, len);
	expect_fail(ev, rd, 48, NULL, 0, -ENOTSUP, "quote signature: TPMT_SIGNATURE scheme 0x0016 does not fit the RSA AK");
	json_decref(ev);
	/* Truncated signature. */
	ev = fixture();
	set_b64_member(quote_of(ev), "signature", sig, 100);
	expect_fail(ev, rd, 48, NULL, 0, -EINVAL, "tpm_quote.signature: TPMT_SIGNATURE: malformed");
	json_decref(ev);
	free(sig);
}

/* DER SPKI of a fresh key made with OpenSSL; the caller frees it. */
static uint8_t *make_key(const char *type, unsigned bits, size_t *len)
{
	EVP_PKEY *pk = strcmp(type, "RSA") == 0 ? EVP_RSA_gen(bits) : EVP_EC_gen("P-256");
	assert_non_null(pk);
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pk, &der);
	assert_true(n > 0);
	uint8_t *copy = malloc((size_t)n);
	memcpy(copy, der, (size_t)n);
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	*len = (size_t)n;
	return copy;
}

static void test_verify_foreign_ak(void **state)
{
	uint8_t rd[48];
	fixture_rd(rd);
	size_t len;
	uint8_t *der = make_key("RSA", 2048, &len);
	json_t *ev = fixture();
	set_b64_member(ev, "ak_public", der, len);
	expect_fail(ev, rd, 48, NULL, 0, -EBADMSG, "not signed by ak_public");
	json_decref(ev);
	free(der);

	der = make_key("EC", 0, &len);
	ev = fixture();
	set_b64_member(ev, "ak_public", der, len);
	expect_fail(ev, rd, 48, NULL, 0, -ENOTSUP, "scheme 0x0014 does not fit the ECC AK");
	json_decref(ev);
	free(der);

	der = make_key("RSA", 1024, &len);
	ev = fixture();
	set_b64_member(ev, "ak_public", der, len);
	expect_fail(ev, rd, 48, NULL, 0, -EINVAL, "RSA key of 1024 bits");
	json_decref(ev);
	free(der);

	ev = fixture();
	set_b64_member(ev, "ak_public", (const uint8_t *)"\x30\x03\x02\x01\x01", 5);
	expect_fail(ev, rd, 48, NULL, 0, -EINVAL, "not a DER SubjectPublicKeyInfo");
	json_decref(ev);

	/* The right key with a byte after its DER. */
	ev = fixture();
	tpm_evidence *e = NULL;
	assert_int_equal(tpm_evidence_parse(ev, &e, NULL), 0);
	uint8_t *longer = malloc(e->ak_der_len + 1);
	memcpy(longer, e->ak_der, e->ak_der_len);
	longer[e->ak_der_len] = 0;
	set_b64_member(ev, "ak_public", longer, e->ak_der_len + 1);
	expect_fail(ev, rd, 48, NULL, 0, -EINVAL, "not a DER SubjectPublicKeyInfo");
	free(longer);
	tpm_evidence_free(e);
	json_decref(ev);
}

/* The AK's SPKI from a TPM public area equals the DER the attester sends
 * (the fixture's key rebuilt from its modulus). */
static void test_spki_from_public(void **state)
{
	json_t *ev = fixture();
	tpm_evidence *e = NULL;
	assert_int_equal(tpm_evidence_parse(ev, &e, NULL), 0);
	const unsigned char *p = e->ak_der;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)e->ak_der_len);
	BIGNUM *n = NULL;
	assert_int_equal(EVP_PKEY_get_bn_param(pk, "n", &n), 1);
	TPMT_PUBLIC pub = {.type = TPM2_ALG_RSA};
	pub.unique.rsa.size = (UINT16)BN_bn2bin(n, pub.unique.rsa.buffer);
	uint8_t *der = NULL;
	size_t len = 0;
	assert_int_equal(tpm_spki_from_public(&pub, &der, &len, NULL), 0);
	assert_int_equal(len, e->ak_der_len);
	assert_memory_equal(der, e->ak_der, len);
	free(der);
	pub.type = TPM2_ALG_ECC;
	cc_error *err = NULL;
	assert_int_equal(tpm_spki_from_public(&pub, &der, &len, &err), -ENOTSUP);
	cc_error_free(err);
	BN_free(n);
	EVP_PKEY_free(pk);
	tpm_evidence_free(e);
	json_decref(ev);
}

/* ---- trusted AKs ------------------------------------------------------- */

static void write_file(const char *dir, const char *name, const void *p, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	fclose(f);
}

static void write_pem(const char *dir, const char *name, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)len);
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, pk), 1);
	fclose(f);
	EVP_PKEY_free(pk);
}

static void rm_dir(const char *dir)
{
	char cmd[600];
	/* Test files only: unlink what the tests wrote, then the directory. */
	static const char *names[] = {"ak.pub", "other.pub", "note.txt", "bad.pub"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s/%s", dir, names[i]);
		unlink(cmd);
	}
	for (int i = 0; i < 101; i++) {
		snprintf(cmd, sizeof(cmd), "%s/k%03d.pub", dir, i);
		unlink(cmd);
	}
	rmdir(dir);
}

static void test_trusted_dir(void **state)
{
	char dir[] = "/tmp/cocoon-tpm-trust-XXXXXX";
	assert_non_null(mkdtemp(dir));
	json_t *ev = fixture();
	tpm_evidence *e = NULL;
	assert_int_equal(tpm_evidence_parse(ev, &e, NULL), 0);
	uint8_t rd[48];
	fixture_rd(rd);
	size_t olen;
	uint8_t *other = make_key("RSA", 2048, &olen);
	write_pem(dir, "other.pub", other, olen);
	write_file(dir, "note.txt", "not a key", 9); /* not *.pub: ignored */

	attest_verifier *v = NULL;
	cc_error *err = NULL;
	json_t *claims = NULL;
	assert_int_equal(tpm_verifier_new(dir, &v, NULL), 0);
	assert_string_equal(attest_verifier_tee(v), "tpm");
	assert_string_equal(attest_verifier_tee_class(v), "cpu");
	assert_int_equal(attest_verifier_evaluate(v, ev, rd, 48, NULL, 0, &claims, &err), -EPERM);
	assert_string_equal(cc_error_message(err), "AK trust: The provided AK public key is "
	                                           "not in the list of trusted keys");
	assert_null(claims);
	cc_error_free(err);
	attest_verifier_free(v);

	write_pem(dir, "ak.pub", e->ak_der, e->ak_der_len);
	assert_int_equal(tpm_verifier_new(dir, &v, NULL), 0);
	assert_int_equal(attest_verifier_evaluate(v, ev, rd, 48, NULL, 0, &claims, NULL), 0);
	json_decref(claims);
	attest_verifier_free(v);

	write_file(dir, "bad.pub", "-----BEGIN PUBLIC KEY-----\nAAAA\n", 32);
	err = NULL;
	v = NULL;
	assert_int_equal(tpm_verifier_new(dir, &v, &err), -EINVAL);
	assert_null(v);
	assert_non_null(strstr(cc_error_message(err), "/bad.pub: not a PEM public key"));
	cc_error_free(err);
	char path[600];
	snprintf(path, sizeof(path), "%s/bad.pub", dir);
	unlink(path);

	/* More than CC_TPM_MAX_TRUSTED_AKS files is refused, not cut. */
	for (int i = 0; i < 99; i++) {
		char name[16];
		snprintf(name, sizeof(name), "k%03d.pub", i);
		write_pem(dir, name, other, olen);
	}
	tpm_ak_set *set = NULL;
	err = NULL;
	assert_int_equal(tpm_ak_set_load_dir(dir, &set, &err), -E2BIG);
	assert_non_null(strstr(cc_error_message(err), "more than 100 trusted AK files"));
	cc_error_free(err);
	snprintf(path, sizeof(path), "%s/k000.pub", dir);
	unlink(path);
	assert_int_equal(tpm_ak_set_load_dir(dir, &set, NULL), 0);
	assert_int_equal(tpm_ak_set_count(set), 100);
	tpm_ak_set_free(set);

	err = NULL;
	assert_int_equal(tpm_verifier_new("/nonexistent/cocoon-tpm", &v, &err), -ENOENT);
	assert_non_null(strstr(cc_error_message(err), "trusted AK keys directory"));
	cc_error_free(err);

	rm_dir(dir);
	free(other);
	tpm_evidence_free(e);
	json_decref(ev);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_tpm_verify trustee_tpm_evidence.json\n");
		return 2;
	}
	fixture_path = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_strict),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_attest_fixture),
		cmocka_unit_test(test_attest_garbage),
		cmocka_unit_test(test_quote_rules),
		cmocka_unit_test(test_signature_wire),
		cmocka_unit_test(test_evidence_shapes),
		cmocka_unit_test(test_evidence_oversized),
		cmocka_unit_test(test_evidence_format_roundtrip),
		cmocka_unit_test(test_verify_fixture),
		cmocka_unit_test(test_verify_nonce_and_init_data),
		cmocka_unit_test(test_verify_tampered),
		cmocka_unit_test(test_verify_foreign_ak),
		cmocka_unit_test(test_spki_from_public),
		cmocka_unit_test(test_trusted_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
