/* dcap_test_util.h: the real vector's quote fields for the DCAP collateral
 * tests (a small extraction here; the quote side has its own parser). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcap_test_util.h"

char *dcap_test_slurp(const char *dir, const char *name, size_t *ret_len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	char *buf = malloc(4u << 20);
	assert_non_null(buf);
	size_t n = fread(buf, 1, (4u << 20) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (ret_len)
		*ret_len = n;
	return buf;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* TDX quote v4: header 48, TD 1.0 body 584, signature data length, then
 * signature 64, attestation key 64, certification data type 6 holding the
 * QE report 384, its signature 64, auth data, certification data type 5 =
 * the PCK chain PEM. */
void dcap_real_load(const char *dir, struct dcap_real *r)
{
	size_t hlen = 0;
	char *hex = dcap_test_slurp(dir, "quote_hex.txt", &hlen);
	while (hlen && (hex[hlen - 1] == '\n' || hex[hlen - 1] == '\r'))
		hlen--;
	r->quote_len = hlen / 2;
	assert_true(r->quote_len <= sizeof(r->quote));
	assert_int_equal(dcap_hex_decode(hex, hlen, r->quote, r->quote_len), 0);
	free(hex);
	const uint8_t *q = r->quote, *body = q + 48;
	memcpy(r->tee_tcb_svn, body, 16);
	memcpy(r->mrsignerseam, body + 64, 48);
	memcpy(r->seam_attr, body + 112, 8);
	const uint8_t *sd = q + 48 + 584 + 4;
	assert_int_equal(le16(sd + 128), 6);
	const uint8_t *rep = sd + 134;
	memcpy(r->qe.cpusvn, rep, 16);
	r->qe.miscselect = le32(rep + 16);
	memcpy(r->qe.attributes, rep + 48, 16);
	memcpy(r->qe.mrenclave, rep + 64, 32);
	memcpy(r->qe.mrsigner, rep + 128, 32);
	r->qe.isvprodid = le16(rep + 256);
	r->qe.isvsvn = le16(rep + 258);
	memcpy(r->qe.report_data, rep + 320, 64);
	const uint8_t *p = rep + 384 + 64;
	p += 2 + le16(p);
	assert_int_equal(le16(p), 5);
	r->chain_len = le32(p + 2);
	r->chain = (const char *)p + 6;
	size_t len = 0;
	char *json = dcap_test_slurp(dir, "quote_collateral.json", &len);
	cc_error *e = NULL;
	if (dcap_collateral_parse(json, len, &r->c, &e) < 0)
		fail_msg("%s", cc_error_message(e));
	free(json);
}

struct dcap_verify_in dcap_real_in(struct dcap_real *r, int64_t at)
{
	return (struct dcap_verify_in){
		.at = at, .pck_chain_pem = r->chain, .pck_chain_len = r->chain_len, .qe = &r->qe,
		.is_tdx = 1, .tee_tcb_svn = r->tee_tcb_svn, .mr_signer_seam = r->mrsignerseam,
		.seam_attributes = r->seam_attr};
}
