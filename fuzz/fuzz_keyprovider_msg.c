/* libFuzzer target: keyprovider protocol JSON (lib/image/ocicrypt/kpmsg.c,
 * docs/ocicrypt.md): what a provider reads on stdin (requests from Go
 * ocicrypt, ocicrypt-rs or anyone) and what a client reads back from a
 * provider. The first byte picks: even = request (and, for keyunwrap, the
 * CoCo annotation packet inside it), odd = an answer to keywrap (bit 1
 * clear) or keyunwrap. Every parsed request is rebuilt the Go way and
 * parsed again; it must come back equal. Seed corpus:
 * fuzz/corpus/keyprovider_msg/.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "internal.h"

static void reparse(const struct oc_kp_request *r)
{
	char *req = NULL;
	size_t len = 0;
	json_t *empty = json_object();
	int rc = r->op == OC_KP_KEYWRAP
	             ? oc_kp_keywrap_request(r->ec_params ? r->ec_params : empty, r->optsdata,
	                                     r->optsdata_len, &req, &len, NULL)
	             : oc_kp_keyunwrap_request(r->annotation, r->annotation_len, &req, &len, NULL);
	json_decref(empty);
	if (rc < 0)
		return;
	struct oc_kp_request back;
	if (oc_kp_request_parse(req, len, &back, NULL) < 0)
		abort();
	if (back.op != r->op || back.optsdata_len != r->optsdata_len ||
	    back.annotation_len != r->annotation_len ||
	    (r->optsdata_len && memcmp(back.optsdata, r->optsdata, r->optsdata_len) != 0) ||
	    (r->annotation_len && memcmp(back.annotation, r->annotation, r->annotation_len) != 0))
		abort();
	oc_kp_request_clear(&back);
	free(req);
}

static void request(const uint8_t *p, size_t n)
{
	struct oc_kp_request r;
	cc_error *err = NULL;
	if (oc_kp_request_parse(p, n, &r, &err) < 0) {
		cc_error_free(err);
		return;
	}
	if (r.op == OC_KP_KEYUNWRAP) {
		struct oc_annotation_packet a;
		if (oc_annotation_packet_parse(r.annotation, r.annotation_len, &a, NULL) == 0)
			oc_annotation_packet_clear(&a);
	}
	/* raw-JSON optsdata (ocicrypt-rs) is re-sent as base64: same bytes */
	reparse(&r);
	oc_kp_request_clear(&r);
}

static void answer(const uint8_t *p, size_t n, enum oc_kp_op op)
{
	unsigned char *out = NULL;
	size_t len = 0;
	if (oc_kp_response_parse(p, n, op, &out, &len, NULL) < 0)
		return;
	char *again = NULL;
	size_t again_len = 0;
	unsigned char *back = NULL;
	size_t back_len = 0;
	if (oc_kp_response_build(op, out, len, &again, &again_len, NULL) == 0) {
		if (oc_kp_response_parse(again, again_len, op, &back, &back_len, NULL) < 0 ||
		    back_len != len || memcmp(back, out, len) != 0)
			abort();
		free(back);
		free(again);
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0)
		request(data + 1, size - 1);
	else
		answer(data + 1, size - 1, (data[0] & 2) ? OC_KP_KEYUNWRAP : OC_KP_KEYWRAP);
	return 0;
}
