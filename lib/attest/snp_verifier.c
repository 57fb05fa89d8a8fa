/* The snp verifier (snp.h, docs/attest-snp.md): evidence -> report and
 * endorsement key -> chain, report signature, chip_id and TCB bindings,
 * VMPL and policy checks, report_data and init_data bindings -> Trustee's
 * claims. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "snp_int.h"

#define KDS_DEFAULT "https://kdsintf.amd.com"

struct snp_verifier {
	attest_verifier base;
	int64_t at;
	char *cache_dir;
	bool allow_fetch;
	char *kds_base;
	uint8_t *vcek; /* --vcek (DER or PEM) */
	size_t vcek_len;
	X509 *chain_ca, *chain_ark; /* --cert-chain */
	struct attest_snp_policy policy;
	uint8_t (*measurements)[48];
	snp_vendor vendors[SNP_N_PRODUCTS + 1]; /* by enum snp_product, loaded at construction */
};

static const attest_verifier_ops snp_ops;

/* ---- the endorsement key ---------------------------------------------- */

typedef struct vek_source {
	const uint8_t *der; /* borrowed or owned (owned != NULL) */
	size_t len;
	uint8_t *owned;
	bool vlek;
	const char *from; /* "the evidence", "--vcek", "the VCEK store" */
} vek_source;

static int find_vek(struct snp_verifier *v, const snp_report *r, const snp_evidence *ev,
                    const uint8_t *vek_der, size_t vek_len, vek_source *ret, cc_error **err)
{
	unsigned signing = (r->key_info >> 2) & 7;
	if (signing != SNP_SIGNING_KEY_VCEK && signing != SNP_SIGNING_KEY_VLEK)
		return cc_error_set(err, -EINVAL,
		                    "report signature: key_info says the report is signed by neither "
		                    "a VCEK nor a VLEK (signing key %u)",
		                    signing);
	memset(ret, 0, sizeof(*ret));
	ret->vlek = signing == SNP_SIGNING_KEY_VLEK;
	const char *want = ret->vlek ? "VLEK" : "VCEK";
	if (vek_der != NULL) {
		ret->der = vek_der;
		ret->len = vek_len;
		ret->from = "the caller";
		return 0;
	}
	if (v->vcek != NULL) {
		ret->der = v->vcek;
		ret->len = v->vcek_len;
		ret->from = "--vcek";
		return 0;
	}
	if (ev != NULL && ev->has_chain) {
		size_t found = 0;
		for (size_t i = 0; i < ev->n_certs; i++) {
			const snp_cert_entry *c = &ev->certs[i];
			if (strcmp(c->type, "VCEK") != 0 && strcmp(c->type, "VLEK") != 0)
				continue;
			found++;
			ret->der = c->data;
			ret->len = c->len;
			if (strcmp(c->type, want) != 0)
				return cc_error_set(err, -EINVAL,
				                    "%s chain: key_info says the report is signed by a "
				                    "%s, the cert_chain holds a %s",
				                    want, want, c->type);
		}
		if (found != 1)
			return cc_error_set(err, -EINVAL,
			                    "%s chain: the cert_chain holds %zu VCEK/VLEK entries "
			                    "(want one)",
			                    want, found);
		ret->from = "the evidence";
		return 0;
	}
	if (ret->vlek)
		return cc_error_set(err, -ENOENT,
		                    "VLEK chain: the evidence has no cert_chain and a VLEK cannot be "
		                    "looked up by chip (give it with --vcek)");
	enum snp_product p = r->product != SNP_PRODUCT_NONE ? r->product : SNP_MILAN;
	int rc = snp_store_vcek(v->cache_dir, v->allow_fetch, v->kds_base, r, p, &ret->owned,
	                        &ret->len, err);
	if (rc < 0)
		return rc;
	ret->der = ret->owned;
	ret->from = "the VCEK store";
	return 0;
}

/* An evidence ARK must be the built-in one; an evidence ASK replaces the
 * built-in ASK (ASVK for a VLEK), as Trustee takes them. */
static int evidence_roots(const snp_evidence *ev, const snp_vendor *vd, const char *what,
                          const char *product, X509 **ret_ca, cc_error **err)
{
	*ret_ca = NULL;
	if (ev == NULL || !ev->has_chain)
		return 0;
	for (size_t i = 0; i < ev->n_certs; i++) {
		const snp_cert_entry *c = &ev->certs[i];
		bool ark = strcmp(c->type, "ARK") == 0, ask = strcmp(c->type, "ASK") == 0;
		if (!ark && !ask)
			continue;
		X509 *x = snp_x509_parse(c->data, c->len);
		if (x == NULL) {
			X509_free(*ret_ca);
			*ret_ca = NULL;
			return cc_error_set(err, -EINVAL, "%s chain: cert_chain[%zu] (%s) is not a "
			                    "certificate", what, i, c->type);
		}
		if (ark) {
			bool same = X509_cmp(x, vd->ark) == 0;
			X509_free(x);
			if (!same) {
				X509_free(*ret_ca);
				*ret_ca = NULL;
				return cc_error_set(err, -EKEYREJECTED,
				                    "%s chain: the cert_chain's ARK is not the built-in "
				                    "%s ARK",
				                    what, product);
			}
		} else {
			X509_free(*ret_ca);
			*ret_ca = x;
		}
	}
	return 0;
}

/* Chain of vek for product p; *ret_ok false (no error) when vek's issuer
 * is not this product's ASK/ASVK and try_only is set (v2 reports). */
static int chain_for_product(struct snp_verifier *v, const snp_evidence *ev, X509 *vek,
                             bool vlek, enum snp_product p, bool try_only, bool *ret_ok,
                             cc_error **err)
{
	const char *what = vlek ? "VLEK" : "VCEK";
	*ret_ok = false;
	const snp_vendor vd = v->vendors[p]; /* read-only: evaluate() may run in many threads */
	int r = 0;
	X509 *ca = vlek ? vd.asvk : vd.ask;
	X509 *ev_ca = NULL;
	X509_CRL *crl = NULL;
	if (v->chain_ark != NULL && X509_cmp(v->chain_ark, vd.ark) != 0) {
		if (!try_only)
			r = cc_error_set(err, -EKEYREJECTED,
			                 "%s chain: the --cert-chain ARK is not the built-in %s ARK", what,
			                 snp_product_name(p));
		goto out;
	}
	if (v->chain_ca != NULL)
		ca = v->chain_ca;
	if ((r = evidence_roots(ev, &vd, what, snp_product_name(p), &ev_ca, err)) < 0)
		goto out;
	if (ev_ca != NULL)
		ca = ev_ca;
	if (try_only && X509_NAME_cmp(X509_get_issuer_name(vek), X509_get_subject_name(ca)) != 0)
		goto out;
	if ((r = snp_store_crl(v->cache_dir, v->allow_fetch, v->kds_base, p, &crl, err)) < 0)
		goto out;
	r = snp_chain_verify(vd.ark, ca, vek, crl, v->at, what, err);
	*ret_ok = r == 0;
out:
	X509_CRL_free(crl);
	X509_free(ev_ca);
	return r;
}

static int verify_chain(struct snp_verifier *v, const snp_report *rep, const snp_evidence *ev,
                        X509 *vek, bool vlek, cc_error **err)
{
	if (rep->product != SNP_PRODUCT_NONE) {
		bool ok;
		return chain_for_product(v, ev, vek, vlek, rep->product, false, &ok, err);
	}
	/* Version 2: no CPUID fields; the product whose ASK issued the VEK. */
	static const enum snp_product v2[] = {SNP_MILAN, SNP_GENOA};
	for (size_t i = 0; i < sizeof(v2) / sizeof(v2[0]); i++) {
		bool ok = false;
		int r = chain_for_product(v, ev, vek, vlek, v2[i], true, &ok, err);
		if (r < 0 || ok)
			return r;
	}
	char issuer[256] = "";
	X509_NAME_oneline(X509_get_issuer_name(vek), issuer, (int)sizeof(issuer));
	return cc_error_set(err, -EKEYREJECTED,
	                    "%s chain: the issuer %s is none of the built-in Milan or Genoa %s",
	                    vlek ? "VLEK" : "VCEK", issuer, vlek ? "ASVKs" : "ASKs");
}

/* ---- bindings and policy ---------------------------------------------- */

int snp_check_bindings(const snp_report *r, X509 *vek, bool vlek, cc_error **err)
{
	snp_vek_ext x;
	int rc = snp_vek_extensions(vek, &x, err);
	if (rc < 0)
		return rc;
	if (!vlek) {
		/* Unlike Trustee (CN == "VCEK" never matches "SEV-VCEK"), always.
		 * Turin's KDS hwID is chip_id's first 8 bytes; a Turin VCEK
		 * may carry those 8 or all 64. */
		size_t want = r->product == SNP_TURIN && x.hwid_len == 8 ? 8 : 64;
		if (!x.has_hwid)
			return cc_error_set(err, -EKEYREJECTED, "chip_id binding: the VCEK has no hwID");
		if (x.hwid_len != want)
			return cc_error_set(err, -EKEYREJECTED,
			                    "chip_id binding: the VCEK's hwID is %zu bytes (want %zu)",
			                    x.hwid_len, want);
		if (memcmp(x.hwid, r->chip_id, want) != 0)
			return cc_error_set(err, -EKEYREJECTED,
			                    "chip_id binding: the VCEK's hwID is not the report's chip_id");
	}
	const snp_tcb *t = &r->reported_tcb;
	const char *what = vlek ? "VLEK" : "VCEK";
#define TCB_EQ(ext, field, name)                                                            \
	if ((ext) != t->field)                                                              \
		return cc_error_set(err, -EKEYREJECTED,                                     \
		                    "TCB binding: the %s's %s is %u, reported_tcb." #field " is %u", \
		                    what, name, (unsigned)(ext), (unsigned)t->field);
	TCB_EQ(x.ucode, microcode, "ucodeSPL")
	TCB_EQ(x.snp, snp, "snpSPL")
	TCB_EQ(x.tee, tee, "teeSPL")
	TCB_EQ(x.bl, bootloader, "blSPL")
	if (t->has_fmc) {
		if (!x.has_fmc)
			return cc_error_set(err, -EKEYREJECTED,
			                    "TCB binding: the %s has no fmcSPL for a Turin report", what);
		TCB_EQ(x.fmc, fmc, "fmcSPL")
	}
#undef TCB_EQ
	return 0;
}

static int check_policy(const struct snp_verifier *v, const snp_report *r, cc_error **err)
{
	const struct attest_snp_policy *p = &v->policy;
	if (r->vmpl > (uint32_t)p->vmpl_max)
		return cc_error_set(err, -EPERM, "VMPL: the report's vmpl %u is above %d", r->vmpl,
		                    p->vmpl_max);
	if (p->refuse_debug && (r->policy >> 19 & 1))
		return cc_error_set(err, -EPERM, "debug policy: the guest policy allows debugging");
	if (p->refuse_migration_agent && (r->policy >> 18 & 1))
		return cc_error_set(err, -EPERM,
		                    "migration agent: the guest policy allows a migration agent");
	if (p->refuse_smt && (r->plat_info & 1))
		return cc_error_set(err, -EPERM, "SMT: the platform has SMT enabled");
	if (p->check_min_tcb) {
		const snp_tcb *t = &r->reported_tcb;
#define TCB_MIN(field, min)                                                                 \
	if (t->field < (min))                                                               \
		return cc_error_set(err, -EPERM,                                            \
		                    "TCB below minimum: reported_tcb." #field " %u < %u",     \
		                    (unsigned)t->field, (unsigned)(min));
		TCB_MIN(bootloader, p->min_bootloader)
		TCB_MIN(tee, p->min_tee)
		TCB_MIN(snp, p->min_snp)
		TCB_MIN(microcode, p->min_microcode)
		if (t->has_fmc)
			TCB_MIN(fmc, p->min_fmc)
#undef TCB_MIN
	}
	if (p->n_measurements > 0) {
		size_t i = 0;
		while (i < p->n_measurements && memcmp(v->measurements[i], r->measurement, 48) != 0)
			i++;
		if (i == p->n_measurements)
			return cc_error_set(err, -EPERM,
			                    "measurement: the launch measurement is none of the %zu "
			                    "expected",
			                    p->n_measurements);
	}
	return 0;
}

static int check_data(const snp_report *r, const uint8_t *rd, size_t rd_len, const uint8_t *id,
                      size_t id_len, cc_error **err)
{
	if (rd != NULL) {
		uint8_t want[64] = {0};
		if (rd_len > sizeof(want))
			return cc_error_set(err, -EINVAL,
			                    "report_data mismatch: %zu bytes expected, more than the "
			                    "report's 64",
			                    rd_len);
		memcpy(want, rd, rd_len);
		if (memcmp(want, r->report_data, sizeof(want)) != 0)
			return cc_error_set(err, -EPERM,
			                    "report_data mismatch: the report's report_data is not the "
			                    "expected %zu bytes zero-padded to 64",
			                    rd_len);
	}
	if (id != NULL) {
		/* Trustee's regularize_data: zero-padded or truncated to 32. */
		uint8_t want[32] = {0};
		memcpy(want, id, id_len < sizeof(want) ? id_len : sizeof(want));
		if (memcmp(want, r->host_data, sizeof(want)) != 0)
			return cc_error_set(err, -EPERM,
			                    "init_data mismatch: the report's host_data is not the "
			                    "init-data digest");
	}
	return 0;
}

/* ---- the whole verification ------------------------------------------- */

static int verify(struct snp_verifier *v, const snp_report *rep, const snp_evidence *ev,
                  const uint8_t *vek_der, size_t vek_len, const uint8_t *rd, size_t rd_len,
                  const uint8_t *id, size_t id_len, json_t **ret_claims, cc_error **err)
{
	vek_source src;
	int r = find_vek(v, rep, ev, vek_der, vek_len, &src, err);
	if (r < 0)
		return r;
	const char *what = src.vlek ? "VLEK" : "VCEK";
	X509 *vek = snp_x509_parse(src.der, src.len);
	if (vek == NULL)
		r = cc_error_set(err, -EINVAL, "%s chain: the %s from %s is not a certificate", what,
		                 what, src.from);
	if (r == 0)
		r = verify_chain(v, rep, ev, vek, src.vlek, err);
	if (r == 0)
		r = snp_report_verify_sig(rep, vek, err);
	if (r == 0)
		r = snp_check_bindings(rep, vek, src.vlek, err);
	if (r == 0)
		r = check_policy(v, rep, err);
	if (r == 0)
		r = check_data(rep, rd, rd_len, id, id_len, err);
	json_t *claims = NULL;
	if (r == 0 && (claims = snp_claims(rep)) == NULL)
		r = cc_error_set(err, -ENOMEM, "snp claims: out of memory");
	X509_free(vek);
	free(src.owned);
	if (r == 0)
		*ret_claims = claims;
	return r;
}

static int snp_evaluate(attest_verifier *base, const json_t *evidence, const uint8_t *rd,
                        size_t rd_len, const uint8_t *id, size_t id_len, json_t **ret_claims,
                        cc_error **err)
{
	struct snp_verifier *v = (struct snp_verifier *)base;
	snp_evidence *ev = NULL;
	int r = snp_evidence_parse(evidence, &ev, err);
	if (r < 0)
		return r;
	r = verify(v, &ev->report, ev, NULL, 0, rd, rd_len, id, id_len, ret_claims, err);
	snp_evidence_free(ev);
	return r;
}

int snp_verify_report(attest_verifier *snp, const uint8_t *report, size_t len,
                      const uint8_t *vcek_der, size_t vcek_len, const uint8_t *report_data,
                      size_t report_data_len, json_t **ret_claims, cc_error **err)
{
	if (snp == NULL || snp->ops != &snp_ops)
		return cc_error_set(err, -EINVAL, "snp_verify_report: not an snp verifier");
	snp_report *rep = malloc(sizeof(*rep));
	if (rep == NULL)
		return cc_error_set(err, -ENOMEM, "snp report: out of memory");
	int r = snp_report_parse(report, len, rep, err);
	if (r == 0)
		r = verify((struct snp_verifier *)snp, rep, NULL, vcek_der, vcek_len, report_data,
		           report_data_len, NULL, 0, ret_claims, err);
	free(rep);
	return r;
}

static int snp_wrap_raw(attest_verifier *base, const uint8_t *raw, size_t len,
                        json_t **ret_evidence, cc_error **err)
{
	(void)base;
	snp_report *rep = malloc(sizeof(*rep));
	if (rep == NULL)
		return cc_error_set(err, -ENOMEM, "snp report: out of memory");
	int r = snp_report_parse(raw, len, rep, err);
	json_t *ev = NULL;
	if (r == 0) {
		ev = json_pack("{s:o,s:n}", "attestation_report", snp_report_to_json(rep),
		               "cert_chain");
		if (ev == NULL)
			r = cc_error_set(err, -ENOMEM, "snp evidence: out of memory");
	}
	free(rep);
	if (r == 0)
		*ret_evidence = ev;
	return r;
}

static void snp_free(attest_verifier *base)
{
	struct snp_verifier *v = (struct snp_verifier *)base;
	free(v->cache_dir);
	free(v->kds_base);
	free(v->vcek);
	X509_free(v->chain_ca);
	X509_free(v->chain_ark);
	free(v->measurements);
	for (size_t i = 0; i <= SNP_N_PRODUCTS; i++)
		snp_vendor_clear(&v->vendors[i]);
	free(v);
}

int snp_verifier_set_roots(attest_verifier *base, enum snp_product p, const char *pem,
                           cc_error **err)
{
	if (base == NULL || base->ops != &snp_ops || p == SNP_PRODUCT_NONE)
		return cc_error_set(err, -EINVAL, "snp_verifier_set_roots: bad arguments");
	struct snp_verifier *v = (struct snp_verifier *)base;
	snp_vendor vd;
	int r = snp_vendor_load(p, pem, &vd, err);
	if (r < 0)
		return r;
	snp_vendor_clear(&v->vendors[p]);
	v->vendors[p] = vd;
	return 0;
}

static const attest_verifier_ops snp_ops = {
	.tee = "snp",
	.tee_class = "cpu",
	.evaluate = snp_evaluate,
	.wrap_raw = snp_wrap_raw,
	.free = snp_free,
};

/* --cert-chain: ASK (or ASVK) then ARK, PEM, nothing else. */
static int read_cert_chain(struct snp_verifier *v, const char *path, cc_error **err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r = snp_read_file(path, &data, &len, err);
	if (r == -ENOENT)
		return cc_error_set(err, r, "%s: no such file", path);
	if (r < 0)
		return r;
	BIO *b = BIO_new_mem_buf(data, (int)len);
	if (b == NULL) {
		free(data);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	v->chain_ca = PEM_read_bio_X509(b, NULL, NULL, NULL);
	v->chain_ark = PEM_read_bio_X509(b, NULL, NULL, NULL);
	X509 *extra = v->chain_ark != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	free(data);
	ERR_clear_error();
	if (v->chain_ca == NULL || v->chain_ark == NULL || extra != NULL) {
		X509_free(extra);
		return cc_error_set(err, -EINVAL,
		                    "%s: want two PEM certificates, the ASK (or ASVK) then the ARK",
		                    path);
	}
	return 0;
}

int snp_verifier_new(const attest_verifier_opts *o, attest_verifier **ret, cc_error **err)
{
	struct snp_verifier *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return cc_error_set(err, -ENOMEM, "snp verifier: out of memory");
	v->base.ops = &snp_ops;
	v->at = o->at;
	v->allow_fetch = o->allow_fetch != 0;
	const char *kds = getenv("COCOON_SNP_KDS_URL");
	v->kds_base = strdup(kds != NULL && kds[0] != '\0' ? kds : KDS_DEFAULT);
	int r = v->kds_base == NULL ? cc_error_set(err, -ENOMEM, "out of memory") : 0;
	if (r == 0 && v->kds_base[0] != '\0' && v->kds_base[strlen(v->kds_base) - 1] == '/')
		v->kds_base[strlen(v->kds_base) - 1] = '\0';
	if (r == 0 && o->cache_dir != NULL && (v->cache_dir = strdup(o->cache_dir)) == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r == 0 && o->vcek != NULL) {
		r = snp_read_file(o->vcek, &v->vcek, &v->vcek_len, err);
		if (r == -ENOENT)
			r = cc_error_set(err, r, "%s: no such file", o->vcek);
	}
	if (r == 0 && o->cert_chain != NULL)
		r = read_cert_chain(v, o->cert_chain, err);
	for (enum snp_product p = SNP_MILAN; r == 0 && p <= SNP_TURIN; p++)
		r = snp_vendor_load(p, NULL, &v->vendors[p], err);
	if (r == 0 && o->snp != NULL) {
		v->policy = *o->snp;
		if (v->policy.vmpl_max < 0 || v->policy.vmpl_max > 3)
			v->policy.vmpl_max = 3;
		if (v->policy.n_measurements > 0) {
			v->measurements = calloc(v->policy.n_measurements, 48);
			if (v->measurements == NULL)
				r = cc_error_set(err, -ENOMEM, "out of memory");
			else
				memcpy(v->measurements, o->snp->measurements,
				       v->policy.n_measurements * 48);
		}
		v->policy.measurements = NULL;
	}
	if (r < 0) {
		snp_free(&v->base);
		return r;
	}
	*ret = &v->base;
	return 0;
}
