/* dcap_verify: the collateral-side checks in Intel QVL's order
 * (docs/attest-tdx.md "Collateral checks"): pinned root, PCK chain with
 * both CRLs, TCB info and QE identity signatures over their exact texts,
 * the collateral windows, the TCB info's id, version, FMSPC and PCEID
 * against the PCK certificate, the QE identity, the TCB level matching
 * with the TDX module, and the statuses converged as QVL does. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dcap_int.h"

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
	bool tdx = strcmp(r->ti.id, "TDX") == 0;
	if (r->in->is_tdx ? !tdx || r->ti.version != 3
	                  : tdx || (r->ti.version != 2 && r->ti.version != 3))
		return cc_error_set(err, -EACCES, "tcb_info binding: tcb_info %s version %d is not for %s quotes",
		                    r->ti.id, r->ti.version, r->in->is_tdx ? "TDX (TDX v3)" : "SGX (SGX v2/v3)");
	if (memcmp(r->ti.fmspc, r->ext.fmspc, 6) != 0)
		return cc_error_set(err, -EACCES,
		                    "tcb_info binding: tcb_info FMSPC %02x%02x%02x%02x%02x%02x is not the PCK certificate's %02x%02x%02x%02x%02x%02x",
		                    r->ti.fmspc[0], r->ti.fmspc[1], r->ti.fmspc[2], r->ti.fmspc[3], r->ti.fmspc[4],
		                    r->ti.fmspc[5], r->ext.fmspc[0], r->ext.fmspc[1], r->ext.fmspc[2],
		                    r->ext.fmspc[3], r->ext.fmspc[4], r->ext.fmspc[5]);
	if (memcmp(r->ti.pceid, r->ext.pceid, 2) != 0)
		return cc_error_set(err, -EACCES, "tcb_info binding: tcb_info PCEID %02x%02x is not the PCK certificate's %02x%02x",
		                    r->ti.pceid[0], r->ti.pceid[1], r->ext.pceid[0], r->ext.pceid[1]);
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
		if (!seen && json_array_append(out, id) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int finish(struct run *r, struct dcap_verify_out *out, cc_error **err)
{
	const struct dcap_level *qe = NULL, *plat = NULL, *mod = NULL;
	if (dcap_qe_identity_check(&r->qi, r->in->qe, r->in->is_tdx, &qe, err) < 0 ||
	    dcap_tcb_match(&r->ti, r->in, &r->ext, &plat, &mod, err) < 0)
		return -EACCES;
	enum dcap_status st = plat->status;
	if (mod)
		st = dcap_status_converge(st, mod->status);
	st = dcap_status_converge(st, qe->status);
	json_t *ids = json_array();
	if (!ids || add_ids(ids, plat) < 0 || add_ids(ids, mod) < 0 || add_ids(ids, qe) < 0) {
		json_decref(ids);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->tcb_status, sizeof(out->tcb_status), "%s", dcap_status_name(st));
	snprintf(out->qe_tcb_status, sizeof(out->qe_tcb_status), "%s", dcap_status_name(qe->status));
	out->advisory_ids = ids;
	out->tcb_date = plat->tcb_date;
	out->pck = r->ext;
	return 0;
}

int dcap_verify(const dcap_collateral *c, const struct dcap_verify_in *in,
                struct dcap_verify_out *out, cc_error **err)
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
	if (rc == 0)
		rc = finish(&r, out, err);
	run_clear(&r);
	return rc < 0 ? rc : 0;
}
