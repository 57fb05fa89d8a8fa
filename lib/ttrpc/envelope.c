/* ttrpc's Request and Response messages (kata.md §1.2), encoded and decoded
 * with the protobuf-c code generated from proto/ttrpc.proto. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ttrpc_int.h"

int ttrpc_request_decode(const uint8_t *p, size_t len, Ttrpc__Request **ret, int *ret_code,
                         cc_error **err)
{
	ProtobufCMessage *m = NULL;
	*ret_code = TTRPC_INVALID_ARGUMENT;
	int r = ttrpc_pb_unpack(&ttrpc__request__descriptor, p, len, &m, err);
	if (r < 0) {
		if (r == -ENOMEM || r == -E2BIG)
			*ret_code = TTRPC_RESOURCE_EXHAUSTED;
		return r;
	}
	Ttrpc__Request *req = (Ttrpc__Request *)m;
	if (req->n_metadata > CC_TTRPC_MAX_METADATA_ENTRIES) {
		*ret_code = TTRPC_RESOURCE_EXHAUSTED;
		r = cc_error_set(err, -E2BIG, "metadata: %zu entries, more than %u", req->n_metadata,
		                 CC_TTRPC_MAX_METADATA_ENTRIES);
		ttrpc_pb_free(m);
		return r;
	}
	size_t bytes = 0;
	for (size_t i = 0; i < req->n_metadata; i++)
		bytes += strlen(req->metadata[i]->key) + strlen(req->metadata[i]->value);
	if (bytes > CC_TTRPC_MAX_METADATA_BYTES) {
		*ret_code = TTRPC_RESOURCE_EXHAUSTED;
		r = cc_error_set(err, -E2BIG, "metadata: %zu bytes, more than %u", bytes,
		                 CC_TTRPC_MAX_METADATA_BYTES);
		ttrpc_pb_free(m);
		return r;
	}
	*ret = req;
	return 0;
}

int ttrpc_request_encode(const char *service, const char *method, const void *payload,
                         size_t len, const ttrpc_call_opts *opts, uint8_t **ret,
                         size_t *ret_len, cc_error **err)
{
	size_t n_md = opts != NULL ? opts->n_metadata : 0;
	if (n_md > CC_TTRPC_MAX_METADATA_ENTRIES)
		return cc_error_set(err, -E2BIG, "metadata: %zu entries, more than %u", n_md,
		                    CC_TTRPC_MAX_METADATA_ENTRIES);
	Ttrpc__KeyValue kvs[CC_TTRPC_MAX_METADATA_ENTRIES];
	Ttrpc__KeyValue *kvp[CC_TTRPC_MAX_METADATA_ENTRIES];
	for (size_t i = 0; i < n_md; i++) {
		ttrpc__key_value__init(&kvs[i]);
		if (opts->metadata[i].key == NULL || opts->metadata[i].value == NULL)
			return cc_error_set(err, -EINVAL, "metadata entry %zu: NULL key or value", i);
		kvs[i].key = (char *)opts->metadata[i].key;
		kvs[i].value = (char *)opts->metadata[i].value;
		kvp[i] = &kvs[i];
	}
	Ttrpc__Request req = TTRPC__REQUEST__INIT;
	req.service = (char *)service;
	req.method = (char *)method;
	req.payload.data = (uint8_t *)payload;
	req.payload.len = len;
	req.timeout_nano = opts != NULL && opts->timeout_ns > 0 ? opts->timeout_ns : 0;
	req.n_metadata = n_md;
	req.metadata = n_md ? kvp : NULL;
	return ttrpc_pb_pack(&req.base, ret, ret_len, err);
}

int ttrpc_response_encode(int code, const char *message, const void *payload, size_t len,
                          uint8_t **ret, size_t *ret_len, cc_error **err)
{
	Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
	st.code = code;
	if (message != NULL)
		st.message = (char *)message;
	Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
	resp.status = &st; /* always present: OK encodes as 0a 00, as Go's server */
	resp.payload.data = (uint8_t *)payload;
	resp.payload.len = len;
	return ttrpc_pb_pack(&resp.base, ret, ret_len, err);
}

int ttrpc_response_decode(const uint8_t *p, size_t len, int *ret_code, char **ret_msg,
                          uint8_t **ret_p, size_t *ret_len, cc_error **err)
{
	ProtobufCMessage *m = NULL;
	int r = ttrpc_pb_unpack(&ttrpc__response__descriptor, p, len, &m, err);
	if (r < 0)
		return r;
	Ttrpc__Response *resp = (Ttrpc__Response *)m;
	int code = resp->status != NULL ? resp->status->code : TTRPC_OK;
	char *msg = NULL;
	if (code != TTRPC_OK)
		msg = strdup(resp->status->message != NULL ? resp->status->message : "");
	size_t n = resp->payload.len;
	uint8_t *out = malloc(n ? n : 1);
	if (out == NULL || (code != TTRPC_OK && msg == NULL)) {
		free(out);
		free(msg);
		ttrpc_pb_free(m);
		return cc_error_set(err, -ENOMEM, "response: out of memory");
	}
	if (n)
		memcpy(out, resp->payload.data, n);
	ttrpc_pb_free(m);
	*ret_code = code;
	*ret_msg = msg;
	*ret_p = out;
	*ret_len = n;
	return 0;
}
