/* The signed collateral bodies, parsed only after their signature has been
 * checked over the exact text: Intel's TCB info (SGX v2 and v3, TDX v3;
 * PCS API v4) and enclave identity (v2). Every field the checks read is
 * required with its exact type and size; unknown fields are ignored, as
 * Intel adds fields over time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dcap_int.h"

static const char *const status_names[] = {
	"UpToDate",  "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded",
	"OutOfDate", "OutOfDateConfigurationNeeded", "Revoked", "TDRelaunchAdvised",
	"TDRelaunchAdvisedConfigurationNeeded",
};

const char *dcap_status_name(enum dcap_status s)
{
	return status_names[s];
}

int dcap_status_parse(const char *name, enum dcap_status *ret)
{
	/* a level may carry only the first seven (QVL's VALID_TCB_INFO_STATUSES) */
	for (size_t i = 0; i <= DCAP_REVOKED; i++)
		if (strcmp(name, status_names[i]) == 0) {
			*ret = (enum dcap_status)i;
			return 0;
		}
	return -EINVAL;
}

static int digits(const char *s, int n, int *ret)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return 0;
}

int dcap_parse_time(const char *s, int64_t *ret)
{
	int y, mo, d, h, mi, se;
	if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != 'Z' || digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
	    digits(s + 8, 2, &d) || digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &se) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return -EINVAL;
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	                .tm_hour = h, .tm_min = mi, .tm_sec = se};
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret = (int64_t)t;
	return 0;
}

/* One parse: the body's name ("tcb_info"/"qe_identity") for messages. */
struct ctx {
	const char *what;
	cc_error **err;
};

static int bad(struct ctx *x, const char *path, const char *key, const char *want)
{
	return cc_error_set(x->err, -EINVAL, "%s: %s%s is not %s", x->what, path, key, want);
}

static int get_hex(struct ctx *x, json_t *o, const char *path, const char *key, uint8_t *out,
                   size_t n)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v) || dcap_hex_decode(json_string_value(v), json_string_length(v), out, n) < 0) {
		char want[48];
		snprintf(want, sizeof(want), "the hex of %zu bytes", n);
		return bad(x, path, key, want);
	}
	return 0;
}

static int get_uint(struct ctx *x, json_t *o, const char *path, const char *key, json_int_t max,
                    json_int_t *ret)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) {
		char want[48];
		snprintf(want, sizeof(want), "an integer in 0..%lld", (long long)max);
		return bad(x, path, key, want);
	}
	*ret = json_integer_value(v);
	return 0;
}

static int get_time(struct ctx *x, json_t *o, const char *path, const char *key, int64_t *ret)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v) || dcap_parse_time(json_string_value(v), ret) < 0)
		return bad(x, path, key, "a YYYY-MM-DDTHH:MM:SSZ time");
	return 0;
}

/* 16 components: v3's array of {"svn": n} or v2's sgxtcbcompNNsvn. */
static int get_components(struct ctx *x, json_t *tcb, const char *path, const char *key,
                          bool v2, uint8_t out[DCAP_SVN_COUNT])
{
	json_int_t n;
	if (v2) {
		for (int i = 0; i < DCAP_SVN_COUNT; i++) {
			char k[24];
			snprintf(k, sizeof(k), "sgxtcbcomp%02dsvn", i + 1);
			if (get_uint(x, tcb, path, k, 255, &n) < 0)
				return -EINVAL;
			out[i] = (uint8_t)n;
		}
		return 0;
	}
	json_t *a = json_object_get(tcb, key);
	if (!json_is_array(a) || json_array_size(a) != DCAP_SVN_COUNT)
		return bad(x, path, key, "an array of 16 components");
	for (size_t i = 0; i < DCAP_SVN_COUNT; i++) {
		char p[96];
		snprintf(p, sizeof(p), "%s%s[%zu].", path, key, i);
		if (get_uint(x, json_array_get(a, i), p, "svn", 255, &n) < 0)
			return -EINVAL;
		out[i] = (uint8_t)n;
	}
	return 0;
}

enum level_kind { LEVEL_SGX_V2, LEVEL_SGX_V3, LEVEL_TDX, LEVEL_IDENTITY };

static int parse_level(struct ctx *x, json_t *l, const char *path, enum level_kind kind,
                       struct dcap_level *out)
{
	json_t *tcb = json_object_get(l, "tcb");
	json_int_t n;
	char tp[80];
	snprintf(tp, sizeof(tp), "%stcb.", path);
	if (!json_is_object(tcb))
		return bad(x, path, "tcb", "an object");
	if (kind == LEVEL_IDENTITY) {
		if (get_uint(x, tcb, tp, "isvsvn", 65535, &n) < 0)
			return -EINVAL;
		out->isvsvn = (uint16_t)n;
	} else {
		if (get_components(x, tcb, tp, "sgxtcbcomponents", kind == LEVEL_SGX_V2, out->sgx) < 0 ||
		    get_uint(x, tcb, tp, "pcesvn", 65535, &n) < 0)
			return -EINVAL;
		out->pcesvn = (uint16_t)n;
		if (kind == LEVEL_TDX) {
			if (get_components(x, tcb, tp, "tdxtcbcomponents", false, out->tdx) < 0)
				return -EINVAL;
			out->has_tdx = true;
		}
	}
	json_t *st = json_object_get(l, "tcbStatus");
	if (!json_is_string(st) || dcap_status_parse(json_string_value(st), &out->status) < 0)
		return bad(x, path, "tcbStatus", "one of Intel's TCB statuses");
	if (get_time(x, l, path, "tcbDate", &out->tcb_date) < 0)
		return -EINVAL;
	json_t *adv = json_object_get(l, "advisoryIDs");
	if (adv) {
		if (!json_is_array(adv) || json_array_size(adv) > CC_DCAP_MAX_ADVISORY_IDS)
			return bad(x, path, "advisoryIDs", "an array of at most CC_DCAP_MAX_ADVISORY_IDS strings");
		for (size_t i = 0; i < json_array_size(adv); i++)
			if (!json_is_string(json_array_get(adv, i)))
				return bad(x, path, "advisoryIDs[i]", "a string");
		out->advisory_ids = adv;
	}
	return 0;
}

static int parse_levels(struct ctx *x, json_t *o, const char *path, enum level_kind kind,
                        struct dcap_levels *out)
{
	json_t *a = json_object_get(o, "tcbLevels");
	size_t n = json_array_size(a);
	if (!json_is_array(a) || n == 0 || n > CC_DCAP_MAX_TCB_LEVELS)
		return bad(x, path, "tcbLevels", "an array of 1..CC_DCAP_MAX_TCB_LEVELS levels");
	out->v = calloc(n, sizeof(*out->v));
	if (!out->v)
		return cc_error_set(x->err, -ENOMEM, "%s: out of memory", x->what);
	out->n = n;
	for (size_t i = 0; i < n; i++) {
		char p[64];
		snprintf(p, sizeof(p), "%stcbLevels[%zu].", path, i);
		if (parse_level(x, json_array_get(a, i), p, kind, &out->v[i]) < 0)
			return -EINVAL;
	}
	return 0;
}

static int get_id(struct ctx *x, json_t *o, const char *path, char *out, size_t size)
{
	json_t *v = json_object_get(o, "id");
	if (!json_is_string(v) || json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return bad(x, path, "id", "a short string");
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static json_t *load_object(struct ctx *x, const char *text, size_t len)
{
	json_error_t je;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(doc)) {
		json_decref(doc);
		cc_error_set(x->err, -EINVAL, "%s: not a JSON object: %s", x->what, je.text);
		return NULL;
	}
	return doc;
}

static int parse_modules(struct ctx *x, json_t *doc, struct dcap_tcb_info *t)
{
	json_t *m = json_object_get(doc, "tdxModule");
	if (m) {
		if (!json_is_object(m) || get_hex(x, m, "tdxModule.", "mrsigner", t->module_mrsigner, 48) < 0 ||
		    get_hex(x, m, "tdxModule.", "attributes", t->module_attributes, 8) < 0 ||
		    get_hex(x, m, "tdxModule.", "attributesMask", t->module_attributes_mask, 8) < 0)
			return bad(x, "", "tdxModule", "a TDX module object");
		t->has_tdx_module = true;
	}
	json_t *ids = json_object_get(doc, "tdxModuleIdentities");
	size_t n = json_array_size(ids);
	if (!ids)
		return 0;
	if (!json_is_array(ids) || n > CC_DCAP_MAX_MODULE_IDENTITIES)
		return bad(x, "", "tdxModuleIdentities", "an array of at most CC_DCAP_MAX_MODULE_IDENTITIES");
	t->modules = calloc(n ? n : 1, sizeof(*t->modules));
	if (!t->modules)
		return cc_error_set(x->err, -ENOMEM, "%s: out of memory", x->what);
	t->n_modules = n;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(ids, i);
		struct dcap_module_identity *mi = &t->modules[i];
		char p[48];
		snprintf(p, sizeof(p), "tdxModuleIdentities[%zu].", i);
		if (!json_is_object(e))
			return bad(x, p, "", "an object");
		if (get_id(x, e, p, mi->id, sizeof(mi->id)) < 0 ||
		    get_hex(x, e, p, "mrsigner", mi->mrsigner, 48) < 0 ||
		    get_hex(x, e, p, "attributes", mi->attributes, 8) < 0 ||
		    get_hex(x, e, p, "attributesMask", mi->attributes_mask, 8) < 0 ||
		    parse_levels(x, e, p, LEVEL_IDENTITY, &mi->levels) < 0)
			return -EINVAL;
	}
	return 0;
}

static int parse_tcb_info(struct ctx *x, json_t *doc, struct dcap_tcb_info *t)
{
	json_int_t n;
	if (get_uint(x, doc, "", "version", 255, &n) < 0)
		return -EINVAL;
	t->version = (int)n;
	if (json_object_get(doc, "id")) {
		if (get_id(x, doc, "", t->id, sizeof(t->id)) < 0)
			return -EINVAL;
	} else if (t->version == 2) {
		memcpy(t->id, "SGX", 4); /* v2 predates the id field */
	} else {
		return bad(x, "", "id", "present");
	}
	bool tdx = strcmp(t->id, "TDX") == 0;
	if (!tdx && strcmp(t->id, "SGX") != 0)
		return bad(x, "", "id", "\"SGX\" or \"TDX\"");
	if (get_time(x, doc, "", "issueDate", &t->issue_date) < 0 ||
	    get_time(x, doc, "", "nextUpdate", &t->next_update) < 0 ||
	    get_hex(x, doc, "", "fmspc", t->fmspc, 6) < 0 ||
	    get_hex(x, doc, "", "pceId", t->pceid, 2) < 0)
		return -EINVAL;
	if (json_object_get(doc, "tcbType") && (get_uint(x, doc, "", "tcbType", 0, &n) < 0))
		return -EINVAL;
	if (get_uint(x, doc, "", "tcbEvaluationDataNumber", UINT32_MAX, &n) < 0)
		return -EINVAL;
	t->tcb_eval_num = (uint32_t)n;
	if (tdx && parse_modules(x, doc, t) < 0)
		return -EINVAL;
	enum level_kind k = tdx ? LEVEL_TDX : t->version == 2 ? LEVEL_SGX_V2 : LEVEL_SGX_V3;
	return parse_levels(x, doc, "", k, &t->levels);
}

void dcap_tcb_info_clear(struct dcap_tcb_info *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_modules; i++)
		free(t->modules[i].levels.v);
	free(t->modules);
	free(t->levels.v);
	json_decref(t->doc);
	memset(t, 0, sizeof(*t));
}

int dcap_tcb_info_parse(const char *text, size_t len, struct dcap_tcb_info *ret, cc_error **err)
{
	struct ctx x = {"tcb_info", err};
	memset(ret, 0, sizeof(*ret));
	if (!(ret->doc = load_object(&x, text, len)))
		return -EINVAL;
	if (parse_tcb_info(&x, ret->doc, ret) < 0) {
		dcap_tcb_info_clear(ret);
		return -EINVAL;
	}
	return 0;
}

static int parse_qe(struct ctx *x, json_t *doc, struct dcap_qe_identity *q)
{
	json_int_t n;
	uint8_t m[4], mm[4];
	if (get_id(x, doc, "", q->id, sizeof(q->id)) < 0 ||
	    get_uint(x, doc, "", "version", 255, &n) < 0)
		return -EINVAL;
	q->version = (int)n;
	if (get_time(x, doc, "", "issueDate", &q->issue_date) < 0 ||
	    get_time(x, doc, "", "nextUpdate", &q->next_update) < 0 ||
	    get_hex(x, doc, "", "miscselect", m, 4) < 0 ||
	    get_hex(x, doc, "", "miscselectMask", mm, 4) < 0 ||
	    get_hex(x, doc, "", "attributes", q->attributes, 16) < 0 ||
	    get_hex(x, doc, "", "attributesMask", q->attributes_mask, 16) < 0 ||
	    get_hex(x, doc, "", "mrsigner", q->mrsigner, 32) < 0 ||
	    get_uint(x, doc, "", "isvprodid", 65535, &n) < 0)
		return -EINVAL;
	q->isvprodid = (uint16_t)n;
	if (get_uint(x, doc, "", "tcbEvaluationDataNumber", UINT32_MAX, &n) < 0)
		return -EINVAL;
	q->tcb_eval_num = (uint32_t)n;
	/* the hex is the number as written (big-endian) */
	q->miscselect = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
	q->miscselect_mask = (uint32_t)mm[0] << 24 | (uint32_t)mm[1] << 16 | (uint32_t)mm[2] << 8 | mm[3];
	return parse_levels(x, doc, "", LEVEL_IDENTITY, &q->levels);
}

void dcap_qe_identity_clear(struct dcap_qe_identity *q)
{
	if (!q)
		return;
	free(q->levels.v);
	json_decref(q->doc);
	memset(q, 0, sizeof(*q));
}

int dcap_qe_identity_parse(const char *text, size_t len, struct dcap_qe_identity *ret,
                           cc_error **err)
{
	struct ctx x = {"qe_identity", err};
	memset(ret, 0, sizeof(*ret));
	if (!(ret->doc = load_object(&x, text, len)))
		return -EINVAL;
	if (parse_qe(&x, ret->doc, ret) < 0) {
		dcap_qe_identity_clear(ret);
		return -EINVAL;
	}
	return 0;
}
