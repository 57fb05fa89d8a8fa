/* The OCI runtime spec of a bundle (config.json, JSON) as the agent API
 * carries it (proto/oci.proto, package grpc: Kata's field names and
 * numbers), and what the shim changes in it before CreateContainer, as
 * Kata's runtime does (kata.md §3.5-3.6, §5.1; docs/shim.md). */
#ifndef COCOON_SHIM_OCI_H
#define COCOON_SHIM_OCI_H

#include <stdbool.h>

#include <jansson.h>

#include "cocoon/error.h"
#include "oci.pb-c.h"

/* Converts a JSON object to the protobuf message desc, field by field: a
 * proto field takes the JSON member whose name equals it ignoring case
 * (OCI's "uid" is Kata's "UID"; "ociVersion" is "Version"), maps are JSON
 * objects, repeated fields arrays; members the proto lacks are skipped,
 * null is absent. Numbers must fit the field (-ERANGE names the member).
 * Free *ret with protobuf_c_message_free_unpacked(*ret, NULL). */
int shim_json_to_pb(const ProtobufCMessageDescriptor *desc, json_t *obj, ProtobufCMessage **ret,
                    cc_error **err);

/* The whole spec (config.json's root object). */
int shim_oci_spec(json_t *config, Grpc__Spec **ret, cc_error **err);
/* An exec's process: the JSON of Exec's spec Any (specs.Process). */
int shim_oci_process(const char *json, size_t len, Grpc__Process **ret, cc_error **err);

struct shim_oci_guest {
	const char *container_id;
	const char *sandbox_id;
	const char *guest_run_dir; /* the agent's (Kata: /run/kata-containers) */
	const char *bundle;        /* the host bundle, for Kata's bundle_path annotation */
	bool sandbox;              /* the pod's sandbox container (Kata: pod_sandbox) */
	bool keep_seccomp;         /* false: Kata's disable_guest_seccomp = true */
	char **ret_policy;         /* sandbox: set to a copy of the policy annotation's value */
};

/* Makes a host spec fit the guest as Kata's constrainGRPCSpec and guest
 * pull do: root.path = <guest_run_dir>/<cid>/rootfs (the image is pulled
 * there by the agent; the host rootfs is never read); hooks dropped (host
 * programs); network and cgroup namespaces dropped, other namespace paths
 * emptied (host paths); host devices dropped; seccomp dropped unless
 * keep_seccomp; Kata's container_type and bundle_path annotations added; the agent policy
 * annotation removed (for the sandbox, copied to *ret_policy first).
 * Bind mounts of host paths stay: shim_copy_mounts() (copy.h) copies them
 * into the guest or drops them. */
int shim_oci_for_guest(Grpc__Spec *spec, const struct shim_oci_guest *g, cc_error **err);

/* Kata's legacy agent policy annotation: base64 of the Rego policy the
 * shim sends with SetPolicy before CreateSandbox (kata.md §4.1). */
#define SHIM_POLICY_ANNOTATION "io.katacontainers.config.agent.policy"

/* The value of annotation key in the spec, or NULL. */
const char *shim_oci_annotation(const Grpc__Spec *spec, const char *key);

#endif
