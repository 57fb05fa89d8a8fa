/* attestation_agent.AttestationAgentService (aa.h, docs/aa.md "API"). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "aa.h"
#include "aael_writer.h"
#include "attestation-agent.pb-c.h"
#include "cocoon/buf.h"
#include "jose_util.h"
#include "kbs_session.h"

#define AA_ERR "[ERROR:attestation-agent] "

/* The sample TEE's registers: SHA-384, in memory, zero at start (cocoon's;
 * the sample attester has no hardware to extend). */
#define SOFT_REGS 64u
struct soft_regs {
	uint8_t v[SOFT_REGS][48];
};

struct aa {
	attest_attester *attester;
	kbs_session *kbs; /* NULL: no [token_configs.kbs] */
	bool has_coco_as;
	bool eventlog;    /* enable_eventlog */
	pthread_mutex_t ael_lock;
	aael_writer *ael; /* NULL: eventlog off, or the TEE has no register */
	struct soft_regs *soft;
};

static uint32_t soft_mr_index(unsigned pcr)
{
	return aael_tdx_pcr_to_ccmr(pcr);
}

static int soft_read(void *ctx, unsigned pcr, uint8_t *out, size_t len, cc_error **err)
{
	struct soft_regs *s = ctx;
	if (pcr >= SOFT_REGS || len != 48)
		return cc_error_set(err, -EINVAL, "sample register %u: no such register", pcr);
	memcpy(out, s->v[pcr], 48);
	return 0;
}

static int soft_extend(void *ctx, unsigned pcr, const uint8_t *digest, size_t len,
                       cc_error **err)
{
	struct soft_regs *s = ctx;
	if (pcr >= SOFT_REGS || len != 48)
		return cc_error_set(err, -EINVAL, "sample register %u: no such register", pcr);
	uint8_t buf[96];
	memcpy(buf, s->v[pcr], 48);
	memcpy(buf + 48, digest, 48);
	unsigned n = 0;
	if (EVP_Digest(buf, sizeof(buf), s->v[pcr], &n, EVP_sha384(), NULL) != 1)
		return cc_error_set(err, -EIO, "sample register %u: SHA-384 failed", pcr);
	return 0;
}

static const aael_register soft_register = {
    .alg = 0x000C,
    .mr_index = soft_mr_index,
    .read = soft_read,
    .extend = soft_extend,
};

static int open_eventlog(aa *a, const struct aa_opts *o, cc_error **err)
{
	const char *tee = attest_attester_tee(a->attester);
	const aael_register *reg = NULL;
	void *ctx = NULL;
	if (strcmp(tee, "tdx") == 0) {
		reg = &aael_tdx_rtmr;
	} else if (strcmp(tee, "tpm") == 0) {
		reg = &aael_tpm_pcr;
	} else if (strcmp(tee, "sample") == 0) {
		a->soft = calloc(1, sizeof(*a->soft));
		if (a->soft == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		reg = &soft_register;
		ctx = a->soft;
	} else {
		return 0; /* no register: ExtendRuntimeMeasurement answers NOT_SUPPORTED */
	}
	aael_writer_opts wo = {
	    .dir = o->eventlog_dir,
	    .init_pcr = o->config->init_pcr,
	    .reg = reg,
	    .reg_ctx = ctx,
	};
	return aael_writer_open(&wo, &a->ael, err);
}

int aa_new(const struct aa_opts *o, aa **ret, cc_error **err)
{
	aa *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		attest_attester_free(o->attester);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	pthread_mutex_init(&a->ael_lock, NULL);
	a->attester = o->attester;
	a->eventlog = o->config->enable_eventlog;
	a->has_coco_as = o->config->coco_as_url != NULL;
	int r = 0;
	if (o->config->kbs_url != NULL) {
		struct kbs_session_opts so = {
		    .url = o->config->kbs_url,
		    .ca_pem = o->config->kbs_cert,
		    .ca_pem_len = o->config->kbs_cert ? strlen(o->config->kbs_cert) : 0,
		    .attester = a->attester,
		    .tee_key_algorithm = o->config->tee_key_algorithm,
		    .init_data = o->init_data,
		    .init_data_len = o->init_data_len,
		};
		r = kbs_session_new(&so, &a->kbs, err);
		if (r < 0)
			cc_error_wrap(err, "token_configs.kbs");
	}
	if (r >= 0 && a->eventlog)
		r = open_eventlog(a, o, err);
	if (r < 0) {
		aa_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

void aa_free(aa *a)
{
	if (a == NULL)
		return;
	kbs_session_free(a->kbs);
	aael_writer_free(a->ael);
	free(a->soft);
	attest_attester_free(a->attester);
	pthread_mutex_destroy(&a->ael_lock);
	free(a);
}

unsigned long aa_rcars(const aa *a)
{
	return a->kbs != NULL ? (unsigned long)kbs_session_rcars(a->kbs) : 0;
}

/* ---- handlers ----------------------------------------------------------- */

static int internal(ttrpc_call *call, int r, cc_error **err, const char *what)
{
	cc_error *inner = *err;
	*err = NULL;
	ttrpc_call_set_code(call, TTRPC_INTERNAL);
	cc_error_set(err, r < 0 ? r : -EIO, AA_ERR "%s: %s", what,
	             inner != NULL ? cc_error_message(inner) : "failed");
	cc_error_free(inner);
	return r < 0 ? r : -EIO;
}

static int evidence_reply(ttrpc_call *call, const char *ev, size_t len, cc_error **err)
{
	AttestationAgent__GetEvidenceResponse resp = ATTESTATION_AGENT__GET_EVIDENCE_RESPONSE__INIT;
	resp.has_evidence = len > 0;
	resp.evidence.data = (uint8_t *)ev;
	resp.evidence.len = len;
	return ttrpc_call_reply_pb(call, &resp.base, err);
}

static int get_evidence(ttrpc_call *call, void *ud, cc_error **err)
{
	aa *a = ud;
	ProtobufCMessage *m = NULL;
	int r = ttrpc_call_unpack(call, &attestation_agent__get_evidence_request__descriptor, &m, err);
	if (r < 0)
		return r;
	AttestationAgent__GetEvidenceRequest *req = (AttestationAgent__GetEvidenceRequest *)m;
	char *ev = NULL;
	r = attest_attester_get_evidence(a->attester, req->runtimedata.data, req->runtimedata.len,
	                                 &ev, err);
	if (r < 0)
		return internal(call, r, err, "get evidence failed");
	r = evidence_reply(call, ev, strlen(ev), err);
	free(ev);
	return r;
}

static int get_additional_evidence(ttrpc_call *call, void *ud, cc_error **err)
{
	ProtobufCMessage *m = NULL;
	int r = ttrpc_call_unpack(call, &attestation_agent__get_additional_evidence_request__descriptor,
	                          &m, err);
	if (r < 0)
		return r;
	/* no additional devices are attested yet: empty bytes, as upstream
	 * answers when it detects none */
	return evidence_reply(call, "", 0, err);
}

/* The private key as guest-components hands it out: PKCS#8 PEM for EC,
 * PKCS#1 PEM for RSA. malloc'd; free with cj_free_secret. */
static char *key_pem(const cj_jwk *k, size_t *ret_len)
{
	BIO *b = BIO_new(BIO_s_secmem());
	if (b == NULL)
		return NULL;
	EVP_PKEY *p = cj_jwk_pkey(k);
	int ok = cj_jwk_kty(k) == CJ_KTY_RSA
	             ? PEM_write_bio_PrivateKey_traditional(b, p, NULL, NULL, 0, NULL, NULL)
	             : PEM_write_bio_PrivateKey(b, p, NULL, NULL, 0, NULL, NULL);
	char *out = NULL;
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);
	if (ok == 1 && n > 0 && (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
		*ret_len = (size_t)n;
	}
	BIO_free(b);
	return out;
}

static int get_token(ttrpc_call *call, void *ud, cc_error **err)
{
	aa *a = ud;
	ProtobufCMessage *m = NULL;
	int r = ttrpc_call_unpack(call, &attestation_agent__get_token_request__descriptor, &m, err);
	if (r < 0)
		return r;
	const char *type = ((AttestationAgent__GetTokenRequest *)m)->tokentype;
	if (type == NULL)
		type = "";
	if (strcmp(type, "coco_as") == 0) {
		ttrpc_call_set_code(call, TTRPC_INTERNAL);
		return cc_error_set(err, -ENOTSUP,
		                    AA_ERR "get token failed: token type coco_as is not supported by "
		                           "cocoon-aa (use kbs)");
	}
	if (strcmp(type, "kbs") != 0) {
		ttrpc_call_set_code(call, TTRPC_INTERNAL);
		return cc_error_set(err, -EINVAL, AA_ERR "get token failed: unsupported token type %.64s",
		                    type);
	}
	if (a->kbs == NULL) {
		ttrpc_call_set_code(call, TTRPC_INTERNAL);
		return cc_error_set(err, -ENOENT,
		                    AA_ERR "get token failed: no [token_configs.kbs] in the config");
	}
	char *tok = NULL;
	r = kbs_session_token(a->kbs, &tok, err);
	if (r < 0)
		return internal(call, r, err, "AA-KBC get token failed");
	size_t pem_len = 0;
	char *pem = key_pem(kbs_session_tee_key(a->kbs), &pem_len);
	json_t *j = pem != NULL ? json_pack("{s:s, s:s}", "token", tok, "tee_keypair", pem) : NULL;
	char *text = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (text == NULL) {
		r = cc_error_set(err, -ENOMEM, "out of memory");
	} else {
		AttestationAgent__GetTokenResponse resp = ATTESTATION_AGENT__GET_TOKEN_RESPONSE__INIT;
		resp.has_token = true;
		resp.token.data = (uint8_t *)text;
		resp.token.len = strlen(text);
		r = ttrpc_call_reply_pb(call, &resp.base, err);
	}
	/* the JSON tree holds copies of the token and key: wipe its text */
	if (text != NULL)
		cj_free_secret(text, strlen(text));
	json_decref(j);
	cj_free_secret(pem, pem_len);
	cj_free_secret(tok, strlen(tok));
	return r;
}

static int measurement_reply(ttrpc_call *call, AttestationAgent__RuntimeMeasurementResult res,
                             cc_error **err)
{
	AttestationAgent__ExtendRuntimeMeasurementResponse resp =
	    ATTESTATION_AGENT__EXTEND_RUNTIME_MEASUREMENT_RESPONSE__INIT;
	resp.has_result = res != ATTESTATION_AGENT__RUNTIME_MEASUREMENT_RESULT__OK;
	resp.result = res;
	return ttrpc_call_reply_pb(call, &resp.base, err);
}

static int extend_runtime_measurement(ttrpc_call *call, void *ud, cc_error **err)
{
	aa *a = ud;
	ProtobufCMessage *m = NULL;
	int r = ttrpc_call_unpack(
	    call, &attestation_agent__extend_runtime_measurement_request__descriptor, &m, err);
	if (r < 0)
		return r;
	AttestationAgent__ExtendRuntimeMeasurementRequest *req =
	    (AttestationAgent__ExtendRuntimeMeasurementRequest *)m;
	if (!a->eventlog)
		return measurement_reply(call, ATTESTATION_AGENT__RUNTIME_MEASUREMENT_RESULT__NOT_ENABLED,
		                         err);
	if (a->ael == NULL)
		return measurement_reply(
		    call, ATTESTATION_AGENT__RUNTIME_MEASUREMENT_RESULT__NOT_SUPPORTED, err);
	const char *content = req->content ? req->content : "";
	if (strchr(content, '\n') != NULL) {
		ttrpc_call_set_code(call, TTRPC_INTERNAL);
		return cc_error_set(err, -EINVAL,
		                    AA_ERR "extend runtime measurement failed: the content must not "
		                           "contain a newline");
	}
	if (req->has_registerindex && req->registerindex >= SOFT_REGS) {
		ttrpc_call_set_code(call, TTRPC_INTERNAL);
		return cc_error_set(err, -EINVAL,
		                    AA_ERR "extend runtime measurement failed: register index %llu out "
		                           "of range",
		                    (unsigned long long)req->registerindex);
	}
	unsigned pcr = req->has_registerindex ? (unsigned)req->registerindex : AAEL_DEFAULT_PCR;
	pthread_mutex_lock(&a->ael_lock);
	r = aael_writer_extend(a->ael, req->domain ? req->domain : "",
	                       req->operation ? req->operation : "", content, pcr, err);
	pthread_mutex_unlock(&a->ael_lock);
	if (r < 0)
		return internal(call, r, err, "extend runtime measurement failed");
	return measurement_reply(call, ATTESTATION_AGENT__RUNTIME_MEASUREMENT_RESULT__OK, err);
}

/* What ttrpc-aa answers for the methods its ttrpc server leaves out. */
static int not_supported(ttrpc_call *call, void *ud, cc_error **err)
{
	ttrpc_call_set_code(call, TTRPC_NOT_FOUND);
	return cc_error_set(err, -ENOENT, "/%s/%s is not supported", ttrpc_call_service(call),
	                    ttrpc_call_method(call));
}

static int get_tee_type(ttrpc_call *call, void *ud, cc_error **err)
{
	aa *a = ud;
	AttestationAgent__GetTeeTypeResponse resp = ATTESTATION_AGENT__GET_TEE_TYPE_RESPONSE__INIT;
	resp.tee = (char *)attest_attester_tee(a->attester);
	return ttrpc_call_reply_pb(call, &resp.base, err);
}

static int get_additional_tees(ttrpc_call *call, void *ud, cc_error **err)
{
	AttestationAgent__GetAdditionalTeesResponse resp =
	    ATTESTATION_AGENT__GET_ADDITIONAL_TEES_RESPONSE__INIT;
	return ttrpc_call_reply_pb(call, &resp.base, err);
}

static const ttrpc_method aa_methods[] = {
    {"GetEvidence", get_evidence},
    {"GetAdditionalEvidence", get_additional_evidence},
    {"GetToken", get_token},
    {"ExtendRuntimeMeasurement", extend_runtime_measurement},
    {"GetTeeType", get_tee_type},
    {"GetAdditionalTees", get_additional_tees},
    /* in the proto, not served by ttrpc-aa; and older kata-agents' names */
    {"BindInitData", not_supported},
    {"CheckInitData", not_supported},
    {"UpdateConfiguration", not_supported},
};

int aa_register(aa *a, ttrpc_server *s, cc_error **err)
{
	return ttrpc_server_register(s, AA_SERVICE, aa_methods,
	                             sizeof(aa_methods) / sizeof(aa_methods[0]), a, err);
}
