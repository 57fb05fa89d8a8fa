/* Unit tests of the Azure vTPM verifiers (lib/attest/az_*.c) on Trustee's
 * az-snp-vtpm and az-tdx-vtpm vectors (tests/attest/data/az/, the path is
 * argv[1]) and on hostile variants: truncated and oversized HCL reports,
 * tampered variable data, a swapped AK, tampered PCRs and signatures, wrong
 * nonces, wrong evidence shapes. The full az-snp-vtpm evaluate (with the
 * snp verifier underneath) runs when the snp verifier is built. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest_registry.h"
#include "az_int.h"
#include "tpm_int.h"

static const char *data_dir;

static uint8_t *read_file(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t *buf = malloc(1 << 20);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static json_t *load_json(const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	json_error_t je;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	assert_non_null(j);
	return j;
}

/* err is read after r was computed (the argument order is unspecified). */
static void expect_err(int r, cc_error **err, int code, const char *prefix)
{
	if (r != code || strncmp(cc_error_message(*err), prefix, strlen(prefix)) != 0)
		fail_msg("got %d \"%s\", want %d \"%s...\"", r, cc_error_message(*err), code,
		         prefix);
}

/* The runtime data each vector's vTPM quote carries. */
static const uint8_t challenge[] = "challenge";
#define CHALLENGE_LEN 9u
static const char v2_rd_hex[] = "982f5c6e45df0ed3f10b6f60b02f0c8390e281300f3805e2279c16168cd6ae9a"
                                "a398f647caa2338748cd0fd9f5f819ef";
static const char genoa_rd_hex[] = "0218488bae25d2509232bf676f1a66a30d7372add909109b36016ef136f293"
                                   "8ca05475f8b46094de6b64270ea35d950f";

static void rd48(const char *hex, uint8_t out[48])
{
	assert_int_equal(tpm_hex_decode(hex, 96, out, 48), 0);
}

/* ---- HCL report ---------------------------------------------------------- */

static void test_hcl_snp(void **state)
{
	(void)state;
	size_t len;
	uint8_t *p = read_file("snp-hcl-report.bin", &len);
	assert_int_equal(len, 2600);
	az_hcl h;
	cc_error *err = NULL;
	assert_int_equal(az_hcl_parse(p, len, &h, &err), 0);
	assert_int_equal(h.report_type, AZ_HCL_TYPE_SNP);
	assert_int_equal(h.hw_report_len, 1184);
	assert_int_equal(h.var_data_len, 1110);
	/* upstream's test_verify_report_data: the SNP report binds the var data */
	assert_int_equal(az_check_var_data(&h, h.hw_report + 0x50, "SNP report", &err), 0);
	EVP_PKEY *ak = NULL;
	assert_int_equal(az_hcl_ak(&h, &ak, &err), 0);
	assert_int_equal(EVP_PKEY_get_bits(ak), 2048);
	EVP_PKEY_free(ak);
	uint8_t ud[64], zeros[64] = {0};
	assert_int_equal(az_hcl_user_data(&h, ud, &err), 0);
	assert_memory_equal(ud, zeros, 64);

	/* upstream's test_verify_report_data_failure: byte 0x6e0 (HCLEkPub) */
	p[0x6e0]++;
	assert_int_equal(az_hcl_parse(p, len, &h, &err), 0);
	expect_err(az_check_var_data(&h, h.hw_report + 0x50, "SNP report", &err), &err, -EPERM,
	           "user-data binding: SNP report report data mismatch");
	cc_error_free(err);
	err = NULL;
	p[0x6e0]--;

	/* upstream's test_verify_akpub_failure: byte 0x540 (in HCLAkPub's n) */
	p[0x540] = 0;
	assert_int_equal(az_hcl_parse(p, len, &h, &err), 0);
	expect_err(az_hcl_ak(&h, &ak, &err), &err, -EINVAL, "AK public key");
	cc_error_free(err);
	free(p);
}

static void test_hcl_tdx(void **state)
{
	(void)state;
	size_t len, qlen;
	uint8_t *p = read_file("tdx-hcl-report.bin", &len);
	uint8_t *q = read_file("tdx-td-quote.bin", &qlen);
	az_hcl h;
	cc_error *err = NULL;
	assert_int_equal(az_hcl_parse(p, len, &h, &err), 0);
	assert_int_equal(h.report_type, AZ_HCL_TYPE_TDX);
	assert_int_equal(h.hw_report_len, 1024);
	/* upstream's test_verify_hcl_var_data: the TD quote (v4: 48-byte
	 * header, REPORTDATA at body offset 520) binds the var data */
	assert_int_equal(az_check_var_data(&h, q + 48 + 520, "TDX Quote", &err), 0);
	/* test_verify_hcl_var_data_failure: byte 0x880 */
	p[0x880]++;
	assert_int_equal(az_hcl_parse(p, len, &h, &err), 0);
	expect_err(az_check_var_data(&h, q + 48 + 520, "TDX Quote", &err), &err, -EPERM,
	           "user-data binding: TDX Quote report data mismatch");
	cc_error_free(err);
	free(p);
	free(q);
}

static void test_hcl_truncated_oversized(void **state)
{
	(void)state;
	size_t len;
	uint8_t *p = read_file("snp-hcl-report.bin", &len);
	az_hcl h = {0}, before = h;
	/* every prefix that cuts the fixed part or the variable data */
	for (size_t n = 0; n < 1236 + 1110; n += (n < 1240 ? 1 : 7)) {
		cc_error *err = NULL;
		int r = az_hcl_parse(p, n, &h, &err);
		expect_err(r, &err, -EINVAL, "truncated: HCL report");
		assert_memory_equal(&h, &before, sizeof(h));
		cc_error_free(err);
	}
	/* the variable data's declared size past the end */
	cc_error *err = NULL;
	uint8_t *big = calloc(1, CC_AZ_MAX_HCL_REPORT_BYTES + 1);
	assert_non_null(big);
	memcpy(big, p, len);
	big[1216 + 16] = 0xff;
	big[1216 + 17] = 0xff;
	expect_err(az_hcl_parse(big, len, &h, &err), &err, -EINVAL, "truncated: HCL report");
	cc_error_free(err);
	err = NULL;
	expect_err(az_hcl_parse(big, CC_AZ_MAX_HCL_REPORT_BYTES + 1, &h, &err), &err, -E2BIG,
	           "oversized: HCL report");
	cc_error_free(err);
	free(big);

	/* header and request fields */
	static const struct {
		size_t off;
		uint8_t val;
		const char *want;
	} bad[] = {
		{0, 'X', "HCL report: signature"},
		{8, 0x2b, "HCL report: header report_size"},
		{1216, 0x6b, "HCL report: IGVM request data_size"},
		{1216 + 8, 3, "HCL report: report type 3"},
		{1216 + 12, 2, "HCL report: report data hash type 2"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t old = p[bad[i].off];
		p[bad[i].off] = bad[i].val;
		err = NULL;
		expect_err(az_hcl_parse(p, len, &h, &err), &err, -EINVAL, bad[i].want);
		cc_error_free(err);
		p[bad[i].off] = old;
	}
	free(p);
}

/* ---- the vTPM part over every vector -------------------------------------- */

static const struct vec {
	const char *file;
	enum az_tee tee;
	int version;
	const char *rd_hex; /* NULL: "challenge" */
	const char *pcr00;
} vectors[] = {
	{"snp-evidence-v0.json", AZ_TEE_SNP, 0, NULL,
	 "e15c44796beabf46abcec7c57e590942041e47497e4ec27571c8b7664f48dced"},
	{"snp-evidence-v1.json", AZ_TEE_SNP, 1, NULL,
	 "e15c44796beabf46abcec7c57e590942041e47497e4ec27571c8b7664f48dced"},
	{"snp-evidence-v2.json", AZ_TEE_SNP, 2, v2_rd_hex,
	 "84275b2f4312cd4fc6cbe6b152ad3c3683e513d9f1e23c34fca160c8cca7a6a7"},
	{"snp-evidence-genoa.json", AZ_TEE_SNP, 0, genoa_rd_hex,
	 "afd689d0bb1c5f36f023fbaf574135f555a28a10c1f6b938d2a25e70c7783338"},
	{"tdx-evidence-v0.json", AZ_TEE_TDX, 0, NULL,
	 "782b20b10f55cc46e2142cc2145d548698073e5beb82752c8d7f9279f0d8a273"},
	{"tdx-evidence-v1.json", AZ_TEE_TDX, 1, NULL,
	 "782b20b10f55cc46e2142cc2145d548698073e5beb82752c8d7f9279f0d8a273"},
};

static void expected_of(const struct vec *v, uint8_t buf[48], const uint8_t **rd, size_t *len)
{
	if (v->rd_hex == NULL) {
		*rd = challenge;
		*len = CHALLENGE_LEN;
		return;
	}
	rd48(v->rd_hex, buf);
	*rd = buf;
	*len = 48;
}

static void test_vtpm_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vec *v = &vectors[i];
		json_t *ev = load_json(v->file);
		uint8_t buf[48];
		const uint8_t *rd;
		size_t rd_len;
		expected_of(v, buf, &rd, &rd_len);
		az_evidence *e = NULL;
		az_hcl h;
		TPMS_ATTEST a;
		cc_error *err = NULL;
		int r = az_verify_vtpm_part(v->tee, ev, rd, rd_len, &e, &h, &a, &err);
		if (r != 0)
			fail_msg("%s: %s", v->file, cc_error_message(err));
		assert_int_equal(e->version, v->version);
		/* the hardware report binds the variable data */
		if (v->tee == AZ_TEE_SNP)
			assert_int_equal(az_check_var_data(&h, h.hw_report + 0x50, "SNP", &err), 0);
		else
			assert_int_equal(
				az_check_var_data(&h, e->td_quote + 48 + 520, "TDX Quote", &err), 0);
		json_t *c = json_object();
		assert_int_equal(az_vtpm_claims(c, e, &a), 0);
		const char *pcr00 = json_string_value(json_object_get(json_object_get(c, "tpm"), "pcr00"));
		assert_string_equal(pcr00, v->pcr00);
		assert_int_equal(json_object_size(json_object_get(c, "tpm")), 24);
		char hex[97];
		tpm_hex_encode(rd, rd_len, hex);
		assert_string_equal(json_string_value(json_object_get(c, "report_data")), hex);
		tpm_hex_encode(e->pcrs[8], 32, hex);
		assert_string_equal(json_string_value(json_object_get(c, "init_data")), hex);
		json_decref(c);

		/* wrong nonce (upstream: the report data reversed) */
		uint8_t wrong[48];
		for (size_t k = 0; k < rd_len; k++)
			wrong[k] = rd[rd_len - 1 - k];
		az_evidence *e2 = NULL;
		expect_err(az_verify_vtpm_part(v->tee, ev, wrong, rd_len, &e2, &h, &a, &err), &err,
		           -EPERM, "nonce mismatch");
		assert_null(e2);
		cc_error_free(err);
		err = NULL;
		/* the other TEE's verifier refuses the HCL report */
		expect_err(az_verify_vtpm_part(v->tee == AZ_TEE_SNP ? AZ_TEE_TDX : AZ_TEE_SNP, ev, rd,
		                               rd_len, &e2, &h, &a, &err),
		           &err, -EINVAL, "evidence: missing");
		cc_error_free(err);
		az_evidence_free(e);
		json_decref(ev);
	}
}

/* Replaces tpm_quote member key of a v1 evidence by hex of p. */
static void set_hex_member(json_t *q, const char *key, const uint8_t *p, size_t len)
{
	char *hex = malloc(2 * len + 1);
	assert_non_null(hex);
	tpm_hex_encode(p, len, hex);
	assert_int_equal(json_object_set_new(q, key, json_string(hex)), 0);
	free(hex);
}

/* Sets member key of o to padded base64url of p. */
static void set_b64url(json_t *o, const char *key, const uint8_t *p, size_t n)
{
	char *b64 = malloc(4 * (n / 3 + 1) + 1);
	assert_non_null(b64);
	int m = EVP_EncodeBlock((unsigned char *)b64, p, (int)n);
	for (int k = 0; k < m; k++)
		b64[k] = b64[k] == '+' ? '-' : b64[k] == '/' ? '_' : b64[k];
	assert_int_equal(json_object_set_new(o, key, json_string(b64)), 0);
	free(b64);
}

static void expect_vtpm_fail(enum az_tee tee, json_t *ev, const uint8_t *rd, size_t rd_len,
                             int code, const char *prefix)
{
	az_evidence *e = NULL;
	az_hcl h;
	TPMS_ATTEST a;
	cc_error *err = NULL;
	expect_err(az_verify_vtpm_part(tee, ev, rd, rd_len, &e, &h, &a, &err), &err, code, prefix);
	assert_null(e);
	cc_error_free(err);
}

static void test_vtpm_tampered(void **state)
{
	(void)state;
	json_t *ev = load_json("snp-evidence-v1.json");
	json_t *q = json_object_get(ev, "tpm_quote");
	az_evidence *e = NULL;
	cc_error *err = NULL;
	assert_int_equal(az_evidence_parse(AZ_TEE_SNP, ev, &e, &err), 0);

	/* a PCR value changed: the signature holds, the digest does not */
	json_t *pcrs = json_object_get(q, "pcrs");
	char *pcr0 = strdup(json_string_value(json_array_get(pcrs, 0)));
	pcr0[0] = pcr0[0] == '0' ? '1' : '0';
	json_array_set_new(pcrs, 0, json_string(pcr0));
	expect_vtpm_fail(AZ_TEE_SNP, ev, challenge, CHALLENGE_LEN, -EBADMSG, "pcr digest");
	pcr0[0] = pcr0[0] == '0' ? '1' : '0';
	json_array_set_new(pcrs, 0, json_string(pcr0));
	free(pcr0);

	/* a signature or message byte flipped */
	e->signature[0] ^= 1;
	set_hex_member(q, "signature", e->signature, e->signature_len);
	expect_vtpm_fail(AZ_TEE_SNP, ev, challenge, CHALLENGE_LEN, -EBADMSG, "quote signature");
	e->signature[0] ^= 1;
	set_hex_member(q, "signature", e->signature, e->signature_len);
	e->message[e->message_len - 1] ^= 1;
	set_hex_member(q, "message", e->message, e->message_len);
	expect_vtpm_fail(AZ_TEE_SNP, ev, challenge, CHALLENGE_LEN, -EBADMSG, "quote signature");
	e->message[e->message_len - 1] ^= 1;
	set_hex_member(q, "message", e->message, e->message_len);

	/* the AK swapped: the TDX vector's HCLAkPub (same length) put in the
	 * SNP HCL report; the var data hash then breaks too, but the quote's
	 * signature is checked first */
	size_t tlen;
	uint8_t *tdx = read_file("tdx-hcl-report.bin", &tlen);
	az_hcl th, sh;
	assert_int_equal(az_hcl_parse(tdx, tlen, &th, &err), 0);
	assert_int_equal(az_hcl_parse(e->hcl_report, e->hcl_report_len, &sh, &err), 0);
	const char *tn = memmem(th.var_data, th.var_data_len, "\"n\":\"", 5);
	const char *sn = memmem(sh.var_data, sh.var_data_len, "\"n\":\"", 5);
	assert_non_null(tn);
	assert_non_null(sn);
	memcpy((char *)sn, tn, 5 + 342);
	set_b64url(ev, "hcl_report", e->hcl_report, e->hcl_report_len);
	expect_vtpm_fail(AZ_TEE_SNP, ev, challenge, CHALLENGE_LEN, -EBADMSG, "quote signature");
	/* a TD report's HCL in az-snp-vtpm evidence */
	set_b64url(ev, "hcl_report", tdx, tlen);
	expect_vtpm_fail(AZ_TEE_SNP, ev, challenge, CHALLENGE_LEN, -EINVAL,
	                 "HCL report: it holds a TDX report, not a SNP one");
	free(tdx);
	az_evidence_free(e);
	json_decref(ev);
}

static void test_user_data_v2(void **state)
{
	(void)state;
	json_t *ev = load_json("snp-evidence-v2.json");
	az_evidence *e = NULL;
	cc_error *err = NULL;
	assert_int_equal(az_evidence_parse(AZ_TEE_SNP, ev, &e, &err), 0);
	az_hcl h;
	assert_int_equal(az_hcl_parse(e->hcl_report, e->hcl_report_len, &h, &err), 0);
	uint8_t rd[48];
	rd48(v2_rd_hex, rd);
	assert_int_equal(az_check_user_data(&h, rd, 48, &err), 0);
	/* upstream's verify_user_data with "123abc" */
	static const uint8_t other[] = {0x12, 0x3a, 0xbc};
	expect_err(az_check_user_data(&h, other, sizeof(other), &err), &err, -EPERM,
	           "user-data binding: User-data in HCL variable data doesn't match report_data");
	cc_error_free(err);
	err = NULL;
	/* the v1 vector's HCL (user-data all zeros) as v2 evidence: refused */
	json_t *v1 = load_json("snp-evidence-v1.json");
	json_object_set_new(v1, "version", json_integer(2));
	expect_vtpm_fail(AZ_TEE_SNP, v1, challenge, CHALLENGE_LEN, -EPERM, "user-data binding");
	json_decref(v1);
	az_evidence_free(e);
	json_decref(ev);
}

static void test_init_data(void **state)
{
	(void)state;
	json_t *ev = load_json("snp-evidence-v1.json");
	az_evidence *e = NULL;
	cc_error *err = NULL;
	assert_int_equal(az_evidence_parse(AZ_TEE_SNP, ev, &e, &err), 0);
	/* upstream's test_verify_init_data: sha256(0^32 || 8505...) = bdda... */
	uint8_t digest[32], pcr[32];
	assert_int_equal(
		tpm_hex_decode("8505e4e25e50a27c5dc8147af88efbece627fbea55291911eff832d9ee127781", 64,
		               digest, 32),
		0);
	assert_int_equal(
		tpm_hex_decode("bddaccb9c52249e97a31baea61b7d91be8221a16e703d92148d04fb8e9c1dfdd", 64,
		               pcr, 32),
		0);
	expect_err(az_vtpm_check_init_data(e, digest, 32, &err), &err, -EPERM, "init_data mismatch");
	cc_error_free(err);
	err = NULL;
	memcpy(e->pcrs[8], pcr, 32);
	assert_int_equal(az_vtpm_check_init_data(e, digest, 32, &err), 0);
	digest[0] ^= 1;
	expect_err(az_vtpm_check_init_data(e, digest, 32, &err), &err, -EPERM, "init_data mismatch");
	cc_error_free(err);
	err = NULL;
	expect_err(az_vtpm_check_init_data(e, digest, 48, &err), &err, -EINVAL, "init_data mismatch");
	cc_error_free(err);
	az_evidence_free(e);
	json_decref(ev);
}

static void expect_parse_fail(enum az_tee tee, json_t *ev, int code, const char *prefix)
{
	az_evidence *e = NULL;
	cc_error *err = NULL;
	expect_err(az_evidence_parse(tee, ev, &e, &err), &err, code, prefix);
	assert_null(e);
	cc_error_free(err);
}

static void test_evidence_shapes(void **state)
{
	(void)state;
	json_t *ev = load_json("snp-evidence-v1.json");
	json_object_set_new(ev, "version", json_integer(3));
	expect_parse_fail(AZ_TEE_SNP, ev, -EINVAL, "evidence: \"version\" must be 1 or 2");
	json_object_set_new(ev, "version", json_string("1"));
	expect_parse_fail(AZ_TEE_SNP, ev, -EINVAL, "evidence: \"version\"");
	json_object_set_new(ev, "version", json_integer(1));
	json_t *q = json_object_get(ev, "tpm_quote");
	json_t *pcrs = json_deep_copy(json_object_get(q, "pcrs"));
	json_array_remove(json_object_get(q, "pcrs"), 23);
	expect_parse_fail(AZ_TEE_SNP, ev, -EINVAL, "tpm_quote.pcrs");
	json_object_set_new(q, "pcrs", pcrs);
	json_t *hcl = json_incref(json_object_get(ev, "hcl_report"));
	json_object_del(ev, "hcl_report");
	expect_parse_fail(AZ_TEE_SNP, ev, -EINVAL, "evidence: missing \"hcl_report\"");
	json_object_set_new(ev, "hcl_report", json_string("SENMQ$=="));
	expect_parse_fail(AZ_TEE_SNP, ev, -EINVAL, "hcl_report: not base64url");
	/* an HCL report over the cap is refused before it is decoded */
	size_t n = (CC_AZ_MAX_HCL_REPORT_BYTES + 3) / 3 * 4;
	char *big = malloc(n + 1);
	memset(big, 'A', n);
	big[n] = 0;
	json_object_set_new(ev, "hcl_report", json_string(big));
	expect_parse_fail(AZ_TEE_SNP, ev, -E2BIG, "oversized: hcl_report");
	free(big);
	json_object_set_new(ev, "hcl_report", hcl);
	/* padding is optional in base64url */
	const char *h = json_string_value(hcl);
	size_t hl = strlen(h);
	char *unpadded = strndup(h, hl);
	while (hl > 0 && unpadded[hl - 1] == '=')
		unpadded[--hl] = 0;
	json_object_set_new(ev, "hcl_report", json_string(unpadded));
	az_evidence *e = NULL;
	cc_error *err = NULL;
	assert_int_equal(az_evidence_parse(AZ_TEE_SNP, ev, &e, &err), 0);
	assert_int_equal(e->hcl_report_len, 2600);
	az_evidence_free(e);
	free(unpadded);
	json_decref(ev);

	/* v0: byte arrays */
	ev = load_json("tdx-evidence-v0.json");
	json_array_set_new(json_object_get(ev, "hcl_report"), 5, json_integer(256));
	expect_parse_fail(AZ_TEE_TDX, ev, -EINVAL, "hcl_report[5]");
	json_decref(ev);
	ev = load_json("snp-evidence-v0.json");
	json_object_set_new(ev, "vcek", json_string("-----BEGIN CERTIFICATE-----\nAAAA\n"));
	expect_parse_fail(AZ_TEE_SNP, ev, -EINVAL, "vcek: not a PEM certificate");
	json_decref(ev);
	ev = json_array();
	expect_parse_fail(AZ_TEE_SNP, ev, -EINVAL, "evidence: not a JSON object");
	json_decref(ev);
}

static void test_codecs(void **state)
{
	(void)state;
	uint8_t *p = NULL;
	size_t n = 0;
	cc_error *err = NULL;
	assert_int_equal(az_b64url_decode("-_8", 3, 10, &p, &n, "x", &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(p[0], 0xfb);
	assert_int_equal(p[1], 0xff);
	free(p);
	assert_int_equal(az_b64url_decode("-_8=", 4, 10, &p, &n, "x", &err), 0);
	free(p);
	static const char *bad[] = {"-_8==", "-_9", "A", "AB=", "+/8=", "AAAA=", "AA=A"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(az_b64url_decode(bad[i], strlen(bad[i]), 10, &p, &n, "x", &err),
		                 -EINVAL);
		cc_error_free(err);
		err = NULL;
	}
	assert_int_equal(az_b64url_decode("AAAAAA", 6, 3, &p, &n, "x", &err), -E2BIG);
	cc_error_free(err);
	err = NULL;
	assert_int_equal(az_hex_decode("aB0f", 4, 2, &p, &n, "x", &err), 0);
	assert_int_equal(p[0], 0xab);
	free(p);
	assert_int_equal(az_hex_decode("abc", 3, 2, &p, &n, "x", &err), -EINVAL);
	cc_error_free(err);
	err = NULL;
	assert_int_equal(az_hex_decode("zz", 2, 2, &p, &n, "x", &err), -EINVAL);
	cc_error_free(err);
}

static void test_expected_report_data(void **state)
{
	(void)state;
	const uint8_t *rd;
	size_t n;
	cc_error *err = NULL;
	static const uint8_t a[] = {1, 2}, b[] = {1, 3};
	expect_err(az_expected_report_data(NULL, 0, NULL, 0, &rd, &n, &err), &err, -EINVAL,
	           "report_data mismatch: unexpected empty report data");
	cc_error_free(err);
	err = NULL;
	expect_err(az_expected_report_data(a, 2, b, 2, &rd, &n, &err), &err, -EINVAL,
	           "nonce mismatch");
	cc_error_free(err);
	assert_int_equal(az_expected_report_data(NULL, 0, b, 2, &rd, &n, NULL), 0);
	assert_ptr_equal(rd, b);
	assert_int_equal(az_expected_report_data(a, 2, a, 2, &rd, &n, NULL), 0);
}

/* Trustee's parse_tee_evidence_az on the v0 vector's SNP report. */
static void test_snp_claims(void **state)
{
	(void)state;
	size_t len;
	uint8_t *p = read_file("snp-hcl-report.bin", &len);
	json_t *c = NULL;
	cc_error *err = NULL;
	assert_int_equal(az_snp_report_claims(p + 32, 1184, &c, &err), 0);
	/* policy 0x3001f: ABI 0.31, SMT allowed; plat_info from the report */
	assert_string_equal(json_string_value(json_object_get(c, "policy_abi_major")), "0");
	assert_string_equal(json_string_value(json_object_get(c, "policy_abi_minor")), "31");
	assert_string_equal(json_string_value(json_object_get(c, "policy_smt_allowed")), "true");
	assert_string_equal(json_string_value(json_object_get(c, "policy_debug_allowed")), "false");
	assert_string_equal(json_string_value(json_object_get(c, "policy_migrate_ma")), "false");
	assert_string_equal(json_string_value(json_object_get(c, "policy_single_socket")), "false");
	char b64[100];
	EVP_EncodeBlock((unsigned char *)b64, p + 32 + 0x90, 48);
	assert_string_equal(json_string_value(json_object_get(c, "measurement")), b64);
	assert_int_equal(json_object_size(c), 15);
	json_decref(c);
	expect_err(az_snp_report_claims(p + 32, 100, &c, &err), &err, -EINVAL, "truncated: SNP report");
	cc_error_free(err);
	free(p);
}

/* The whole az-snp-vtpm verifier, when the snp verifier is there. */
static void test_evaluate_snp(void **state)
{
	(void)state;
	attest_verifier *v = NULL;
	cc_error *err = NULL;
	int r = attest_verifier_new_for("az-snp-vtpm", NULL, &v, &err);
	if (r == -ENOTSUP) {
		print_message("az-snp-vtpm: %s: skipped\n", cc_error_message(err));
		cc_error_free(err);
		skip();
	}
	assert_int_equal(r, 0);
	for (size_t i = 0; i < 4; i++) {
		const struct vec *vc = &vectors[i];
		json_t *ev = load_json(vc->file);
		uint8_t buf[48];
		const uint8_t *rd;
		size_t rd_len;
		expected_of(vc, buf, &rd, &rd_len);
		json_t *c = NULL;
		r = attest_verifier_evaluate(v, ev, rd, rd_len, NULL, 0, &c, &err);
		if (r != 0)
			fail_msg("%s: %s", vc->file, cc_error_message(err));
		char hex[97];
		tpm_hex_encode(rd, rd_len, hex);
		assert_string_equal(json_string_value(json_object_get(c, "report_data")), hex);
		assert_string_equal(
			json_string_value(json_object_get(json_object_get(c, "tpm"), "pcr00")),
			vc->pcr00);
		json_decref(c);
		/* no report data: refused, as upstream */
		expect_err(attest_verifier_evaluate(v, ev, NULL, 0, NULL, 0, &c, &err), &err, -EINVAL,
		           "report_data mismatch");
		cc_error_free(err);
		err = NULL;
		json_decref(ev);
	}
	attest_verifier_free(v);
}

/* The whole az-tdx-vtpm verifier: the vectors carry no DCAP collateral
 * (Trustee's test_evaluate is #[ignore]), so every vTPM and HCL check and
 * the TD quote binding pass and the verifier stops at the collateral. */
static void test_evaluate_tdx(void **state)
{
	(void)state;
	attest_verifier *v = NULL;
	cc_error *err = NULL;
	assert_int_equal(attest_verifier_new_for("az-tdx-vtpm", NULL, &v, &err), 0);
	assert_string_equal(attest_verifier_tee(v), "az-tdx-vtpm");
	for (size_t i = 4; i < 6; i++) {
		json_t *ev = load_json(vectors[i].file);
		json_t *c = (json_t *)0x1;
		int r = attest_verifier_evaluate(v, ev, challenge, CHALLENGE_LEN, NULL, 0, &c, &err);
		if (r == 0 || strstr(cc_error_message(err), "collateral") == NULL)
			fail_msg("%s: %d %s", vectors[i].file, r, cc_error_message(err));
		assert_ptr_equal(c, (json_t *)0x1);
		cc_error_free(err);
		err = NULL;
		static const uint8_t wrong[] = "wrong";
		expect_err(attest_verifier_evaluate(v, ev, wrong, 5, NULL, 0, &c, &err), &err, -EPERM,
		           "nonce mismatch");
		cc_error_free(err);
		err = NULL;
		json_decref(ev);
	}
	/* upstream's test_verify_hcl_var_data_failure through the verifier */
	json_t *ev = load_json("tdx-evidence-v1.json");
	az_evidence *e = NULL;
	assert_int_equal(az_evidence_parse(AZ_TEE_TDX, ev, &e, &err), 0);
	e->hcl_report[0x880]++;
	set_b64url(ev, "hcl_report", e->hcl_report, e->hcl_report_len);
	json_t *c = NULL;
	expect_err(attest_verifier_evaluate(v, ev, challenge, CHALLENGE_LEN, NULL, 0, &c, &err),
	           &err, -EPERM, "user-data binding: TDX Quote report data mismatch");
	cc_error_free(err);
	err = NULL;
	e->hcl_report[0x880]--;
	set_b64url(ev, "hcl_report", e->hcl_report, e->hcl_report_len);
	set_b64url(ev, "td_quote", e->td_quote, 600);
	expect_err(attest_verifier_evaluate(v, ev, challenge, CHALLENGE_LEN, NULL, 0, &c, &err),
	           &err, -EBADMSG, "td_quote: truncated");
	cc_error_free(err);
	az_evidence_free(e);
	json_decref(ev);
	attest_verifier_free(v);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Figures for docs/attest-azure.md: warm verifications per second of the
 * v1 vector, whole (az-snp-vtpm with the SNP report) and the vTPM part
 * alone. Printed, not asserted. */
static void test_throughput(void **state)
{
	(void)state;
	json_t *ev = load_json("snp-evidence-v1.json");
	attest_verifier *v = NULL;
	cc_error *err = NULL;
	assert_int_equal(attest_verifier_new_for("az-snp-vtpm", NULL, &v, &err), 0);
	enum { N = 50 };
	double t0 = now_s();
	for (int i = 0; i < N; i++) {
		json_t *c = NULL;
		assert_int_equal(
			attest_verifier_evaluate(v, ev, challenge, CHALLENGE_LEN, NULL, 0, &c, &err), 0);
		json_decref(c);
	}
	double t1 = now_s();
	for (int i = 0; i < N; i++) {
		az_evidence *e = NULL;
		az_hcl h;
		TPMS_ATTEST a;
		assert_int_equal(
			az_verify_vtpm_part(AZ_TEE_SNP, ev, challenge, CHALLENGE_LEN, &e, &h, &a, &err), 0);
		az_evidence_free(e);
	}
	double t2 = now_s();
	print_message("az-snp-vtpm: %.0f verifications/s (%.2f ms each); vTPM part alone: %.0f/s "
	              "(%.2f ms)\n",
	              N / (t1 - t0), (t1 - t0) * 1e3 / N, N / (t2 - t1), (t2 - t1) * 1e3 / N);
	attest_verifier_free(v);
	json_decref(ev);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_az_verify DATA_DIR\n");
		return 2;
	}
	data_dir = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codecs),
		cmocka_unit_test(test_hcl_snp),
		cmocka_unit_test(test_hcl_tdx),
		cmocka_unit_test(test_hcl_truncated_oversized),
		cmocka_unit_test(test_vtpm_vectors),
		cmocka_unit_test(test_vtpm_tampered),
		cmocka_unit_test(test_user_data_v2),
		cmocka_unit_test(test_init_data),
		cmocka_unit_test(test_evidence_shapes),
		cmocka_unit_test(test_expected_report_data),
		cmocka_unit_test(test_snp_claims),
		cmocka_unit_test(test_evaluate_snp),
		cmocka_unit_test(test_evaluate_tdx),
		cmocka_unit_test(test_throughput),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
