/* OCI spec JSON -> the agent's protobuf (oci.h). The conversion is driven
 * by protobuf-c's descriptors, so every field of proto/oci.proto is
 * carried without a hand-written line per field. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "oci.h"

static int conv_msg(const ProtobufCMessageDescriptor *d, json_t *obj, ProtobufCMessage **ret,
                    const char *path, cc_error **err);

static bool is_map_entry(const ProtobufCFieldDescriptor *f)
{
	if (f->type != PROTOBUF_C_TYPE_MESSAGE)
		return false;
	const ProtobufCMessageDescriptor *d = f->descriptor;
	size_t n = strlen(d->name);
	return n > 5 && strcmp(d->name + n - 5, "Entry") == 0 && d->n_fields == 2 &&
	       strcmp(d->fields[0].name, "key") == 0;
}

/* The JSON member for proto field f of message d. */
static json_t *member(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f,
                      json_t *obj)
{
	const char *want = f->name;
	if (d == &grpc__spec__descriptor && strcmp(want, "Version") == 0)
		want = "ociVersion";
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v)
	{
		if (strcasecmp(k, want) == 0)
			return json_is_null(v) ? NULL : v;
	}
	return NULL;
}

static size_t scalar_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	default:
		return 8;
	}
}

/* One scalar, string or message value v of field f into *dst. */
static int conv_value(const ProtobufCFieldDescriptor *f, json_t *v, void *dst, const char *path,
                      cc_error **err)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		if (!json_is_string(v))
			return cc_error_set(err, -EINVAL, "%s: expected a string", path);
		size_t n = json_string_length(v);
		const char *s = json_string_value(v);
		if (strlen(s) != n)
			return cc_error_set(err, -EINVAL, "%s: contains a NUL character", path);
		char *c = strdup(s);
		if (c == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		*(char **)dst = c;
		return 0;
	}
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(v))
			return cc_error_set(err, -EINVAL, "%s: expected a boolean", path);
		*(protobuf_c_boolean *)dst = json_is_true(v);
		return 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return conv_msg(f->descriptor, v, (ProtobufCMessage **)dst, path, err);
	default:
		break;
	}
	if (!json_is_integer(v))
		return cc_error_set(err, -EINVAL, "%s: expected an integer", path);
	json_int_t i = json_integer_value(v);
	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT32:
		if (i < 0 || i > UINT32_MAX)
			return cc_error_set(err, -ERANGE, "%s: %lld is not a uint32", path, (long long)i);
		*(uint32_t *)dst = (uint32_t)i;
		return 0;
	case PROTOBUF_C_TYPE_INT32:
		if (i < INT32_MIN || i > INT32_MAX)
			return cc_error_set(err, -ERANGE, "%s: %lld is not an int32", path, (long long)i);
		*(int32_t *)dst = (int32_t)i;
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
		if (i < 0)
			return cc_error_set(err, -ERANGE, "%s: %lld is negative", path, (long long)i);
		*(uint64_t *)dst = (uint64_t)i;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
		*(int64_t *)dst = (int64_t)i;
		return 0;
	default:
		return cc_error_set(err, -EINVAL, "%s: unsupported field type", path);
	}
}

/* A map field: a JSON object of string values -> repeated key/value
 * entries, in the object's order. */
static int conv_map(const ProtobufCFieldDescriptor *f, json_t *v, ProtobufCMessage *m,
                    const char *path, cc_error **err)
{
	if (!json_is_object(v))
		return cc_error_set(err, -EINVAL, "%s: expected an object", path);
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	size_t n = json_object_size(v), i = 0;
	ProtobufCMessage **arr = calloc(n ? n : 1, sizeof(*arr));
	if (arr == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*(ProtobufCMessage ***)((char *)m + f->offset) = arr;
	const char *k;
	json_t *val;
	json_object_foreach(v, k, val)
	{
		ProtobufCMessage *e = calloc(1, ed->sizeof_message);
		if (e == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		ed->message_init(e);
		arr[i++] = e;
		*(size_t *)((char *)m + f->quantifier_offset) = i;
		char *key = strdup(k);
		if (key == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		*(char **)((char *)e + ed->fields[0].offset) = key;
		if (strlen(k) != strlen(key))
			return cc_error_set(err, -EINVAL, "%s: key contains a NUL character", path);
		int r = conv_value(&ed->fields[1], val, (char *)e + ed->fields[1].offset, path, err);
		if (r < 0)
			return cc_error_wrap(err, "%s[\"%s\"]", path, k);
	}
	return 0;
}

static int conv_repeated(const ProtobufCFieldDescriptor *f, json_t *v, ProtobufCMessage *m,
                         const char *path, cc_error **err)
{
	if (!json_is_array(v))
		return cc_error_set(err, -EINVAL, "%s: expected an array", path);
	size_t n = json_array_size(v), es = scalar_size(f->type);
	char *arr = calloc(n ? n : 1, es);
	if (arr == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*(void **)((char *)m + f->offset) = arr;
	for (size_t i = 0; i < n; i++) {
		/* count it first, so a failure frees what was converted */
		*(size_t *)((char *)m + f->quantifier_offset) = i + 1;
		char sub[256];
		snprintf(sub, sizeof(sub), "%.200s[%zu]", path, i);
		int r = conv_value(f, json_array_get(v, i), arr + i * es, sub, err);
		if (r < 0) {
			if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
				*(size_t *)((char *)m + f->quantifier_offset) = i;
			return r;
		}
	}
	return 0;
}

static int conv_msg(const ProtobufCMessageDescriptor *d, json_t *obj, ProtobufCMessage **ret,
                    const char *path, cc_error **err)
{
	if (!json_is_object(obj))
		return cc_error_set(err, -EINVAL, "%s: expected an object", path);
	ProtobufCMessage *m = calloc(1, d->sizeof_message);
	if (m == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	d->message_init(m);
	int r = 0;
	for (unsigned i = 0; i < d->n_fields && r == 0; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		json_t *v = member(d, f, obj);
		if (v == NULL)
			continue;
		char sub[256];
		snprintf(sub, sizeof(sub), "%.200s.%.50s", path, f->name);
		if (f->label == PROTOBUF_C_LABEL_REPEATED)
			r = is_map_entry(f) ? conv_map(f, v, m, sub, err) : conv_repeated(f, v, m, sub, err);
		else
			r = conv_value(f, v, (char *)m + f->offset, sub, err);
		if (r == 0 && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
			*(uint32_t *)((char *)m + f->quantifier_offset) = f->id;
	}
	if (r < 0) {
		protobuf_c_message_free_unpacked(m, NULL);
		return r;
	}
	*ret = m;
	return 0;
}

int shim_json_to_pb(const ProtobufCMessageDescriptor *desc, json_t *obj, ProtobufCMessage **ret,
                    cc_error **err)
{
	return conv_msg(desc, obj, ret, desc->short_name, err);
}

int shim_oci_spec(json_t *config, Grpc__Spec **ret, cc_error **err)
{
	ProtobufCMessage *m;
	int r = shim_json_to_pb(&grpc__spec__descriptor, config, &m, err);
	if (r < 0)
		return cc_error_wrap(err, "config.json");
	*ret = (Grpc__Spec *)m;
	return 0;
}

int shim_oci_process(const char *json, size_t len, Grpc__Process **ret, cc_error **err)
{
	json_error_t je;
	json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL)
		return cc_error_set(err, -EINVAL, "exec process spec: %s", je.text);
	ProtobufCMessage *m;
	int r = shim_json_to_pb(&grpc__process__descriptor, j, &m, err);
	json_decref(j);
	if (r < 0)
		return cc_error_wrap(err, "exec process spec");
	*ret = (Grpc__Process *)m;
	return 0;
}

/* ---- Kata's changes for the guest ------------------------------------------------ */

const char *shim_oci_annotation(const Grpc__Spec *spec, const char *key)
{
	for (size_t i = 0; spec && i < spec->n_annotations; i++)
		if (strcmp(spec->annotations[i]->key, key) == 0)
			return spec->annotations[i]->value;
	return NULL;
}

static void free_msg(void *m)
{
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
}

/* Sets annotation key (replacing an earlier value). */
static int set_annotation(Grpc__Spec *s, const char *key, const char *value, cc_error **err)
{
	for (size_t i = 0; i < s->n_annotations; i++) {
		if (strcmp(s->annotations[i]->key, key) == 0) {
			char *v = strdup(value);
			if (v == NULL)
				return cc_error_set(err, -ENOMEM, "out of memory");
			if (s->annotations[i]->value != protobuf_c_empty_string)
				free(s->annotations[i]->value);
			s->annotations[i]->value = v;
			return 0;
		}
	}
	Grpc__Spec__AnnotationsEntry **a =
	    realloc(s->annotations, (s->n_annotations + 1) * sizeof(*a));
	if (a == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	s->annotations = a;
	Grpc__Spec__AnnotationsEntry *e = malloc(sizeof(*e));
	if (e == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	grpc__spec__annotations_entry__init(e);
	e->key = strdup(key);
	e->value = strdup(value);
	a[s->n_annotations++] = e;
	if (e->key == NULL || e->value == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* Keeps the array elements keep() accepts, frees the others. */
#define FILTER(arr, n, keep_expr)                                                                  \
	do {                                                                                       \
		size_t w_ = 0;                                                                     \
		for (size_t i_ = 0; i_ < (n); i_++) {                                              \
			__typeof__((arr)[0]) it = (arr)[i_];                                       \
			if (keep_expr)                                                             \
				(arr)[w_++] = it;                                                  \
			else                                                                       \
				free_msg(it);                                                      \
		}                                                                                  \
		(n) = w_;                                                                          \
	} while (0)

static void constrain_linux(Grpc__Linux *l, bool keep_seccomp)
{
	FILTER(l->namespaces, l->n_namespaces,
	       strcmp(it->type, "network") != 0 && strcmp(it->type, "cgroup") != 0);
	for (size_t i = 0; i < l->n_namespaces; i++) {
		if (l->namespaces[i]->path != protobuf_c_empty_string)
			free(l->namespaces[i]->path);
		l->namespaces[i]->path = (char *)protobuf_c_empty_string;
	}
	FILTER(l->devices, l->n_devices, false);
	if (l->resources != NULL)
		FILTER(l->resources->devices, l->resources->n_devices, false);
	if (!keep_seccomp) {
		free_msg(l->seccomp);
		l->seccomp = NULL;
	}
}

int shim_oci_for_guest(Grpc__Spec *s, const struct shim_oci_guest *g, cc_error **err)
{
	char *root;
	size_t n = strlen(g->guest_run_dir) + strlen(g->container_id) + 16;
	if ((root = malloc(n)) == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	snprintf(root, n, "%s/%s/rootfs", g->guest_run_dir, g->container_id);
	if (s->root == NULL) {
		if ((s->root = malloc(sizeof(*s->root))) == NULL) {
			free(root);
			return cc_error_set(err, -ENOMEM, "out of memory");
		}
		grpc__root__init(s->root);
	}
	if (s->root->path != protobuf_c_empty_string)
		free(s->root->path);
	s->root->path = root;
	free_msg(s->hooks);
	s->hooks = NULL;
	/* Kata's runtime names the sandbox's network namespace in this
	 * annotation (genpolicy policies check it); the path is dropped below */
	const char *netns = "";
	for (size_t i = 0; g->sandbox && s->linux != NULL && i < s->linux->n_namespaces; i++)
		if (strcmp(s->linux->namespaces[i]->type, "network") == 0 &&
		    s->linux->namespaces[i]->path[0] != '\0') {
			netns = s->linux->namespaces[i]->path;
			break;
		}
	int r = g->sandbox ? set_annotation(s, "nerdctl/network-namespace", netns, err) : 0;
	if (r < 0)
		return r;
	if (s->linux != NULL)
		constrain_linux(s->linux, g->keep_seccomp);
	if (g->sandbox && g->ret_policy != NULL) {
		const char *pol = shim_oci_annotation(s, SHIM_POLICY_ANNOTATION);
		if (pol != NULL && (*g->ret_policy = strdup(pol)) == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
	}
	/* the policy goes to the agent with SetPolicy, not in the spec (as
	 * Kata's runtime does: a policy cannot list its own text) */
	FILTER(s->annotations, s->n_annotations, strcmp(it->key, SHIM_POLICY_ANNOTATION) != 0);
	r = set_annotation(s, "io.katacontainers.pkg.oci.container_type",
	                   g->sandbox ? "pod_sandbox" : "pod_container", err);
	if (r == 0 && g->bundle != NULL)
		r = set_annotation(s, "io.katacontainers.pkg.oci.bundle_path", g->bundle, err);
	return r;
}
