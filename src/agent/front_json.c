/* A request message as the Kata agent's policy input (front_json.h;
 * docs/agent.md, "JSON mapping"). Kata serializes the rust-protobuf
 * request struct with serde_json (src/libs/protocols/build.rs: serde derive
 * on every message, enum and oneof; enums by value; a MessageField that is
 * not set as unit, i.e. null; special_fields skipped). This walks the
 * protobuf-c descriptors and reproduces that output. */
#include "front_json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent.pb-c.h"
#include "cocoon/buf.h"
#include "cocoon/limits.h"
#include "oci.pb-c.h"
#include "rego/utf8.h"

/* ---- Kata's special cases ----------------------------------------------- */

/* rust-protobuf appends `_` to a field named like a Rust keyword (strict
 * and reserved keywords of the 2021 edition). */
static const char *const rust_keywords[] = {
    "abstract", "as",      "async",  "await", "become", "box",    "break",  "const",
    "continue", "crate",   "do",     "dyn",   "else",   "enum",   "extern", "false",
    "final",    "fn",      "for",    "if",    "impl",   "in",     "let",    "loop",
    "macro",    "match",   "mod",    "move",  "mut",    "override", "priv", "pub",
    "ref",      "return",  "self",   "Self",  "static", "struct", "super",  "trait",
    "true",     "try",     "type",   "typeof", "unsafe", "unsized", "use",  "virtual",
    "where",    "while",   "yield",
};

/* The oneofs of the agent API: protobuf-c keeps no oneof names. The variant
 * is rust-protobuf's CamelCase of the member's name, which serde writes as
 * the key of an externally tagged enum: "ErrnoRet": {"Errnoret": 1}. */
static const struct {
	const ProtobufCMessageDescriptor *msg;
	const char *member;
	const char *oneof;
	const char *variant;
} oneofs[] = {
    {&grpc__linux_syscall__descriptor, "errnoret", "ErrnoRet", "Errnoret"},
};

/* Fields an agent of some shape does not have: the runtime-rs passfd
 * ports came after the 2023 recordings (tests/rego/kata/pod-*). */
static const struct {
	const ProtobufCMessageDescriptor *msg;
	const char *field;
	enum agent_json_shape hidden_in;
} hidden_fields[] = {
    {&grpc__create_container_request__descriptor, "stdin_port", AGENT_JSON_KATA_2023},
    {&grpc__create_container_request__descriptor, "stdout_port", AGENT_JSON_KATA_2023},
    {&grpc__create_container_request__descriptor, "stderr_port", AGENT_JSON_KATA_2023},
    {&grpc__exec_process_request__descriptor, "stdin_port", AGENT_JSON_KATA_2023},
    {&grpc__exec_process_request__descriptor, "stdout_port", AGENT_JSON_KATA_2023},
    {&grpc__exec_process_request__descriptor, "stderr_port", AGENT_JSON_KATA_2023},
};

static const char *const shape_names[] = {"both", "kata", "kata-2024", "kata-2023"};

int agent_json_shape_parse(const char *s, enum agent_json_shape *ret)
{
	for (size_t i = 0; i < sizeof(shape_names) / sizeof(shape_names[0]); i++)
		if (s != NULL && strcmp(s, shape_names[i]) == 0) {
			*ret = (enum agent_json_shape)i;
			return 0;
		}
	return -EINVAL;
}

const char *agent_json_shape_name(enum agent_json_shape shape)
{
	size_t i = (size_t)shape;
	return i < sizeof(shape_names) / sizeof(shape_names[0]) ? shape_names[i] : "?";
}

const char *agent_json_key(const ProtobufCFieldDescriptor *f, char *buf, size_t size)
{
	for (size_t i = 0; i < sizeof(rust_keywords) / sizeof(rust_keywords[0]); i++)
		if (strcmp(f->name, rust_keywords[i]) == 0) {
			snprintf(buf, size, "%s_", f->name);
			return buf;
		}
	return f->name;
}

const char *agent_json_oneof_name(const ProtobufCMessageDescriptor *msg,
                                  const ProtobufCFieldDescriptor *f, const char **ret_variant)
{
	if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
		return NULL;
	for (size_t i = 0; i < sizeof(oneofs) / sizeof(oneofs[0]); i++)
		if (oneofs[i].msg == msg && strcmp(oneofs[i].member, f->name) == 0) {
			if (ret_variant)
				*ret_variant = oneofs[i].variant;
			return oneofs[i].oneof;
		}
	return NULL;
}

int agent_json_is_map(const ProtobufCFieldDescriptor *f)
{
	if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return 0;
	const ProtobufCMessageDescriptor *d = f->descriptor;
	if (d->n_fields != 2 || d->fields[0].id != 1 || d->fields[1].id != 2 ||
	    strcmp(d->fields[0].name, "key") != 0 || strcmp(d->fields[1].name, "value") != 0)
		return 0;
	/* protoc names the entry <CamelCaseField>Entry */
	size_t n = strlen(d->short_name);
	return n > 5 && strcmp(d->short_name + n - 5, "Entry") == 0;
}

int agent_json_field_hidden(const ProtobufCMessageDescriptor *msg,
                            const ProtobufCFieldDescriptor *f, enum agent_json_shape shape)
{
	for (size_t i = 0; i < sizeof(hidden_fields) / sizeof(hidden_fields[0]); i++)
		if (hidden_fields[i].msg == msg && hidden_fields[i].hidden_in == shape &&
		    strcmp(hidden_fields[i].field, f->name) == 0)
			return 1;
	return 0;
}

/* ---- output ------------------------------------------------------------- */

struct emit {
	cc_buf b;
	enum agent_json_shape shape;
	unsigned depth;
	cc_error **err;
};

static int out(struct emit *e, const char *s)
{
	return cc_buf_adds(&e->b, s);
}

/* A JSON string as serde_json writes it: `"` and `\` escaped, control
 * characters as \b \t \n \f \r or \u00XX, everything else as is. */
static int out_str(struct emit *e, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	int r = cc_buf_addc(&e->b, '"');
	size_t run = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		r = cc_buf_add(&e->b, s + run, i - run);
		run = i + 1;
		char esc[7] = {'\\', 0};
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\t': esc[1] = 't'; break;
		case '\n': esc[1] = 'n'; break;
		case '\f': esc[1] = 'f'; break;
		case '\r': esc[1] = 'r'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
		}
		if (r == 0)
			r = cc_buf_adds(&e->b, esc);
	}
	if (r == 0)
		r = cc_buf_add(&e->b, s + run, n - run);
	if (r == 0)
		r = cc_buf_addc(&e->b, '"');
	return r;
}

static int out_key(struct emit *e, const char *key, bool *first)
{
	int r = *first ? 0 : cc_buf_addc(&e->b, ',');
	*first = false;
	if (r == 0)
		r = out_str(e, key, strlen(key));
	return r ? r : cc_buf_addc(&e->b, ':');
}

static int out_bytes(struct emit *e, const ProtobufCBinaryData *bd)
{
	/* serde writes Vec<u8> as a sequence of numbers */
	int r = cc_buf_addc(&e->b, '[');
	for (size_t i = 0; r == 0 && i < bd->len; i++)
		r = cc_buf_printf(&e->b, i ? ",%u" : "%u", bd->data[i]);
	return r ? r : cc_buf_addc(&e->b, ']');
}

/* f32/f64 as serde_json: NaN and infinities are null; a whole number keeps
 * a ".0". (No message of the agent API has floating-point fields.) */
static int out_float(struct emit *e, double v, int digits)
{
	if (!isfinite(v))
		return out(e, "null");
	char num[64];
	snprintf(num, sizeof(num), "%.*g", digits, v);
	int r = cc_buf_adds(&e->b, num);
	if (r == 0 && strpbrk(num, ".en") == NULL)
		r = cc_buf_adds(&e->b, ".0");
	return r;
}

static int emit_message(struct emit *e, const ProtobufCMessage *m);

/* One value of type f->type stored at p. */
static int emit_value(struct emit *e, const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_ENUM: /* EnumOrUnknown::value(): the number */
		return cc_buf_printf(&e->b, "%" PRId32, *(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return cc_buf_printf(&e->b, "%" PRIu32, *(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return cc_buf_printf(&e->b, "%" PRId64, *(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return cc_buf_printf(&e->b, "%" PRIu64, *(const uint64_t *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return out(e, *(const protobuf_c_boolean *)p ? "true" : "false");
	case PROTOBUF_C_TYPE_FLOAT:
		return out_float(e, *(const float *)p, 9);
	case PROTOBUF_C_TYPE_DOUBLE:
		return out_float(e, *(const double *)p, 17);
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		return s ? out_str(e, s, strlen(s)) : out(e, "\"\"");
	}
	case PROTOBUF_C_TYPE_BYTES:
		return out_bytes(e, (const ProtobufCBinaryData *)p);
	case PROTOBUF_C_TYPE_MESSAGE:
		return emit_message(e, *(const ProtobufCMessage *const *)p);
	}
	return cc_error_set(e->err, -EINVAL, "field %s: unknown protobuf-c type %d", f->name, f->type);
}

size_t agent_pb_elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	default:
		return 4;
	}
}

/* Map entries, ordered by key (then wire order) so that the last entry of
 * each key is the one written. */
struct map_ent {
	const char *key;
	size_t idx;
};

static int map_ent_cmp(const void *a, const void *b)
{
	const struct map_ent *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static const char *entry_key(const ProtobufCMessage *ent)
{
	const ProtobufCFieldDescriptor *kf = &ent->descriptor->fields[0];
	const char *k = *(char *const *)((const uint8_t *)ent + kf->offset);
	return k ? k : "";
}

static int emit_map(struct emit *e, const ProtobufCFieldDescriptor *f, size_t n,
                    ProtobufCMessage *const *ents)
{
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	/* map keys are strings in every map of the agent API */
	if (ed->fields[0].type != PROTOBUF_C_TYPE_STRING)
		return cc_error_set(e->err, -EINVAL, "map %s: keys are not strings", f->name);
	struct map_ent *v = n ? calloc(n, sizeof(*v)) : NULL;
	if (n && v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = (struct map_ent){entry_key(ents[i]), i};
	if (n > 1)
		qsort(v, n, sizeof(*v), map_ent_cmp);
	const ProtobufCFieldDescriptor *vf = &ed->fields[1];
	int r = cc_buf_addc(&e->b, '{');
	bool first = true;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (i + 1 < n && strcmp(v[i].key, v[i + 1].key) == 0)
			continue; /* a later entry has the same key */
		r = out_key(e, v[i].key, &first);
		if (r == 0)
			r = emit_value(e, vf, (const uint8_t *)ents[v[i].idx] + vf->offset);
	}
	free(v);
	return r ? r : cc_buf_addc(&e->b, '}');
}

static int emit_repeated(struct emit *e, const ProtobufCFieldDescriptor *f, const uint8_t *base)
{
	size_t n = *(const size_t *)(base + f->quantifier_offset);
	const uint8_t *arr = *(const uint8_t *const *)(base + f->offset);
	if (n > 0 && arr == NULL)
		return cc_error_set(e->err, -EINVAL, "field %s: %zu elements but no array", f->name, n);
	if (agent_json_is_map(f))
		return emit_map(e, f, n, (ProtobufCMessage *const *)arr);
	size_t sz = agent_pb_elem_size(f->type);
	int r = cc_buf_addc(&e->b, '[');
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (i)
			r = cc_buf_addc(&e->b, ',');
		if (r == 0)
			r = emit_value(e, f, arr + i * sz);
	}
	return r ? r : cc_buf_addc(&e->b, ']');
}

/* A oneof as serde writes Option<enum>: null, or {"Variant": value}. It is
 * written at its first member; later members are skipped. */
static int emit_oneof(struct emit *e, const ProtobufCMessageDescriptor *d, unsigned i,
                      const uint8_t *base, bool *first)
{
	const ProtobufCFieldDescriptor *f = &d->fields[i];
	const char *variant = NULL;
	const char *name = agent_json_oneof_name(d, f, &variant);
	if (name == NULL)
		return cc_error_set(e->err, -EINVAL, "%s.%s: oneof without a JSON name", d->name,
		                    f->name);
	for (unsigned j = 0; j < i; j++) {
		const char *other = agent_json_oneof_name(d, &d->fields[j], NULL);
		if (other && strcmp(other, name) == 0)
			return 0;
	}
	uint32_t which = *(const uint32_t *)(base + f->quantifier_offset);
	int r = out_key(e, name, first);
	if (r)
		return r;
	for (unsigned j = i; j < d->n_fields; j++) {
		const ProtobufCFieldDescriptor *m = &d->fields[j];
		const char *mv = NULL;
		const char *mn = agent_json_oneof_name(d, m, &mv);
		if (mn == NULL || strcmp(mn, name) != 0 || m->id != which)
			continue;
		bool inner = true;
		r = cc_buf_addc(&e->b, '{');
		if (r == 0)
			r = out_key(e, mv, &inner);
		if (r == 0)
			r = emit_value(e, m, base + m->offset);
		return r ? r : cc_buf_addc(&e->b, '}');
	}
	return out(e, "null");
}

/* CopyFileRequest as Kata evaluates it: PolicyCopyFileRequest, without the
 * data (src/agent/policy/src/policy.rs today; src/agent/src/policy.rs in
 * the 2024 agent, with symlink_src). */
static int emit_copy_file(struct emit *e, const Grpc__CopyFileRequest *c)
{
	const char *path = c->path ? c->path : "";
	unsigned fmt = c->file_mode & S_IFMT;
	const char *type = fmt == S_IFREG   ? "Regular"
	                   : fmt == S_IFDIR ? "Directory"
	                   : fmt == S_IFLNK ? "Symlink"
	                                    : "Unknown";
	/* The symlink's target travels in data. Kata refuses one that is not
	 * UTF-8 ("invalid symlink content"; the 2024 agent's PathBuf could not
	 * be serialized either). A NUL is refused too, unlike Kata: the policy
	 * would judge the whole string while symlink(2) stops at the NUL
	 * ("x/..\0y" passes the traversal check, "x/.." does not). */
	bool link_now = fmt == S_IFLNK;
	bool link_2024 = (c->file_mode & S_IFLNK) == S_IFLNK; /* SFlag::contains */
	const char *data = c->data.data ? (const char *)c->data.data : "";
	size_t dlen = c->data.data ? c->data.len : 0;
	if ((link_now || link_2024) &&
	    (!rutf8_valid(data, dlen) || memchr(data, 0, dlen) != NULL))
		return cc_error_set(e->err, -EINVAL, "CopyFileRequest %s: invalid symlink content",
		                    path);
	int r = out(e, "{\"path\":");
	if (r == 0)
		r = out_str(e, path, strlen(path));
	bool legacy = e->shape == AGENT_JSON_KATA_2024 || e->shape == AGENT_JSON_KATA_2023;
	if (r == 0 && !legacy) {
		r = cc_buf_printf(&e->b, ",\"file_type\":\"%s\",\"symlink_target\":", type);
		if (r == 0 && link_now)
			r = out_str(e, data, dlen);
		else if (r == 0)
			r = out(e, "null");
	}
	if (r == 0)
		r = cc_buf_printf(&e->b,
		                  ",\"file_size\":%" PRId64 ",\"file_mode\":%" PRIu32
		                  ",\"dir_mode\":%" PRIu32 ",\"uid\":%" PRId32 ",\"gid\":%" PRId32
		                  ",\"offset\":%" PRId64,
		                  c->file_size, c->file_mode, c->dir_mode, c->uid, c->gid, c->offset);
	if (r == 0 && e->shape != AGENT_JSON_KATA) {
		r = out(e, ",\"symlink_src\":");
		if (r == 0)
			r = link_2024 ? out_str(e, data, dlen) : out(e, "\"\"");
	}
	return r ? r : out(e, "}");
}

static int emit_message(struct emit *e, const ProtobufCMessage *m)
{
	if (m == NULL)
		return out(e, "null");
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (d == &grpc__copy_file_request__descriptor)
		return emit_copy_file(e, (const Grpc__CopyFileRequest *)m);
	if (e->depth >= CC_TTRPC_MAX_PB_DEPTH)
		return cc_error_set(e->err, -ELOOP, "%s: nested more than %u deep", d->name,
		                    CC_TTRPC_MAX_PB_DEPTH);
	e->depth++;
	const uint8_t *base = (const uint8_t *)m;
	int r = cc_buf_addc(&e->b, '{');
	bool first = true;
	for (unsigned i = 0; r == 0 && i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (agent_json_field_hidden(d, f, e->shape))
			continue;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			r = emit_oneof(e, d, i, base, &first);
			continue;
		}
		char kb[64];
		r = out_key(e, agent_json_key(f, kb, sizeof(kb)), &first);
		if (r)
			break;
		if (f->label == PROTOBUF_C_LABEL_REPEATED)
			r = emit_repeated(e, f, base);
		else
			r = emit_value(e, f, base + f->offset);
	}
	e->depth--;
	return r ? r : cc_buf_addc(&e->b, '}');
}

int agent_json_from_pb(const ProtobufCMessage *m, enum agent_json_shape shape, size_t max_bytes,
                       char **ret, size_t *ret_len, cc_error **err)
{
	if (m == NULL)
		return cc_error_set(err, -EINVAL, "policy input: no message");
	struct emit e = {.shape = shape, .err = err};
	cc_buf_init(&e.b, max_bytes ? max_bytes : CC_AGENT_MAX_POLICY_INPUT_BYTES);
	int r = emit_message(&e, m);
	if (r < 0) {
		cc_buf_free(&e.b);
		if (r == -E2BIG)
			return cc_error_set(err, r, "%s: policy input over %zu bytes",
			                    m->descriptor->short_name, e.b.max);
		if (r == -ENOMEM)
			return cc_error_set(err, r, "%s: policy input: out of memory",
			                    m->descriptor->short_name);
		return cc_error_wrap(err, "%s: policy input", m->descriptor->short_name);
	}
	size_t n = 0;
	char *s = cc_buf_steal(&e.b, &n);
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "policy input: out of memory");
	*ret = s;
	if (ret_len)
		*ret_len = n;
	return 0;
}
