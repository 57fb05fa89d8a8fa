/* Kata's policy input JSON -> protobuf-c (pbjson.h), and the recorded
 * vectors' files. */
#include "pbjson.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.pb-c.h"
#include "cocoon/file.h"

/* The request types: the inputs of grpc.AgentService's methods. */
const ProtobufCMessageDescriptor *pbjson_request_type(const char *ep)
{
	const ProtobufCServiceDescriptor *sd = &grpc__agent_service__descriptor;
	for (unsigned i = 0; i < sd->n_methods; i++)
		if (strcmp(sd->methods[i].input->short_name, ep) == 0)
			return sd->methods[i].input;
	return NULL;
}

/* ---- JSON -> protobuf-c ---------------------------------------------------- */

struct ctx {
	char *err;
	size_t errlen;
	char path[512];
};

static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ctx *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s: %s", c->path[0] ? c->path : "(top)", msg);
	return -1;
}

static int build_message(struct ctx *c, const ProtobufCMessageDescriptor *d, json_t *j,
                         ProtobufCMessage **ret);

static int get_int(struct ctx *c, json_t *v, long long lo, long long hi, long long *ret)
{
	if (!json_is_integer(v))
		return fail(c, "not an integer");
	long long x = json_integer_value(v);
	if (x < lo || x > hi)
		return fail(c, "%lld out of range", x);
	*ret = x;
	return 0;
}

/* One value of field f stored at p. */
static int set_value(struct ctx *c, const ProtobufCFieldDescriptor *f, json_t *v, void *p)
{
	long long x = 0;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		if (get_int(c, v, INT32_MIN, INT32_MAX, &x) < 0)
			return -1;
		*(int32_t *)p = (int32_t)x;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (get_int(c, v, 0, UINT32_MAX, &x) < 0)
			return -1;
		*(uint32_t *)p = (uint32_t)x;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (get_int(c, v, INT64_MIN, INT64_MAX, &x) < 0)
			return -1;
		*(int64_t *)p = x;
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (get_int(c, v, 0, INT64_MAX, &x) < 0)
			return -1;
		*(uint64_t *)p = (uint64_t)x;
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(v))
			return fail(c, "not a boolean");
		*(protobuf_c_boolean *)p = json_is_true(v);
		return 0;
	case PROTOBUF_C_TYPE_STRING: {
		if (!json_is_string(v))
			return fail(c, "not a string");
		char *s = strdup(json_string_value(v));
		if (s == NULL)
			return fail(c, "out of memory");
		*(char **)p = s;
		return 0;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *bd = p;
		if (!json_is_array(v))
			return fail(c, "bytes: not an array");
		size_t n = json_array_size(v);
		bd->data = n ? malloc(n) : NULL;
		bd->len = n;
		for (size_t i = 0; i < n; i++) {
			if (get_int(c, json_array_get(v, i), 0, 255, &x) < 0)
				return -1;
			bd->data[i] = (uint8_t)x;
		}
		return 0;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		if (json_is_null(v)) {
			*(ProtobufCMessage **)p = NULL;
			return 0;
		}
		return build_message(c, f->descriptor, v, (ProtobufCMessage **)p);
	default:
		return fail(c, "type %d not handled", f->type);
	}
}

static int set_map(struct ctx *c, const ProtobufCFieldDescriptor *f, json_t *v, uint8_t *base)
{
	if (!json_is_object(v))
		return fail(c, "map: not an object");
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	size_t n = json_object_size(v);
	ProtobufCMessage **ents = n ? calloc(n, sizeof(*ents)) : NULL;
	*(ProtobufCMessage ***)(base + f->offset) = ents;
	size_t i = 0;
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x)
	{
		ProtobufCMessage *e = calloc(1, ed->sizeof_message);
		ed->message_init(e);
		ents[i++] = e;
		*(size_t *)(base + f->quantifier_offset) = i;
		char **key = (char **)((uint8_t *)e + ed->fields[0].offset);
		*key = strdup(k);
		if (set_value(c, &ed->fields[1], x, (uint8_t *)e + ed->fields[1].offset) < 0)
			return -1;
	}
	return 0;
}

static int set_repeated(struct ctx *c, const ProtobufCFieldDescriptor *f, json_t *v,
                        uint8_t *base)
{
	if (agent_json_is_map(f))
		return set_map(c, f, v, base);
	if (!json_is_array(v))
		return fail(c, "not an array");
	size_t n = json_array_size(v), sz = agent_pb_elem_size(f->type);
	uint8_t *arr = n ? calloc(n, sz) : NULL;
	*(uint8_t **)(base + f->offset) = arr;
	for (size_t i = 0; i < n; i++) {
		if (f->type == PROTOBUF_C_TYPE_MESSAGE && json_is_null(json_array_get(v, i)))
			return fail(c, "null element");
		int r = set_value(c, f, json_array_get(v, i), arr + i * sz);
		if (r < 0 && f->type == PROTOBUF_C_TYPE_MESSAGE && ((ProtobufCMessage **)arr)[i])
			protobuf_c_message_free_unpacked(((ProtobufCMessage **)arr)[i], NULL);
		if (r < 0)
			return -1;
		*(size_t *)(base + f->quantifier_offset) = i + 1;
	}
	return 0;
}

/* "ErrnoRet": null | {"Errnoret": n} */
static int set_oneof(struct ctx *c, const ProtobufCMessageDescriptor *d, const char *name,
                     json_t *v, uint8_t *base)
{
	if (json_is_null(v))
		return 0;
	const char *vk;
	json_t *x;
	if (!json_is_object(v) || json_object_size(v) != 1)
		return fail(c, "oneof %s: not null or {variant: value}", name);
	json_object_foreach(v, vk, x)
	{
		for (unsigned i = 0; i < d->n_fields; i++) {
			const char *variant = NULL;
			const char *on = agent_json_oneof_name(d, &d->fields[i], &variant);
			if (on && strcmp(on, name) == 0 && strcmp(variant, vk) == 0) {
				*(uint32_t *)(base + d->fields[i].quantifier_offset) = d->fields[i].id;
				return set_value(c, &d->fields[i], x, base + d->fields[i].offset);
			}
		}
		return fail(c, "oneof %s: no variant %s", name, vk);
	}
	return 0;
}

/* The key k of message d: a field (by JSON key) or a oneof. */
static int set_key(struct ctx *c, const ProtobufCMessageDescriptor *d, const char *k, json_t *v,
                   uint8_t *base)
{
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *on = agent_json_oneof_name(d, f, NULL);
		if (on != NULL) {
			if (strcmp(on, k) == 0)
				return set_oneof(c, d, on, v, base);
			continue;
		}
		char kb[64];
		if (strcmp(agent_json_key(f, kb, sizeof(kb)), k) != 0)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED)
			return set_repeated(c, f, v, base);
		return set_value(c, f, v, base + f->offset);
	}
	return fail(c, "%s has no field %s", d->name, k);
}

/* CopyFileRequest in either of Kata's shapes: the symlink's target (if
 * any) becomes data; file_type is derived from file_mode on the way back. */
static int copy_file_key(struct ctx *c, Grpc__CopyFileRequest *m, const char *k, json_t *v)
{
	if (strcmp(k, "file_type") == 0)
		return json_is_string(v) ? 0 : fail(c, "file_type: not a string");
	if (strcmp(k, "symlink_target") == 0 || strcmp(k, "symlink_src") == 0) {
		if (json_is_null(v))
			return 0;
		if (!json_is_string(v))
			return fail(c, "%s: not a string", k);
		size_t n = json_string_length(v);
		if (n == 0)
			return 0;
		free(m->data.data);
		m->data.data = malloc(n);
		memcpy(m->data.data, json_string_value(v), n);
		m->data.len = n;
		return 0;
	}
	if (strcmp(k, "data") == 0)
		return fail(c, "data is never part of the input");
	return 1; /* an ordinary field */
}

static int build_message(struct ctx *c, const ProtobufCMessageDescriptor *d, json_t *j,
                         ProtobufCMessage **ret)
{
	if (!json_is_object(j))
		return fail(c, "%s: not an object", d->name);
	ProtobufCMessage *m = calloc(1, d->sizeof_message);
	d->message_init(m);
	*ret = m; /* owned by the parent from here, freed with it */
	size_t plen = strlen(c->path);
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v)
	{
		snprintf(c->path + plen, sizeof(c->path) - plen, ".%s", k);
		int r = 1;
		if (d == &grpc__copy_file_request__descriptor)
			r = copy_file_key(c, (Grpc__CopyFileRequest *)m, k, v);
		if (r > 0)
			r = set_key(c, d, k, v, (uint8_t *)m);
		if (r < 0)
			return -1;
	}
	c->path[plen] = '\0';
	return 0;
}

int pbjson_to_pb(const ProtobufCMessageDescriptor *d, json_t *j, ProtobufCMessage **ret,
                 char *errbuf, size_t errlen)
{
	struct ctx c = {.err = errbuf, .errlen = errlen};
	ProtobufCMessage *m = NULL;
	int r = build_message(&c, d, j, &m);
	if (r < 0) {
		if (m)
			protobuf_c_message_free_unpacked(m, NULL);
		return -1;
	}
	*ret = m;
	return 0;
}

/* ---- the recorded vectors ---------------------------------------------------- */

const char *const kata_scenarios[] = {
    "k8s-policy-job", "k8s-policy-pod", "k8s-policy-rc", "pod-cm1",
    "pod-cm2",        "pod-exec",       "pod-lifecycle", "pod-many-layers",
    "pod-persistent-volumes", "pod-same-containers", "web", "web2",
};
const size_t kata_n_scenarios = sizeof(kata_scenarios) / sizeof(kata_scenarios[0]);

const char *kata_dir(void)
{
	const char *d = getenv("KATA_DIR");
	return d ? d : KATA_SOURCE_DIR;
}

char *slurp_file(const char *path, size_t *len)
{
	char *text = NULL;
	size_t n = 0;
	cc_error *e = NULL;
	/* the agent's reader (cc_read_file), with the largest cap a vector file needs */
	if (cc_read_file(path, 256u << 20, 0, &text, &n, &e) < 0) {
		cc_error_free(e);
		return NULL;
	}
	if (len)
		*len = n;
	return text;
}

int kata_lines_read(const char *dir, struct kata_line **ret, size_t *n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/inputs.txt", dir);
	char *text = slurp_file(path, NULL);
	if (text == NULL)
		return -1;
	struct kata_line *v = NULL;
	size_t cnt = 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *ep = strstr(line, "\"ep\":\"");
		if (ep == NULL)
			continue;
		ep += 6;
		char *end = strchr(ep, '"');
		char *obj = end ? strchr(end, '{') : NULL;
		char *last = strrchr(line, '}');
		if (end == NULL || obj == NULL || last == NULL || last < obj)
			continue;
		v = realloc(v, (cnt + 1) * sizeof(*v));
		v[cnt].ep = strndup(ep, (size_t)(end - ep));
		v[cnt].len = (size_t)(last - obj) + 1;
		v[cnt].json = strndup(obj, v[cnt].len);
		cnt++;
	}
	free(text);
	*ret = v;
	*n = cnt;
	return 0;
}

void kata_lines_free(struct kata_line *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].ep);
		free(v[i].json);
	}
	free(v);
}

const char *strip_print_location(const char *s)
{
	const char *c = strstr(s, ".rego:");
	if (c == NULL)
		return s;
	c += 6;
	while (*c >= '0' && *c <= '9')
		c++;
	return (c[0] == ':' && c[1] == ' ') ? c + 2 : s;
}
