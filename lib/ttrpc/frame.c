/* The ttrpc frame header and a pure frame decoder over a byte buffer
 * (kata.md §1.1; containerd/ttrpc channel.go). */
#include <errno.h>

#include "ttrpc_int.h"

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

void ttrpc_frame_header_encode(const ttrpc_frame_header *h, uint8_t out[TTRPC_HEADER_LEN])
{
	put_be32(out, h->length);
	put_be32(out + 4, h->stream_id);
	out[8] = h->type;
	out[9] = h->flags;
}

void ttrpc_frame_header_decode(const uint8_t in[TTRPC_HEADER_LEN], ttrpc_frame_header *ret)
{
	ret->length = get_be32(in);
	ret->stream_id = get_be32(in + 4);
	ret->type = in[8];
	ret->flags = in[9];
}

int ttrpc_frame_parse(const uint8_t *buf, size_t len, size_t *off, ttrpc_frame_header *ret_h,
                      const uint8_t **ret_payload, cc_error **err)
{
	if (len < *off || len - *off < TTRPC_HEADER_LEN)
		return -EAGAIN;
	ttrpc_frame_header h;
	ttrpc_frame_header_decode(buf + *off, &h);
	if (h.length > CC_TTRPC_MAX_MESSAGE_BYTES) {
		*ret_h = h;
		*off += TTRPC_HEADER_LEN;
		return cc_error_set(err, -E2BIG,
		                    "stream %u: message length %u exceeds maximum message size of %u",
		                    h.stream_id, h.length, CC_TTRPC_MAX_MESSAGE_BYTES);
	}
	if (len - *off - TTRPC_HEADER_LEN < h.length)
		return -EAGAIN;
	*ret_h = h;
	*ret_payload = buf + *off + TTRPC_HEADER_LEN;
	*off += TTRPC_HEADER_LEN + h.length;
	return 0;
}
