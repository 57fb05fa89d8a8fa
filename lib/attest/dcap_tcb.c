/* Intel's QVL checks that read the signed bodies: the QE identity
 * (EnclaveIdentityV2: MISCSELECT and ATTRIBUTES under their masks,
 * MRSIGNER, ISVPRODID, ISVSVN → QE TCB level), the TCB level matching
 * (first level in the listed order whose every SGX component and PCESVN
 * is ≤ the PCK certificate's and, for TDX, whose TDX components are ≤
 * TEE_TCB_SVN's, the first two skipped when TEE_TCB_SVN[1] > 0), the TDX
 * module check (tdxModule, or tdxModuleIdentities["TDX_%02X"] with its own
 * levels when the module's major version TEE_TCB_SVN[1] > 0) and the
 * convergence of the statuses, and for TD 1.5 quotes the TD relaunch check
 * (TDRelaunchAdvised*, QVL's TDRelaunchCheck.cpp). Component comparisons
 * are per component, as Intel's (dcap-qvl compares the arrays
 * lexicographically). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dcap_int.h"

enum dcap_status dcap_status_converge(enum dcap_status platform, enum dcap_status other)
{
	if (other == DCAP_REVOKED)
		return DCAP_REVOKED;
	if (other != DCAP_OUT_OF_DATE)
		return platform;
	if (platform == DCAP_UP_TO_DATE || platform == DCAP_SW_HARDENING_NEEDED)
		return DCAP_OUT_OF_DATE;
	if (platform == DCAP_CONFIGURATION_NEEDED || platform == DCAP_CONFIGURATION_AND_SW_HARDENING_NEEDED)
		return DCAP_OUT_OF_DATE_CONFIGURATION_NEEDED;
	return platform;
}

/* The first identity level whose isvsvn ≤ svn; NULL if none. */
static const struct dcap_level *identity_level(const struct dcap_levels *l, uint16_t svn)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].isvsvn <= svn)
			return &l->v[i];
	return NULL;
}

int dcap_qe_identity_check(const struct dcap_qe_identity *q, const struct dcap_qe_report *qe,
                           int is_tdx, const struct dcap_level **ret_level, cc_error **err)
{
	const char *want = is_tdx ? "TD_QE" : "QE";
	if (strcmp(q->id, want) != 0 || q->version != 2)
		return cc_error_set(err, -EINVAL, "QE identity: id \"%s\" version %d, want \"%s\" version 2",
		                    q->id, q->version, want);
	if ((qe->miscselect & q->miscselect_mask) != q->miscselect)
		return cc_error_set(err, -EACCES, "QE identity: MISCSELECT %08x under mask %08x is not %08x",
		                    qe->miscselect, q->miscselect_mask, q->miscselect);
	for (size_t i = 0; i < 16; i++)
		if ((qe->attributes[i] & q->attributes_mask[i]) != q->attributes[i])
			return cc_error_set(err, -EACCES, "QE identity: ATTRIBUTES byte %zu under its mask differs", i);
	if (memcmp(qe->mrsigner, q->mrsigner, 32) != 0)
		return cc_error_set(err, -EACCES, "QE identity: MRSIGNER is not the identity's");
	if (qe->isvprodid != q->isvprodid)
		return cc_error_set(err, -EACCES, "QE identity: ISVPRODID %u is not %u", qe->isvprodid,
		                    q->isvprodid);
	const struct dcap_level *l = identity_level(&q->levels, qe->isvsvn);
	if (!l || l->status == DCAP_REVOKED)
		return cc_error_set(err, -EACCES, "QE identity: ISVSVN %u is %s", qe->isvsvn,
		                    l ? "at a Revoked level" : "below every QE TCB level");
	*ret_level = l;
	return 0;
}

static bool sgx_ok(const struct dcap_level *l, const struct dcap_pck_ext *pck)
{
	for (int i = 0; i < DCAP_SVN_COUNT; i++)
		if (pck->cpusvn[i] < l->sgx[i])
			return false;
	return pck->pcesvn >= l->pcesvn;
}

static bool tdx_ok(const struct dcap_level *l, const uint8_t *tee_tcb_svn)
{
	int start = tee_tcb_svn[1] > 0 ? 2 : 0;
	for (int i = start; i < DCAP_SVN_COUNT; i++)
		if (tee_tcb_svn[i] < l->tdx[i])
			return false;
	return true;
}

static bool masked_equal(const uint8_t *v, const uint8_t *want, const uint8_t *mask, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((v[i] & mask[i]) != want[i])
			return false;
	return true;
}

static bool config_needed(enum dcap_status s)
{
	return s == DCAP_CONFIGURATION_NEEDED || s == DCAP_OUT_OF_DATE_CONFIGURATION_NEEDED ||
	       s == DCAP_CONFIGURATION_AND_SW_HARDENING_NEEDED ||
	       s == DCAP_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
}

static const struct dcap_module_identity *find_module(const struct dcap_tcb_info *t, uint8_t version)
{
	char id[8];
	snprintf(id, sizeof(id), "TDX_%02X", version);
	for (size_t i = 0; i < t->n_modules; i++)
		if (strcasecmp(t->modules[i].id, id) == 0)
			return &t->modules[i];
	return NULL;
}

/* The TDX module check; *ret_level the module identity's level, or NULL
 * for a version-0 module (tdxModule, no levels of its own). */
static int module_check(const struct dcap_tcb_info *t, const struct dcap_verify_in *in,
                        const struct dcap_level **ret_level, cc_error **err)
{
	uint8_t version = in->tee_tcb_svn[1];
	const uint8_t *signer = t->module_mrsigner, *attr = t->module_attributes,
	              *mask = t->module_attributes_mask;
	const struct dcap_module_identity *mi = NULL;
	if (version > 0) {
		if (!(mi = find_module(t, version)))
			return cc_error_set(err, -EACCES, "TDX module identity: tcb_info has no TDX_%02X",
			                    version);
		signer = mi->mrsigner;
		attr = mi->attributes;
		mask = mi->attributes_mask;
	} else if (!t->has_tdx_module) {
		return cc_error_set(err, -EINVAL, "TDX module identity: tcb_info has no tdxModule");
	}
	if (memcmp(in->mr_signer_seam, signer, 48) != 0)
		return cc_error_set(err, -EACCES, "TDX module identity: MRSIGNERSEAM is not the module's");
	if (!masked_equal(in->seam_attributes, attr, mask, 8))
		return cc_error_set(err, -EACCES, "TDX module identity: SEAMATTRIBUTES under the mask differ");
	*ret_level = NULL;
	if (mi) {
		const struct dcap_level *l = identity_level(&mi->levels, in->tee_tcb_svn[0]);
		if (!l)
			return cc_error_set(err, -EACCES, "no matching TCB level: TDX module %s SVN %u is below every level",
			                    mi->id, in->tee_tcb_svn[0]);
		if (l->status == DCAP_REVOKED)
			return cc_error_set(err, -EACCES, "TCB revoked: TDX module %s SVN %u", mi->id,
			                    in->tee_tcb_svn[0]);
		*ret_level = l;
	}
	return 0;
}

int dcap_relaunch_check(const struct dcap_tcb_info *t, const uint8_t svn2[16],
                        enum dcap_status sgx_status, enum dcap_status tdx_status,
                        enum dcap_status module_status, enum dcap_status qe_status,
                        enum dcap_status *ret, cc_error **err)
{
	*ret = tdx_status;
	if (qe_status == DCAP_OUT_OF_DATE || qe_status == DCAP_REVOKED)
		return 0;
	if (sgx_status != DCAP_UP_TO_DATE && sgx_status != DCAP_SW_HARDENING_NEEDED &&
	    sgx_status != DCAP_CONFIGURATION_NEEDED &&
	    sgx_status != DCAP_CONFIGURATION_AND_SW_HARDENING_NEEDED)
		return 0;
	if ((tdx_status != DCAP_OUT_OF_DATE && tdx_status != DCAP_OUT_OF_DATE_CONFIGURATION_NEEDED) ||
	    module_status != DCAP_OUT_OF_DATE || t->levels.n == 0)
		return 0;
	/* the latest level: the first listed (Intel lists them newest first) */
	const struct dcap_level *latest = &t->levels.v[0];
	uint8_t want_minor = latest->tdx[0];
	if (svn2[1] != 0) {
		const struct dcap_module_identity *mi = find_module(t, svn2[1]);
		if (!mi)
			return cc_error_set(err, -EACCES,
			                    "TDX module identity: tcb_info has no TDX_%02X for TEE_TCB_SVN2",
			                    svn2[1]);
		if (mi->levels.n == 0 || mi->levels.v[0].isvsvn > 255)
			return 0;
		want_minor = (uint8_t)mi->levels.v[0].isvsvn;
	}
	if (svn2[0] >= want_minor && svn2[2] >= latest->tdx[2])
		*ret = config_needed(sgx_status) || config_needed(tdx_status)
		               ? DCAP_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED
		               : DCAP_TD_RELAUNCH_ADVISED;
	return 0;
}

int dcap_tcb_match(const struct dcap_tcb_info *t, const struct dcap_verify_in *in,
                   const struct dcap_pck_ext *pck, enum dcap_status qe_status,
                   struct dcap_match *ret, cc_error **err)
{
	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < t->levels.n && !ret->level; i++) {
		const struct dcap_level *c = &t->levels.v[i];
		if (!sgx_ok(c, pck))
			continue;
		if (!ret->sgx)
			ret->sgx = c;
		if (!in->is_tdx || tdx_ok(c, in->tee_tcb_svn))
			ret->level = c;
	}
	if (!ret->level)
		return cc_error_set(err, -EACCES,
		                    "no matching TCB level: the platform's SVNs are below every tcb_info level");
	if (ret->level->status == DCAP_REVOKED)
		return cc_error_set(err, -EACCES, "TCB revoked: the matching tcb_info level is Revoked");
	ret->status = ret->level->status;
	if (!in->is_tdx)
		return 0;
	if (module_check(t, in, &ret->module, err) < 0)
		return -EACCES;
	enum dcap_status module_status = ret->module ? ret->module->status : DCAP_UP_TO_DATE;
	ret->status = dcap_status_converge(ret->status, module_status);
	if (in->tee_tcb_svn2 &&
	    dcap_relaunch_check(t, in->tee_tcb_svn2, ret->sgx->status, ret->status, module_status,
	                        qe_status, &ret->status, err) < 0)
		return -EACCES;
	return 0;
}
