/* dcap_verify: the collateral-side checks in Intel QVL's order
 * (docs/attest-tdx.md "Collateral checks"): pinned root, PCK chain with
 * both CRLs, TCB info and QE identity signatures over their exact texts,
 * the collateral windows, the TCB info's id, version, FMSPC and PCEID
 * against the PCK certificate, the QE identity, the TCB level matching
 * with the TDX module, and the statuses converged as QVL does. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dcap_int.h"

/* Every validity bound the checks read, folded as QVL's supplemental data
 * does (qve_get_collateral_dates): lo = notBefore / thisUpdate /
 * issueDate, hi = notAfter / nextUpdate. */
struct dates {
	int64_t min_lo, max_lo, min_hi;
	bool any;
};

static void fold(struct dates *d, int64_t lo, int64_t hi)
{
	if (!d->any || lo < d->min_lo)
		d->min_lo = lo;
	if (!d->any || lo > d->max_lo)
		d->max_lo = lo;
	if (!d->any || hi < d->min_hi)
		d->min_hi = hi;
	d->any = true;
}

static int64_t asn1_secs(const ASN1_TIME *t)
{
	struct tm tm;
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

static void fold_chain(struct dates *d, STACK_OF(X509) *sk)
{
	for (int i = 0; i < sk_X509_num(sk); i++) {
		X509 *x = sk_X509_value(sk, i);
		fold(d, asn1_secs(X509_get0_notBefore(x)), asn1_secs(X509_get0_notAfter(x)));
	}
}

static void fold_crl(struct dates *d, X509_CRL *c)
{
	fold(d, asn1_secs(X509_CRL_get0_lastUpdate(c)), asn1_secs(X509_CRL_get0_nextUpdate(c)));
}

/* The CRL Number extension (0 when absent), which QVL requires to fit a u32. */
static int crl_number(const char *what, X509_CRL *c, uint32_t *ret, cc_error **err)
{
	int crit = 0;
	ASN1_INTEGER *n = X509_CRL_get_ext_d2i(c, NID_crl_number, &crit, NULL);
	int64_t v = 0;
	*ret = 0;
	if (!n)
		return crit == -1 ? 0 : cc_error_set(err, -EINVAL, "%s: the CRL number cannot be read", what);
	int ok = ASN1_INTEGER_get_int64(&v, n);
	ASN1_INTEGER_free(n);
	if (!ok || v < 0 || v > (int64_t)UINT32_MAX)
		return cc_error_set(err, -EINVAL, "%s: the CRL number is not in 0..2^32-1", what);
	*ret = (uint32_t)v;
	return 0;
}

/* What a verification with the same collateral and PCK chain reuses
 * (dcap_cache.c): the signed bodies parsed after their signatures checked,
 * the PCK extension, the supplemental values that do not depend on the
 * quote, and the window in which every validity check passed. */
struct dcap_prep {
	struct dcap_tcb_info ti;
	struct dcap_qe_identity qi;
	struct dcap_pck_ext ext;
	struct dcap_supplemental supp;
	int64_t valid_lo, valid_hi;
};

struct run {
	const dcap_collateral *c;
	const struct dcap_verify_in *in;
	int64_t at;
	X509 *root;
	STACK_OF(X509) *pck;
	X509_CRL *root_crl, *pck_crl;
	STACK_OF(X509_CRL) *crls;     /* root CA CRL, PCK CRL */
	STACK_OF(X509_CRL) *root_crls; /* root CA CRL */
	struct dcap_pck_ext ext;
	struct dcap_tcb_info ti;
	struct dcap_qe_identity qi;
	struct dates dates;
	struct dcap_supplemental supp;
};

static void run_clear(struct run *r)
{
	X509_free(r->root);
	sk_X509_pop_free(r->pck, X509_free);
	sk_X509_CRL_free(r->crls);
	sk_X509_CRL_free(r->root_crls);
	X509_CRL_free(r->root_crl);
	X509_CRL_free(r->pck_crl);
	dcap_tcb_info_clear(&r->ti);
	dcap_qe_identity_clear(&r->qi);
}

/* The PCK CRL issuer chain, when given, is the PCK chain's intermediate
 * and the pinned root. */
static int crl_issuer_chain(struct run *r, cc_error **err)
{
	const char *pem = r->c->pck_crl_issuer_chain;
	if (!pem)
		return 0;
	STACK_OF(X509) *sk = NULL;
	int rc = dcap_chain_load("PCK chain", pem, strlen(pem), 2, &sk, err);
	if (rc == 0)
		rc = dcap_chain_root_is("PCK chain", sk, r->root, err);
	if (rc == 0 && X509_cmp(sk_X509_value(sk, 0), sk_X509_value(r->pck, 1)) != 0)
		rc = cc_error_set(err, -EACCES,
		                  "PCK chain: pck_crl_issuer_chain is not the PCK certificate's issuer");
	if (rc == 0)
		fold_chain(&r->dates, sk);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

static int check_pck_chain(struct run *r, cc_error **err)
{
	const struct dcap_verify_in *in = r->in;
	if (dcap_root_load(r->c, &r->root, err) < 0 ||
	    dcap_chain_load("PCK chain", in->pck_chain_pem, in->pck_chain_len, 3, &r->pck, err) < 0 ||
	    dcap_chain_root_is("PCK chain", r->pck, r->root, err) < 0 ||
	    crl_issuer_chain(r, err) < 0 ||
	    dcap_crl_load("root CA CRL", r->c->root_ca_crl, r->c->root_ca_crl_len, r->root, r->at,
	                  &r->root_crl, err) < 0 ||
	    dcap_crl_load("PCK CRL", r->c->pck_crl, r->c->pck_crl_len, sk_X509_value(r->pck, 1), r->at,
	                  &r->pck_crl, err) < 0)
		return -EACCES;
	r->crls = sk_X509_CRL_new_null();
	r->root_crls = sk_X509_CRL_new_null();
	if (!r->crls || !r->root_crls || !sk_X509_CRL_push(r->crls, r->root_crl) ||
	    !sk_X509_CRL_push(r->crls, r->pck_crl) || !sk_X509_CRL_push(r->root_crls, r->root_crl))
		return cc_error_set(err, -ENOMEM, "PCK chain: out of memory");
	if (dcap_chain_verify("PCK chain", r->pck, r->root, r->crls, r->at, err) < 0)
		return -EACCES;
	fold_chain(&r->dates, r->pck);
	fold_crl(&r->dates, r->root_crl);
	fold_crl(&r->dates, r->pck_crl);
	if (crl_number("root CA CRL", r->root_crl, &r->supp.root_ca_crl_num, err) < 0 ||
	    crl_number("PCK CRL", r->pck_crl, &r->supp.pck_crl_num, err) < 0)
		return -EINVAL;
	const ASN1_BIT_STRING *key = X509_get0_pubkey_bitstr(r->root);
	unsigned int n = 0;
	if (!key || !EVP_Digest(key->data, (size_t)key->length, r->supp.root_key_id, &n, EVP_sha384(), NULL))
		return cc_error_set(err, -ENOMEM, "PCK chain: SHA-384 of the root's key failed");
	return dcap_pck_ext_from_cert(sk_X509_value(r->pck, 0), &r->ext, err);
}

/* tcb_info or qe_identity: its issuer chain to the pinned root (root CA
 * CRL) and its signature over the exact text. */
static int check_signed(struct run *r, const char *what, const char *chain, const char *text,
                        size_t len, const uint8_t *sig, cc_error **err)
{
	STACK_OF(X509) *sk = NULL;
	int rc = dcap_chain_load(what, chain, strlen(chain), 2, &sk, err);
	if (rc == 0)
		rc = dcap_chain_root_is(what, sk, r->root, err);
	if (rc == 0)
		rc = dcap_chain_verify(what, sk, r->root, r->root_crls, r->at, err);
	if (rc == 0 && dcap_sig_verify(sk_X509_value(sk, 0), (const uint8_t *)text, len, sig) < 0)
		rc = cc_error_set(err, -EACCES, "%s: the signature does not verify with \"Intel SGX TCB Signing\"'s key",
		                  what);
	if (rc == 0)
		fold_chain(&r->dates, sk);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

static int window(const char *what, int64_t issue, int64_t next, int64_t at, cc_error **err)
{
	if (at < issue)
		return cc_error_set(err, -EACCES, "collateral not yet valid: %s issueDate %lld is after %lld",
		                    what, (long long)issue, (long long)at);
	if (at > next)
		return cc_error_set(err, -EACCES, "collateral expired: %s nextUpdate %lld is before %lld", what,
		                    (long long)next, (long long)at);
	return 0;
}

static int check_bodies(struct run *r, cc_error **err)
{
	const dcap_collateral *c = r->c;
	if (dcap_tcb_info_parse(c->tcb_info, c->tcb_info_len, &r->ti, err) < 0 ||
	    dcap_qe_identity_parse(c->qe_identity, c->qe_identity_len, &r->qi, err) < 0 ||
	    window("tcb_info", r->ti.issue_date, r->ti.next_update, r->at, err) < 0 ||
	    window("qe_identity", r->qi.issue_date, r->qi.next_update, r->at, err) < 0)
		return -EACCES;
	fold(&r->dates, r->ti.issue_date, r->ti.next_update);
	fold(&r->dates, r->qi.issue_date, r->qi.next_update);
	return 0;
}

/* The TCB info's id, version, FMSPC and PCE-ID against the quote's kind
 * and the PCK certificate. */
static int check_binding(const struct dcap_tcb_info *ti, const struct dcap_pck_ext *ext, int is_tdx,
                         cc_error **err)
{
	bool tdx = strcmp(ti->id, "TDX") == 0;
	if (is_tdx ? !tdx || ti->version != 3 : tdx || (ti->version != 2 && ti->version != 3))
		return cc_error_set(err, -EACCES, "tcb_info binding: tcb_info %s version %d is not for %s quotes",
		                    ti->id, ti->version, is_tdx ? "TDX (TDX v3)" : "SGX (SGX v2/v3)");
	if (memcmp(ti->fmspc, ext->fmspc, 6) != 0)
		return cc_error_set(err, -EACCES,
		                    "tcb_info binding: tcb_info FMSPC %02x%02x%02x%02x%02x%02x is not the PCK certificate's %02x%02x%02x%02x%02x%02x",
		                    ti->fmspc[0], ti->fmspc[1], ti->fmspc[2], ti->fmspc[3], ti->fmspc[4],
		                    ti->fmspc[5], ext->fmspc[0], ext->fmspc[1], ext->fmspc[2],
		                    ext->fmspc[3], ext->fmspc[4], ext->fmspc[5]);
	if (memcmp(ti->pceid, ext->pceid, 2) != 0)
		return cc_error_set(err, -EACCES, "tcb_info binding: tcb_info PCEID %02x%02x is not the PCK certificate's %02x%02x",
		                    ti->pceid[0], ti->pceid[1], ext->pceid[0], ext->pceid[1]);
	return 0;
}

static int add_ids(json_t *out, const struct dcap_level *l)
{
	if (!l || !l->advisory_ids)
		return 0;
	for (size_t i = 0; i < json_array_size(l->advisory_ids); i++) {
		json_t *id = json_array_get(l->advisory_ids, i);
		bool seen = false;
		for (size_t k = 0; k < json_array_size(out) && !seen; k++)
			seen = json_equal(json_array_get(out, k), id);
		/* a copy: the output never shares a reference with a cached body */
		if (!seen && json_array_append_new(out, json_copy(id)) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The quote-dependent checks on parsed, trusted bodies: binding, QE
 * identity, TCB level matching with the TDX module and relaunch check,
 * the statuses converged, the supplemental values completed. */
static int finish(const struct dcap_tcb_info *ti, const struct dcap_qe_identity *qi,
                  const struct dcap_pck_ext *ext, const struct dcap_supplemental *supp,
                  const struct dcap_verify_in *in, struct dcap_verify_out *out, cc_error **err)
{
	const struct dcap_level *qe = NULL;
	struct dcap_match m;
	if (check_binding(ti, ext, in->is_tdx, err) < 0 ||
	    dcap_qe_identity_check(qi, in->qe, in->is_tdx, &qe, err) < 0 ||
	    dcap_tcb_match(ti, in, ext, qe->status, &m, err) < 0)
		return -EACCES;
	enum dcap_status st = dcap_status_converge(m.status, qe->status);
	json_t *ids = json_array();
	if (!ids || add_ids(ids, m.level) < 0 || add_ids(ids, m.module) < 0 || add_ids(ids, qe) < 0) {
		json_decref(ids);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->tcb_status, sizeof(out->tcb_status), "%s", dcap_status_name(st));
	snprintf(out->qe_tcb_status, sizeof(out->qe_tcb_status), "%s", dcap_status_name(qe->status));
	out->advisory_ids = ids;
	out->tcb_date = m.level->tcb_date;
	out->pck = *ext;
	out->supp = *supp;
	int64_t d = m.level->tcb_date;
	if (m.module && m.module->tcb_date < d)
		d = m.module->tcb_date;
	if (qe->tcb_date < d)
		d = qe->tcb_date;
	out->supp.tcb_level_date_tag = d;
	out->supp.tcb_eval_num = qi->tcb_eval_num < ti->tcb_eval_num ? qi->tcb_eval_num : ti->tcb_eval_num;
	return 0;
}

void dcap_prep_free(struct dcap_prep *p)
{
	if (!p)
		return;
	dcap_tcb_info_clear(&p->ti);
	dcap_qe_identity_clear(&p->qi);
	free(p);
}

int64_t dcap_prep_valid_lo(const struct dcap_prep *p)
{
	return p->valid_lo;
}

int64_t dcap_prep_valid_hi(const struct dcap_prep *p)
{
	return p->valid_hi;
}

int dcap_prep_finish(const struct dcap_prep *p, const struct dcap_verify_in *in,
                     struct dcap_verify_out *out, cc_error **err)
{
	return finish(&p->ti, &p->qi, &p->ext, &p->supp, in, out, err);
}

/* Moves what a later call may reuse out of a successful run. */
static int keep(struct run *r, struct dcap_prep **ret, cc_error **err)
{
	struct dcap_prep *p = calloc(1, sizeof(*p));
	if (!p)
		return cc_error_set(err, -ENOMEM, "out of memory");
	p->ti = r->ti;
	p->qi = r->qi;
	memset(&r->ti, 0, sizeof(r->ti));
	memset(&r->qi, 0, sizeof(r->qi));
	p->ext = r->ext;
	p->supp = r->supp;
	p->valid_lo = r->dates.max_lo;
	p->valid_hi = r->dates.min_hi;
	*ret = p;
	return 0;
}

int dcap_verify_run(const dcap_collateral *c, const struct dcap_verify_in *in,
                    struct dcap_verify_out *out, struct dcap_prep **ret_prep, cc_error **err)
{
	if (!c || !in || !out || !in->qe || !in->pck_chain_pem ||
	    (in->is_tdx && (!in->tee_tcb_svn || !in->mr_signer_seam || !in->seam_attributes)))
		return cc_error_set(err, -EINVAL, "dcap_verify: missing input");
	struct run r = {.c = c, .in = in, .at = in->at ? in->at : (int64_t)time(NULL)};
	int rc = check_pck_chain(&r, err);
	if (rc == 0)
		rc = check_signed(&r, "tcb_info signature", c->tcb_info_issuer_chain, c->tcb_info,
		                  c->tcb_info_len, c->tcb_info_sig, err);
	if (rc == 0)
		rc = check_signed(&r, "qe_identity signature", c->qe_identity_issuer_chain, c->qe_identity,
		                  c->qe_identity_len, c->qe_identity_sig, err);
	if (rc == 0)
		rc = check_bodies(&r, err);
	if (rc == 0) {
		r.supp.earliest_issue_date = r.dates.min_lo;
		r.supp.latest_issue_date = r.dates.max_lo;
		r.supp.earliest_expiration_date = r.dates.min_hi;
		rc = finish(&r.ti, &r.qi, &r.ext, &r.supp, in, out, err);
	}
	if (rc == 0 && ret_prep && keep(&r, ret_prep, err) < 0) {
		json_decref(out->advisory_ids);
		out->advisory_ids = NULL;
		rc = -ENOMEM;
	}
	run_clear(&r);
	return rc < 0 ? rc : 0;
}

int dcap_verify(const dcap_collateral *c, const struct dcap_verify_in *in,
                struct dcap_verify_out *out, cc_error **err)
{
	return dcap_verify_run(c, in, out, NULL, err);
}
