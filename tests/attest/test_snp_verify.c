/* Unit tests of the snp verifier (lib/attest/snp_*.c, docs/attest-snp.md).
 *
 * Upstream vectors (argv[1] = tests/attest/data/snp): Trustee's Milan v2
 * report with its VCEK, the VLEK report with its VLEK, the Genoa evidence
 * JSON, the two invalid VCEKs. Negative corpus: synthetic reports signed by
 * the tests' own AMD-like PKI (testchain/, made by snp_make_chain.py) that
 * replaces the built-in roots through snp_verifier_set_roots(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <ftw.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snp_int.h"

static const char *data_dir;

/* 2025-01-01: the VLEK vector (valid 2024-12-10 .. 2025-12-10). */
#define AT_2025 1735689600

static uint8_t *load(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("%s: cannot open", path);
	uint8_t *p = malloc(256 * 1024);
	assert_non_null(p);
	*len = fread(p, 1, 256 * 1024, f);
	fclose(f);
	return p;
}

static char *load_str(const char *name)
{
	size_t len;
	uint8_t *p = load(name, &len);
	p[len] = '\0';
	return (char *)p;
}

static void hex(const char *s, uint8_t *out, size_t n)
{
	assert_int_equal(strlen(s), 2 * n);
	for (size_t i = 0; i < 2 * n; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		assert_true(v >= 0);
		out[i / 2] = (uint8_t)(i % 2 == 0 ? v << 4 : out[i / 2] | v);
	}
}

/* err's message starts with prefix. */
static void assert_err(int r, cc_error **err, const char *prefix)
{
	assert_true(r < 0);
	const char *m = cc_error_message(*err);
	if (strncmp(m, prefix, strlen(prefix)) != 0)
		fail_msg("error '%s' does not start with '%s'", m, prefix);
}

static attest_verifier *verifier(const attest_verifier_opts *o)
{
	static const attest_verifier_opts none = {0};
	attest_verifier *v = NULL;
	cc_error *err = NULL;
	if (snp_verifier_new(o != NULL ? o : &none, &v, &err) < 0)
		fail_msg("snp_verifier_new: %s", cc_error_message(err));
	return v;
}

static void expect_str(json_t *c, const char *k, const char *want)
{
	const char *got = json_string_value(json_object_get(c, k));
	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("claim %s: got %s, want %s", k, got != NULL ? got : "(none)", want);
}

static void expect_int(json_t *c, const char *k, json_int_t want)
{
	json_t *v = json_object_get(c, k);
	assert_true(json_is_integer(v));
	assert_int_equal(json_integer_value(v), want);
}

static void expect_bool(json_t *c, const char *k, bool want)
{
	json_t *v = json_object_get(c, k);
	assert_true(json_is_boolean(v));
	assert_int_equal(json_is_true(v), want);
}

/* A synthetic report: the product and key kind it is signed for. */
typedef struct synth {
	enum snp_product product;
	bool vlek;
	snp_report r;
} synth;

/* What the tests start from (fx_setup, fx_teardown): Trustee's Milan
 * report and VCEK, a verifier with the built-in roots and one with the
 * test roots, a synthetic Milan report signed with the test VCEK. */
struct fx {
	uint8_t *rep, *vcek;   /* test-report.bin, test-vcek.der */
	size_t rl, vl;
	attest_verifier *real; /* the built-in AMD roots */
	attest_verifier *test; /* testchain/'s roots for every product */
	synth s;               /* a Milan report for the test VCEK ... */
	uint8_t raw[SNP_REPORT_SIZE + 1]; /* ... signed, and a spare byte */
	uint8_t *vek;          /* testchain/milan_vcek.der */
	size_t vek_len;
};

/* ---- upstream vectors ------------------------------------------------- */

static const char milan_measurement[] =
	"a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c"
	"23500644e0e692e6be917f9050d3d38c";
static const char milan_rd[] =
	"ec6c52d7533cc2c4f45be7849cf112ab82b2009fe7bd43e71ed08c14400ad7e2";

static void check_milan_claims(json_t *c)
{
	assert_int_equal(json_object_size(c), 16);
	expect_int(c, "policy_abi_major", 0);
	expect_int(c, "policy_abi_minor", 31);
	expect_bool(c, "policy_smt_allowed", true);
	expect_bool(c, "policy_migrate_ma", false);
	expect_bool(c, "policy_debug_allowed", false);
	expect_bool(c, "policy_single_socket", false);
	expect_int(c, "reported_tcb_bootloader", 3);
	expect_int(c, "reported_tcb_tee", 0);
	expect_int(c, "reported_tcb_snp", 8);
	expect_int(c, "reported_tcb_microcode", 115);
	expect_bool(c, "platform_smt_enabled", true);
	expect_bool(c, "platform_tsme_enabled", false);
	expect_str(c, "measurement", milan_measurement);
	char rd[129];
	snprintf(rd, sizeof(rd), "%s%064d", milan_rd, 0);
	expect_str(c, "report_data", rd);
	char id[65];
	snprintf(id, sizeof(id), "%064d", 0);
	expect_str(c, "init_data", id);
	const char *chip = json_string_value(json_object_get(c, "chip_id"));
	assert_non_null(chip);
	assert_int_equal(strlen(chip), 128);
	assert_memory_equal(chip, "c38427a3", 8);
	assert_string_equal(chip + 122, "77524e");
}

static void test_vector_milan_vcek(void **state)
{
	struct fx *f = *state;
	uint8_t *rep = f->rep, *vcek = f->vcek;
	size_t rl = f->rl, vl = f->vl;
	attest_verifier *v = f->real;
	uint8_t rd[32];
	hex(milan_rd, rd, 32);
	json_t *claims = NULL;
	cc_error *err = NULL;
	int r = snp_verify_report(v, rep, rl, vcek, vl, rd, sizeof(rd), &claims, &err);
	if (r < 0)
		fail_msg("%s", cc_error_message(err));
	check_milan_claims(claims);
	json_decref(claims);
	/* the same through wrap_raw + evaluate (the CLI's path) */
	json_t *ev = NULL;
	assert_int_equal(attest_verifier_wrap_raw(v, rep, rl, &ev, &err), 0);
	char path[1024];
	snprintf(path, sizeof(path), "%s/test-vcek.der", data_dir);
	attest_verifier_opts o = {.vcek = path};
	v = verifier(&o);
	assert_int_equal(attest_verifier_evaluate(v, ev, rd, 32, NULL, 0, &claims, &err), 0);
	check_milan_claims(claims);
	json_decref(claims);
	/* a wrong report_data, and one over 64 bytes */
	rd[0] ^= 1;
	assert_err(attest_verifier_evaluate(v, ev, rd, 32, NULL, 0, &claims, &err), &err,
	           "report_data mismatch");
	cc_error_free(err);
	err = NULL;
	uint8_t big[65] = {0};
	assert_err(attest_verifier_evaluate(v, ev, big, 65, NULL, 0, &claims, &err), &err,
	           "report_data mismatch");
	cc_error_free(err);
	json_decref(ev);
	attest_verifier_free(v);
}

/* Trustee's check_report_signature_failure (byte 42) and
 * check_report_tcb_failure (byte 384): both refused. */
static void test_vector_milan_corrupt(void **state)
{
	struct fx *f = *state;
	uint8_t *rep = f->rep, *vcek = f->vcek;
	size_t rl = f->rl, vl = f->vl;
	attest_verifier *v = f->real;
	json_t *claims = NULL;
	cc_error *err = NULL;
	rep[42]++;
	assert_err(snp_verify_report(v, rep, rl, vcek, vl, NULL, 0, &claims, &err), &err,
	           "report signature");
	cc_error_free(err);
	err = NULL;
	rep[42]--;
	rep[384]++;
	assert_err(snp_verify_report(v, rep, rl, vcek, vl, NULL, 0, &claims, &err), &err,
	           "report signature");
	cc_error_free(err);
	err = NULL;
	/* the binding alone (before the signature would catch it) */
	snp_report r;
	assert_int_equal(snp_report_parse(rep, rl, &r, NULL), 0);
	X509 *x = snp_x509_parse(vcek, vl);
	assert_err(snp_check_bindings(&r, x, false, &err), &err, "TCB binding");
	cc_error_free(err);
	err = NULL;
	/* a VCEK byte flip breaks its chain (Trustee's check_vcek_signature_failure) */
	vcek[42]++;
	rep[384]--;
	assert_err(snp_verify_report(v, rep, rl, vcek, vl, NULL, 0, &claims, &err), &err,
	           "VCEK chain");
	cc_error_free(err);
	X509_free(x);
}

/* Trustee's invalid VCEKs (synthetic hwID 00..3F, raw and DER-wrapped):
 * Trustee parses them but never compares the hwID (CN "SEV-VCEK" is not
 * "VCEK"); ours refuses them. Their signatures are broken too, so the
 * whole verification stops at the chain first. */
static void test_vector_invalid_vceks(void **state)
{
	static const char *const names[] = {"test-vcek-invalid-legacy.der",
	                                    "test-vcek-invalid-new.der"};
	struct fx *f = *state;
	snp_report r;
	assert_int_equal(snp_report_parse(f->rep, f->rl, &r, NULL), 0);
	for (size_t i = 0; i < 2; i++) {
		size_t vl;
		uint8_t *der = load(names[i], &vl);
		X509 *x = snp_x509_parse(der, vl);
		assert_non_null(x);
		snp_vek_ext ext;
		assert_int_equal(snp_vek_extensions(x, &ext, NULL), 0);
		assert_true(ext.has_hwid);
		assert_int_equal(ext.hwid_len, 64);
		assert_int_equal(ext.hwid[63], 0x3f);
		cc_error *err = NULL;
		assert_err(snp_check_bindings(&r, x, false, &err), &err, "chip_id binding");
		cc_error_free(err);
		err = NULL;
		json_t *claims = NULL;
		assert_err(snp_verify_report(f->real, f->rep, f->rl, der, vl, NULL, 0, &claims, &err),
		           &err, "VCEK chain");
		cc_error_free(err);
		X509_free(x);
		free(der);
	}
}

static void test_vector_vlek(void **state)
{
	(void)state;
	size_t rl, vl;
	uint8_t *rep = load("test-vlek-report.bin", &rl), *vlek = load("test-vlek.der", &vl);
	struct attest_snp_policy pol = {.vmpl_max = 1};
	attest_verifier_opts o = {.at = AT_2025, .snp = &pol};
	attest_verifier *v = verifier(&o);
	json_t *claims = NULL;
	cc_error *err = NULL;
	if (snp_verify_report(v, rep, rl, vlek, vl, NULL, 0, &claims, &err) < 0)
		fail_msg("%s", cc_error_message(err));
	expect_str(claims, "measurement",
	           "8922ebbdd00ec2c541f36a6e7a82a8773a7accb451ed67bc94e740dbe92c93c4"
	           "e8c9af857f5ceeb5a493df2a570d7bf0");
	expect_int(claims, "reported_tcb_bootloader", 4);
	expect_int(claims, "reported_tcb_tee", 0);
	expect_int(claims, "reported_tcb_snp", 24);
	expect_int(claims, "reported_tcb_microcode", 217);
	json_decref(claims);
	attest_verifier_free(v);
	/* Trustee's VMPL 0 rule by default */
	o.snp = NULL;
	v = verifier(&o);
	assert_err(snp_verify_report(v, rep, rl, vlek, vl, NULL, 0, &claims, &err), &err, "VMPL");
	cc_error_free(err);
	err = NULL;
	attest_verifier_free(v);
	/* expired today (2025-12-10) */
	o.at = 0;
	o.snp = &pol;
	v = verifier(&o);
	assert_err(snp_verify_report(v, rep, rl, vlek, vl, NULL, 0, &claims, &err), &err,
	           "VLEK chain");
	cc_error_free(err);
	attest_verifier_free(v);
	free(rep);
	free(vlek);
}

static json_t *genoa_evidence(void)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/evidence-genoa.json", data_dir);
	json_t *ev = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(ev);
	return ev;
}

static void test_vector_genoa_json(void **state)
{
	(void)state;
	json_t *ev = genoa_evidence();
	attest_verifier *v = verifier(NULL);
	uint8_t rd[64];
	hex("7e7320889600c7ac133aea7b896c51f41026002982292a7369559796999c1bf9"
	    "29eef3ff23c46e858f0b1982f9a92b17c51b578d958cde6b0c92978f150cf9b0",
	    rd, 64);
	uint8_t id[32] = {0};
	json_t *claims = NULL;
	cc_error *err = NULL;
	if (attest_verifier_evaluate(v, ev, rd, 64, id, 32, &claims, &err) < 0)
		fail_msg("%s", cc_error_message(err));
	expect_str(claims, "measurement",
	           "6a6519d757e68c2e939c9dbbbc1828498e8de35d2766dd05f1a2cca5059d0cf4"
	           "ae62a36d75c837974dd50b315506e73e");
	expect_int(claims, "reported_tcb_bootloader", 10);
	expect_int(claims, "reported_tcb_snp", 23);
	expect_int(claims, "reported_tcb_microcode", 25);
	expect_int(claims, "policy_abi_minor", 0);
	json_decref(claims);
	/* init_data mismatch */
	id[0] = 1;
	assert_err(attest_verifier_evaluate(v, ev, rd, 64, id, 32, &claims, &err), &err,
	           "init_data mismatch");
	cc_error_free(err);
	err = NULL;
	/* a changed field breaks the signature */
	json_t *rep = json_object_get(ev, "attestation_report");
	json_object_set_new(rep, "guest_svn", json_integer(1));
	assert_err(attest_verifier_evaluate(v, ev, NULL, 0, NULL, 0, &claims, &err), &err,
	           "report signature");
	cc_error_free(err);
	err = NULL;
	/* Milan CPUID under a Genoa VCEK: the wrong product's chain */
	json_object_set_new(rep, "guest_svn", json_integer(0));
	json_object_set_new(rep, "cpuid_mod_id", json_integer(1));
	assert_err(attest_verifier_evaluate(v, ev, NULL, 0, NULL, 0, &claims, &err), &err,
	           "VCEK chain");
	cc_error_free(err);
	err = NULL;
	/* a missing member, a wrong type, fmc on a Genoa report */
	json_object_set_new(rep, "cpuid_mod_id", json_integer(160));
	json_t *copy = json_deep_copy(ev);
	json_object_del(json_object_get(copy, "attestation_report"), "chip_id");
	assert_err(attest_verifier_evaluate(v, copy, NULL, 0, NULL, 0, &claims, &err), &err,
	           "attestation_report: missing member 'chip_id'");
	cc_error_free(err);
	err = NULL;
	json_decref(copy);
	copy = json_deep_copy(ev);
	json_object_set_new(json_object_get(json_object_get(copy, "attestation_report"),
	                                    "reported_tcb"),
	                    "fmc", json_integer(1));
	assert_err(attest_verifier_evaluate(v, copy, NULL, 0, NULL, 0, &claims, &err), &err,
	           "attestation report: reported_tcb.fmc");
	cc_error_free(err);
	err = NULL;
	json_decref(copy);
	/* two VCEKs */
	copy = json_deep_copy(ev);
	json_t *chain = json_object_get(copy, "cert_chain");
	json_array_append_new(chain, json_deep_copy(json_array_get(chain, 0)));
	assert_err(attest_verifier_evaluate(v, copy, NULL, 0, NULL, 0, &claims, &err), &err,
	           "VCEK chain");
	cc_error_free(err);
	json_decref(copy);
	json_decref(ev);
	attest_verifier_free(v);
}

/* cert_type as the table GUID, bare or as {"OTHER": guid}; unknown GUIDs
 * are ignored entries, unknown names refused. */
static void test_vector_genoa_guids(void **state)
{
	(void)state;
	static const char vcek_guid[] = "63da758d-e664-4564-adc5-f4b93be8accd";
	attest_verifier *v = verifier(NULL);
	json_t *claims = NULL;
	cc_error *err = NULL;
	json_t *ev = genoa_evidence();
	json_t *entry = json_array_get(json_object_get(ev, "cert_chain"), 0);
	json_object_set_new(entry, "cert_type", json_string(vcek_guid));
	if (attest_verifier_evaluate(v, ev, NULL, 0, NULL, 0, &claims, &err) < 0)
		fail_msg("%s", cc_error_message(err));
	json_decref(claims);
	json_object_set_new(entry, "cert_type", json_pack("{s:s}", "OTHER", vcek_guid));
	if (attest_verifier_evaluate(v, ev, NULL, 0, NULL, 0, &claims, &err) < 0)
		fail_msg("%s", cc_error_message(err));
	json_decref(claims);
	json_object_set_new(entry, "cert_type",
	                    json_pack("{s:s}", "OTHER", "00000000-0000-0000-0000-000000000001"));
	assert_err(attest_verifier_evaluate(v, ev, NULL, 0, NULL, 0, &claims, &err), &err,
	           "VCEK chain: the cert_chain holds 0 VCEK/VLEK entries");
	cc_error_free(err);
	err = NULL;
	json_object_set_new(entry, "cert_type", json_string("PEK"));
	assert_err(attest_verifier_evaluate(v, ev, NULL, 0, NULL, 0, &claims, &err), &err,
	           "cert_chain[0].cert_type: unknown 'PEK'");
	cc_error_free(err);
	json_decref(ev);
	attest_verifier_free(v);
}

/* ---- synthetic reports from the test PKI ------------------------------ */

static const uint8_t test_chip[64] = {
	0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c,
	0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
	0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
	0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73,
	0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f};

static const char *low(enum snp_product p)
{
	return p == SNP_MILAN ? "milan" : p == SNP_GENOA ? "genoa" : "turin";
}

/* A v3 (Turin: v5) report with the test chip and the TCB the test VEKs
 * certify (snp_make_chain.py). */
static void synth_init(synth *s, enum snp_product p, bool vlek)
{
	memset(s, 0, sizeof(*s));
	s->product = p;
	s->vlek = vlek;
	snp_report *r = &s->r;
	r->version = p == SNP_TURIN ? 5 : 3;
	r->has_mit = p == SNP_TURIN;
	r->policy = 0x30000;
	r->sig_algo = 1;
	r->key_info = vlek ? 4 : 0;
	r->plat_info = 1;
	r->has_cpuid = true;
	r->cpuid_fam_id = p == SNP_TURIN ? 0x1A : 0x19;
	r->cpuid_mod_id = p == SNP_MILAN ? 0x01 : p == SNP_GENOA ? 0x11 : 0x02;
	snp_tcb t = {.has_fmc = p == SNP_TURIN, .fmc = p == SNP_TURIN ? 2 : 0,
	             .bootloader = 3, .tee = 0, .snp = 8, .microcode = 115};
	r->current_tcb = r->reported_tcb = r->committed_tcb = r->launch_tcb = t;
	if (!vlek)
		memcpy(r->chip_id, test_chip, 64);
	for (size_t i = 0; i < 48; i++)
		r->measurement[i] = (uint8_t)(0xA0 + i);
	for (size_t i = 0; i < 48; i++)
		r->report_data[i] = (uint8_t)i;
	r->current_major = 1;
	r->current_minor = 55;
}

/* Encodes and signs s->r with the product's test VCEK/VLEK key into out. */
static void synth_sign(synth *s, uint8_t out[SNP_REPORT_SIZE])
{
	snp_report *r = &s->r;
	memset(r->sig_r, 0, 72);
	memset(r->sig_s, 0, 72);
	cc_error *err = NULL;
	if (snp_report_encode(r, &err) < 0)
		fail_msg("encode: %s", cc_error_message(err));
	char name[64];
	snprintf(name, sizeof(name), "testchain/%s_%s_key.pem", low(s->product),
	         s->vlek ? "vlek" : "vcek");
	char *pem = load_str(name);
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	assert_non_null(key);
	BIO_free(b);
	free(pem);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[128];
	size_t der_len = sizeof(der);
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(md, der, &der_len, r->raw, SNP_SIGNED_SIZE), 1);
	const unsigned char *q = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &q, (long)der_len);
	assert_non_null(sig);
	BN_bn2lebinpad(ECDSA_SIG_get0_r(sig), r->sig_r, 72);
	BN_bn2lebinpad(ECDSA_SIG_get0_s(sig), r->sig_s, 72);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	assert_int_equal(snp_report_encode(r, NULL), 0);
	memcpy(out, r->raw, SNP_REPORT_SIZE);
}

/* A verifier trusting the test roots of every product. */
static attest_verifier *test_verifier(const attest_verifier_opts *o)
{
	attest_verifier *v = verifier(o);
	static const enum snp_product ps[] = {SNP_MILAN, SNP_GENOA, SNP_TURIN};
	for (size_t i = 0; i < 3; i++) {
		char name[64];
		snprintf(name, sizeof(name), "testchain/%s_ask_ark_asvk.pem", low(ps[i]));
		char *pem = load_str(name);
		assert_int_equal(snp_verifier_set_roots(v, ps[i], pem, NULL), 0);
		free(pem);
	}
	return v;
}

static uint8_t *test_vek(enum snp_product p, bool vlek, size_t *len)
{
	char name[64];
	snprintf(name, sizeof(name), "testchain/%s_%s.der", low(p), vlek ? "vlek" : "vcek");
	return load(name, len);
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->rep = load("test-report.bin", &f->rl);
	f->vcek = load("test-vcek.der", &f->vl);
	f->real = verifier(NULL);
	f->test = test_verifier(NULL);
	synth_init(&f->s, SNP_MILAN, false);
	synth_sign(&f->s, f->raw);
	f->vek = test_vek(SNP_MILAN, false, &f->vek_len);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	free(f->rep);
	free(f->vcek);
	attest_verifier_free(f->real);
	attest_verifier_free(f->test);
	free(f->vek);
	free(f);
	return 0;
}

/* Verifies raw with product p's test VEK; returns the result, err set. */
static int run(attest_verifier *v, const uint8_t *raw, size_t len, enum snp_product p,
               bool vlek, const uint8_t *rd, size_t rd_len, cc_error **err)
{
	size_t vl;
	uint8_t *vek = test_vek(p, vlek, &vl);
	json_t *claims = NULL;
	int r = snp_verify_report(v, raw, len, vek, vl, rd, rd_len, &claims, err);
	json_decref(claims);
	free(vek);
	return r;
}

static void expect_ok(attest_verifier *v, const uint8_t *raw, enum snp_product p, bool vlek)
{
	cc_error *err = NULL;
	if (run(v, raw, SNP_REPORT_SIZE, p, vlek, NULL, 0, &err) < 0)
		fail_msg("%s %s: %s", low(p), vlek ? "VLEK" : "VCEK", cc_error_message(err));
}

static void expect_fail(attest_verifier *v, const uint8_t *raw, size_t len, enum snp_product p,
                        bool vlek, const char *prefix)
{
	cc_error *err = NULL;
	assert_err(run(v, raw, len, p, vlek, NULL, 0, &err), &err, prefix);
	cc_error_free(err);
}

static void test_synth_products(void **state)
{
	struct fx *f = *state;
	attest_verifier *v = f->test;
	static const enum snp_product ps[] = {SNP_MILAN, SNP_GENOA, SNP_TURIN};
	uint8_t raw[SNP_REPORT_SIZE];
	for (size_t i = 0; i < 3; i++)
		for (int vlek = 0; vlek < 2; vlek++) {
			synth s;
			synth_init(&s, ps[i], vlek);
			synth_sign(&s, raw);
			expect_ok(v, raw, ps[i], vlek);
			/* the real roots do not know the test PKI */
			expect_fail(f->real, raw, sizeof(raw), ps[i], vlek,
			            vlek ? "VLEK chain" : "VCEK chain");
		}
	/* Turin's layout: fmc and the 8-byte hwID are bound */
	synth s;
	synth_init(&s, SNP_TURIN, false);
	s.r.reported_tcb.fmc = 3;
	synth_sign(&s, raw);
	expect_fail(v, raw, sizeof(raw), SNP_TURIN, false, "TCB binding");
	synth_init(&s, SNP_TURIN, false);
	s.r.chip_id[7] ^= 1;
	synth_sign(&s, raw);
	expect_fail(v, raw, sizeof(raw), SNP_TURIN, false, "chip_id binding");
	synth_init(&s, SNP_TURIN, false);
	s.r.chip_id[8] ^= 1; /* past the 8-byte hwID: not bound */
	synth_sign(&s, raw);
	expect_ok(v, raw, SNP_TURIN, false);
}

static void test_synth_bindings(void **state)
{
	struct fx *f = *state;
	attest_verifier *v = f->test;
	uint8_t raw[SNP_REPORT_SIZE];
	synth s;
	/* wrong product chain: a Milan report, a Genoa VCEK */
	expect_fail(v, f->raw, SNP_REPORT_SIZE, SNP_GENOA, false, "VCEK chain");
	/* VCEK / chip_id mismatch */
	synth_init(&s, SNP_MILAN, false);
	s.r.chip_id[63] ^= 0x80;
	synth_sign(&s, raw);
	expect_fail(v, raw, sizeof(raw), SNP_MILAN, false, "chip_id binding");
	/* a masked chip_id under a VCEK */
	synth_init(&s, SNP_MILAN, false);
	memset(s.r.chip_id, 0, 64);
	synth_sign(&s, raw);
	expect_fail(v, raw, sizeof(raw), SNP_MILAN, false, "chip_id binding");
	/* reported_tcb not the VCEK's */
	static const size_t tcb_fields[] = {offsetof(snp_tcb, bootloader), offsetof(snp_tcb, tee),
	                                    offsetof(snp_tcb, snp), offsetof(snp_tcb, microcode)};
	for (size_t i = 0; i < 4; i++) {
		synth_init(&s, SNP_MILAN, false);
		((uint8_t *)&s.r.reported_tcb)[tcb_fields[i]]++;
		synth_sign(&s, raw);
		expect_fail(v, raw, sizeof(raw), SNP_MILAN, false, "TCB binding");
	}
	/* key_info says VLEK, a VCEK is given: the VEK signs, the kind differs */
	synth_init(&s, SNP_MILAN, true);
	synth_sign(&s, raw);
	expect_fail(v, raw, sizeof(raw), SNP_MILAN, false, "VLEK chain");
	/* key_info: no signing key */
	synth_init(&s, SNP_MILAN, false);
	s.r.key_info = 7u << 2;
	synth_sign(&s, raw);
	expect_fail(v, raw, sizeof(raw), SNP_MILAN, false, "report signature");
	/* PKCS#1 v1.5 instead of RSA-PSS */
	size_t vl;
	uint8_t *pk = load("testchain/milan_vcek_pkcs1.der", &vl);
	json_t *claims = NULL;
	cc_error *err = NULL;
	assert_err(snp_verify_report(v, f->raw, SNP_REPORT_SIZE, pk, vl, NULL, 0, &claims, &err),
	           &err, "VCEK chain");
	cc_error_free(err);
	err = NULL;
	free(pk);
	/* hwID as a DER OCTET STRING */
	pk = load("testchain/milan_vcek_octet.der", &vl);
	if (snp_verify_report(v, f->raw, SNP_REPORT_SIZE, pk, vl, NULL, 0, &claims, &err) < 0)
		fail_msg("%s", cc_error_message(err));
	json_decref(claims);
	free(pk);
}

static void test_synth_policy(void **state)
{
	struct fx *f = *state;
	uint8_t *raw = f->raw;
	f->s.r.policy |= 1u << 19 | 1u << 18; /* DEBUG, MIGRATE_MA */
	f->s.r.vmpl = 2;
	synth_sign(&f->s, raw);
	/* Trustee's defaults: VMPL 0 only, debug and the rest left to the policy */
	expect_fail(f->test, raw, SNP_REPORT_SIZE, SNP_MILAN, false, "VMPL");
	attest_verifier *v;
	struct attest_snp_policy pol = {.vmpl_max = 2};
	attest_verifier_opts o = {.snp = &pol};
	v = test_verifier(&o);
	expect_ok(v, raw, SNP_MILAN, false);
	attest_verifier_free(v);
	pol.refuse_debug = true;
	v = test_verifier(&o);
	expect_fail(v, raw, SNP_REPORT_SIZE, SNP_MILAN, false, "debug policy");
	attest_verifier_free(v);
	pol.refuse_debug = false;
	pol.refuse_migration_agent = true;
	v = test_verifier(&o);
	expect_fail(v, raw, SNP_REPORT_SIZE, SNP_MILAN, false, "migration agent");
	attest_verifier_free(v);
	pol.refuse_migration_agent = false;
	pol.refuse_smt = true;
	v = test_verifier(&o);
	expect_fail(v, raw, SNP_REPORT_SIZE, SNP_MILAN, false, "SMT");
	attest_verifier_free(v);
	/* minimum TCB: each SPL */
	pol.refuse_smt = false;
	pol.check_min_tcb = true;
	pol.min_bootloader = 3;
	pol.min_snp = 8;
	pol.min_microcode = 115;
	v = test_verifier(&o);
	expect_ok(v, raw, SNP_MILAN, false);
	attest_verifier_free(v);
	uint8_t *mins[] = {&pol.min_bootloader, &pol.min_tee, &pol.min_snp, &pol.min_microcode};
	for (size_t i = 0; i < 4; i++) {
		uint8_t keep = *mins[i];
		*mins[i] = (uint8_t)(keep + 1);
		v = test_verifier(&o);
		expect_fail(v, raw, SNP_REPORT_SIZE, SNP_MILAN, false, "TCB below minimum");
		attest_verifier_free(v);
		*mins[i] = keep;
	}
	/* expected measurements */
	pol.check_min_tcb = false;
	uint8_t meas[2][48] = {{0}};
	pol.measurements = (const uint8_t(*)[48])meas;
	pol.n_measurements = 2;
	v = test_verifier(&o);
	expect_fail(v, raw, SNP_REPORT_SIZE, SNP_MILAN, false, "measurement");
	attest_verifier_free(v);
	memcpy(meas[1], f->s.r.measurement, 48);
	v = test_verifier(&o);
	expect_ok(v, raw, SNP_MILAN, false);
	attest_verifier_free(v);
}

static void test_synth_report_data(void **state)
{
	struct fx *f = *state;
	attest_verifier *v = f->test;
	uint8_t *raw = f->raw;
	synth *s = &f->s;
	uint8_t rd[48];
	memcpy(rd, s->r.report_data, 48); /* the KBS's 48-byte runtime-data digest */
	cc_error *err = NULL;
	assert_int_equal(run(v, raw, SNP_REPORT_SIZE, SNP_MILAN, false, rd, 48, &err), 0);
	rd[47] ^= 1;
	assert_err(run(v, raw, SNP_REPORT_SIZE, SNP_MILAN, false, rd, 48, &err), &err,
	           "report_data mismatch");
	cc_error_free(err);
	err = NULL;
	/* a digest that matches only because the report's tail is not zero */
	s->r.report_data[60] = 1;
	synth_sign(s, raw);
	memcpy(rd, s->r.report_data, 48);
	assert_err(run(v, raw, SNP_REPORT_SIZE, SNP_MILAN, false, rd, 48, &err), &err,
	           "report_data mismatch");
	cc_error_free(err);
}

static void test_synth_sizes(void **state)
{
	struct fx *f = *state;
	attest_verifier *v = f->test;
	uint8_t *raw = f->raw;
	raw[SNP_REPORT_SIZE] = 0;
	expect_fail(v, raw, SNP_REPORT_SIZE - 1, SNP_MILAN, false, "truncated");
	expect_fail(v, raw, 0, SNP_MILAN, false, "truncated");
	expect_fail(v, raw, SNP_REPORT_SIZE + 1, SNP_MILAN, false, "oversized");
	/* versions 1 and 6; a v3 report with an unknown CPU */
	raw[0] = 1;
	expect_fail(v, raw, SNP_REPORT_SIZE, SNP_MILAN, false, "attestation report: version 1");
	raw[0] = 6;
	expect_fail(v, raw, SNP_REPORT_SIZE, SNP_MILAN, false, "attestation report: version 6");
	raw[0] = 3;
	raw[0x188] = 0x17;
	expect_fail(v, raw, SNP_REPORT_SIZE, SNP_MILAN, false, "attestation report: CPUID");
}

/* Every bit-0 flip of the signed region is refused; all but the bytes that
 * pick the layout, product or key kind say "report signature". Bytes of the
 * signature refuse too; the reserved bytes after it are not signed. */
static void test_synth_byte_flips(void **state)
{
	struct fx *f = *state;
	attest_verifier *v = f->test;
	uint8_t *raw = f->raw;
	expect_ok(v, raw, SNP_MILAN, false);
	for (size_t i = 0; i < SNP_REPORT_SIZE; i++) {
		raw[i] ^= 1;
		json_t *claims = NULL;
		cc_error *err = NULL;
		int r = snp_verify_report(v, raw, SNP_REPORT_SIZE, f->vek, f->vek_len, NULL, 0,
		                          &claims, &err);
		raw[i] ^= 1;
		if (i >= 0x2A0 + 144) { /* reserved, unsigned */
			if (r < 0)
				fail_msg("byte 0x%zx: %s", i, cc_error_message(err));
			json_decref(claims);
			continue;
		}
		if (r == 0)
			fail_msg("byte 0x%zx flipped: accepted", i);
		bool layout = i < 4 || (i >= 0x188 && i <= 0x189) || (i >= 0x34 && i < 0x38) ||
		              i == 0x48;
		const char *m = cc_error_message(err);
		if (!layout && strncmp(m, "report signature", 16) != 0)
			fail_msg("byte 0x%zx: '%s'", i, m);
		cc_error_free(err);
	}
}

/* The certificate sources: --vcek, the cache dir (Trustee's OfflineStore
 * names), --cert-chain, the evidence's cert_chain; CRLs from the cache. */
static char tmpdir[64];

static void write_file(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	fclose(f);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_rf(const char *dir)
{
	assert_int_equal(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static int eval_raw(attest_verifier *v, const uint8_t *raw, cc_error **err)
{
	json_t *ev = NULL, *claims = NULL;
	int r = attest_verifier_wrap_raw(v, raw, SNP_REPORT_SIZE, &ev, err);
	if (r == 0)
		r = attest_verifier_evaluate(v, ev, NULL, 0, NULL, 0, &claims, err);
	json_decref(claims);
	json_decref(ev);
	return r;
}

static void test_synth_store(void **state)
{
	struct fx *f = *state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cocoon-snp-test.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	const uint8_t *raw = f->raw;
	attest_verifier_opts o = {.cache_dir = tmpdir};
	attest_verifier *v = test_verifier(&o);
	cc_error *err = NULL;
	assert_err(eval_raw(v, raw, &err), &err, "VCEK chain: no VCEK");
	cc_error_free(err);
	err = NULL;
	char hwid[129], dir[512];
	snp_hwid_hex(&f->s.r, SNP_MILAN, hwid);
	snprintf(dir, sizeof(dir), "%s/vcek", tmpdir);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/vcek/%s", tmpdir, hwid);
	mkdir(dir, 0700);
	const uint8_t *vek = f->vek;
	size_t vl = f->vek_len;
	write_file(dir, "bl03_tee00_snp08_ucode115_vcek.der", vek, vl);
	if (eval_raw(v, raw, &err) < 0)
		fail_msg("%s", cc_error_message(err));
	/* CRLs: clean, revoking the VCEK, expired */
	snprintf(dir, sizeof(dir), "%s/crl", tmpdir);
	mkdir(dir, 0700);
	static const struct {
		const char *file, *prefix;
	} crls[] = {{"milan_crl_clean.pem", NULL},
	            {"milan_crl_revoked.pem", "certificate revoked"},
	            {"milan_crl_expired.pem", "CRL expired"}};
	for (size_t i = 0; i < 3; i++) {
		char name[64];
		snprintf(name, sizeof(name), "testchain/%s", crls[i].file);
		size_t cl;
		uint8_t *c = load(name, &cl);
		write_file(dir, "Milan.crl", c, cl);
		free(c);
		int r = eval_raw(v, raw, &err);
		if (crls[i].prefix == NULL) {
			if (r < 0)
				fail_msg("%s: %s", crls[i].file, cc_error_message(err));
		} else {
			assert_err(r, &err, crls[i].prefix);
			cc_error_free(err);
			err = NULL;
		}
	}
	attest_verifier_free(v);
	rm_rf(tmpdir);
	/* --cert-chain: the product's ASK and ARK; another product's ARK */
	char path[512];
	snprintf(path, sizeof(path), "%s/testchain/milan_ask_ark.pem", data_dir);
	attest_verifier_opts o2 = {.cert_chain = path};
	v = test_verifier(&o2);
	assert_int_equal(run(v, raw, SNP_REPORT_SIZE, SNP_MILAN, false, NULL, 0, &err), 0);
	attest_verifier_free(v);
	snprintf(path, sizeof(path), "%s/testchain/genoa_ask_ark.pem", data_dir);
	v = test_verifier(&o2);
	assert_err(run(v, raw, SNP_REPORT_SIZE, SNP_MILAN, false, NULL, 0, &err), &err,
	           "VCEK chain: the --cert-chain ARK is not the built-in Milan ARK");
	cc_error_free(err);
	err = NULL;
	attest_verifier_free(v);
	/* the evidence's cert_chain with its VCEK, ASK and ARK */
	v = test_verifier(NULL);
	json_t *ev = NULL, *claims = NULL;
	assert_int_equal(attest_verifier_wrap_raw(v, raw, SNP_REPORT_SIZE, &ev, NULL), 0);
	char *pem = load_str("testchain/milan_ask_ark.pem");
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *ask = PEM_read_bio_X509(b, NULL, NULL, NULL), *ark = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	free(pem);
	unsigned char *ask_der = NULL, *ark_der = NULL;
	int ask_len = i2d_X509(ask, &ask_der), ark_len = i2d_X509(ark, &ark_der);
	json_t *chain = json_array();
	struct {
		const char *type;
		const uint8_t *p;
		size_t n;
	} ents[] = {{"VCEK", vek, vl}, {"ASK", ask_der, (size_t)ask_len}, {"ARK", ark_der, (size_t)ark_len}};
	for (size_t i = 0; i < 3; i++) {
		json_t *data = json_array();
		for (size_t k = 0; k < ents[i].n; k++)
			json_array_append_new(data, json_integer(ents[i].p[k]));
		json_array_append_new(chain, json_pack("{s:s,s:o}", "cert_type", ents[i].type, "data", data));
	}
	json_object_set_new(ev, "cert_chain", chain);
	if (attest_verifier_evaluate(v, ev, NULL, 0, NULL, 0, &claims, &err) < 0)
		fail_msg("%s", cc_error_message(err));
	json_decref(claims);
	attest_verifier_free(v);
	/* the real Milan ARK is not the test one: an evidence ARK must be built in */
	v = verifier(NULL);
	assert_err(attest_verifier_evaluate(v, ev, NULL, 0, NULL, 0, &claims, &err), &err,
	           "VCEK chain: the cert_chain's ARK is not the built-in Milan ARK");
	cc_error_free(err);
	attest_verifier_free(v);
	json_decref(ev);
	OPENSSL_free(ask_der);
	OPENSSL_free(ark_der);
	X509_free(ask);
	X509_free(ark);
}

/* --at: before the test certificates' notBefore (2020) */
static void test_synth_at(void **state)
{
	struct fx *f = *state;
	attest_verifier_opts o = {.at = 1500000000};
	attest_verifier *v = test_verifier(&o);
	expect_fail(v, f->raw, SNP_REPORT_SIZE, SNP_MILAN, false, "VCEK chain");
	attest_verifier_free(v);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
		return 2;
	}
	data_dir = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vector_milan_vcek, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_vector_milan_corrupt, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_vector_invalid_vceks, fx_setup, fx_teardown),
		cmocka_unit_test(test_vector_vlek),
		cmocka_unit_test(test_vector_genoa_json),
		cmocka_unit_test(test_vector_genoa_guids),
		cmocka_unit_test_setup_teardown(test_synth_products, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_synth_bindings, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_synth_policy, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_synth_report_data, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_synth_sizes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_synth_byte_flips, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_synth_store, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_synth_at, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
