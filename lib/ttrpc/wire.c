/* A protobuf wire-format validator that walks a protobuf-c descriptor
 * before protobuf-c decodes (docs/ttrpc.md "Decoding hostile bytes").
 * protobuf-c copies a string into a NUL-terminated char *, so "a\0b" would
 * silently become "a"; Go and Rust peers refuse strings that are not UTF-8.
 * Here both are refused, with the message type and field named. Every read
 * goes through a bounded cursor. */
#include <errno.h>

#include "ttrpc_int.h"

typedef struct cursor {
	const uint8_t *p;
	size_t len;
	size_t off;
} cursor;

static int get_varint(cursor *c, uint64_t *ret)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 10; i++) {
		if (c->off >= c->len)
			return -EINVAL;
		uint8_t b = c->p[c->off++];
		if (i == 9 && b > 1)
			return -EINVAL; /* more than 64 bits */
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*ret = v;
			return 0;
		}
	}
	return -EINVAL;
}

static int skip(cursor *c, uint64_t n)
{
	if (n > c->len - c->off)
		return -EINVAL;
	c->off += (size_t)n;
	return 0;
}

/* Go's utf8.Valid: no overlong forms, no surrogates, nothing past U+10FFFF. */
static bool utf8_valid_no_nul(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t b = s[i];
		if (b == 0)
			return false;
		if (b < 0x80) {
			i++;
			continue;
		}
		size_t need;
		uint32_t cp, min;
		if (b >= 0xc2 && b <= 0xdf) {
			need = 1, cp = b & 0x1fu, min = 0x80;
		} else if (b >= 0xe0 && b <= 0xef) {
			need = 2, cp = b & 0x0fu, min = 0x800;
		} else if (b >= 0xf0 && b <= 0xf4) {
			need = 3, cp = b & 0x07u, min = 0x10000;
		} else {
			return false;
		}
		if (n - i - 1 < need)
			return false;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

static int validate(const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t len,
                    unsigned depth, cc_error **err)
{
	cursor c = {.p = p, .len = len};
	while (c.off < c.len) {
		uint64_t tag, n;
		if (get_varint(&c, &tag) < 0)
			return cc_error_set(err, -EINVAL, "%s: truncated or overlong tag at byte %zu",
			                    desc->name, c.off);
		uint64_t num = tag >> 3;
		unsigned wt = (unsigned)(tag & 7);
		if (num == 0 || num > 536870911u)
			return cc_error_set(err, -EINVAL, "%s: invalid field number %llu", desc->name,
			                    (unsigned long long)num);
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field(desc, (unsigned)num);
		const char *fname = f != NULL ? f->name : "(unknown)";
		int r = 0;
		switch (wt) {
		case 0:
			r = get_varint(&c, &n);
			break;
		case 1:
			r = skip(&c, 8);
			break;
		case 5:
			r = skip(&c, 4);
			break;
		case 2:
			r = get_varint(&c, &n);
			if (r == 0 && n > c.len - c.off)
				r = -EINVAL;
			if (r < 0)
				break;
			if (f != NULL && f->type == PROTOBUF_C_TYPE_STRING &&
			    !utf8_valid_no_nul(c.p + c.off, (size_t)n))
				return cc_error_set(err, -EINVAL,
				                    "%s.%s: string is not valid UTF-8 or contains NUL",
				                    desc->name, fname);
			if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE) {
				if (depth + 1 > CC_TTRPC_MAX_PB_DEPTH)
					return cc_error_set(err, -EINVAL,
					                    "%s.%s: messages nested more than %u deep",
					                    desc->name, fname, CC_TTRPC_MAX_PB_DEPTH);
				r = validate(f->descriptor, c.p + c.off, (size_t)n, depth + 1, err);
				if (r < 0)
					return cc_error_wrap(err, "%s.%s", desc->name, fname);
			}
			c.off += (size_t)n;
			break;
		default: /* 3, 4: groups (no proto3 peer sends them); 6, 7: invalid */
			return cc_error_set(err, -EINVAL, "%s.%s: unsupported wire type %u",
			                    desc->name, fname, wt);
		}
		if (r < 0)
			return cc_error_set(err, -EINVAL, "%s.%s: truncated value", desc->name, fname);
	}
	return 0;
}

int ttrpc_pb_validate(const ProtobufCMessageDescriptor *desc, const void *data, size_t len,
                      cc_error **err)
{
	if (len > 0 && data == NULL)
		return cc_error_set(err, -EINVAL, "%s: no data", desc->name);
	return validate(desc, data, len, 1, err);
}
