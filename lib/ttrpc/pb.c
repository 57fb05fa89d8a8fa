/* protobuf-c messages with caps: packing refuses what a frame cannot carry,
 * unpacking validates the wire first and decodes with an allocator that
 * stops at CC_TTRPC_MAX_DECODE_BYTES (docs/ttrpc.md). */
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "ttrpc_int.h"

/* The allocator of one unpacked message. Every block it hands out starts
 * with a header naming the block's size and the budget, so ttrpc_pb_free()
 * finds the allocator from the message pointer alone. */
typedef struct budget {
	ProtobufCAllocator a;
	size_t used;
	size_t max;
	bool exhausted; /* an allocation was refused for the cap */
} budget;

typedef union block_header {
	struct {
		size_t size;
		budget *b;
	} h;
	max_align_t align;
} block_header;

static void *budget_alloc(void *data, size_t size)
{
	budget *b = data;
	size_t total;
	if (__builtin_add_overflow(size, sizeof(block_header), &total) || total > b->max - b->used) {
		b->exhausted = true;
		return NULL;
	}
	block_header *bh = malloc(total);
	if (bh == NULL)
		return NULL;
	bh->h.size = total;
	bh->h.b = b;
	b->used += total;
	return bh + 1;
}

static void budget_free(void *data, void *p)
{
	budget *b = data;
	if (p == NULL)
		return;
	block_header *bh = (block_header *)p - 1;
	b->used -= bh->h.size;
	free(bh);
}

int ttrpc_pb_unpack(const ProtobufCMessageDescriptor *desc, const void *data, size_t len,
                    ProtobufCMessage **ret, cc_error **err)
{
	if (len > CC_TTRPC_MAX_MESSAGE_BYTES)
		return cc_error_set(err, -E2BIG, "%s: %zu bytes, more than %u", desc->name, len,
		                    CC_TTRPC_MAX_MESSAGE_BYTES);
	int r = ttrpc_pb_validate(desc, data, len, err);
	if (r < 0)
		return r;
	budget *b = malloc(sizeof(*b));
	if (b == NULL)
		return cc_error_set(err, -ENOMEM, "%s: out of memory", desc->name);
	*b = (budget){
		.a = {.alloc = budget_alloc, .free = budget_free, .allocator_data = b},
		.max = CC_TTRPC_MAX_DECODE_BYTES,
	};
	ProtobufCMessage *m =
	    protobuf_c_message_unpack(desc, &b->a, len, len ? data : (const uint8_t *)"");
	if (m == NULL) {
		bool over = b->exhausted;
		free(b);
		if (over)
			return cc_error_set(err, -ENOMEM, "%s: decoding needs more than %u bytes",
			                    desc->name, CC_TTRPC_MAX_DECODE_BYTES);
		return cc_error_set(err, -EINVAL, "%s: malformed message (%zu bytes)", desc->name, len);
	}
	*ret = m;
	return 0;
}

void ttrpc_pb_free(ProtobufCMessage *m)
{
	if (m == NULL)
		return;
	budget *b = ((block_header *)(void *)m - 1)->h.b;
	protobuf_c_message_free_unpacked(m, &b->a);
	free(b);
}

int ttrpc_pb_pack(const ProtobufCMessage *m, uint8_t **ret, size_t *ret_len, cc_error **err)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	if (n > CC_TTRPC_MAX_MESSAGE_BYTES)
		return cc_error_set(err, -E2BIG, "%s: %zu bytes packed, more than %u",
		                    m->descriptor->name, n, CC_TTRPC_MAX_MESSAGE_BYTES);
	uint8_t *p = malloc(n ? n : 1);
	if (p == NULL)
		return cc_error_set(err, -ENOMEM, "%s: out of memory", m->descriptor->name);
	size_t w = protobuf_c_message_pack(m, p);
	if (w != n) {
		free(p);
		return cc_error_set(err, -EINVAL, "%s: packed %zu bytes, expected %zu",
		                    m->descriptor->name, w, n);
	}
	*ret = p;
	*ret_len = n;
	return 0;
}
