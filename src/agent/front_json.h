/* cocoon-agent: a request message (protobuf-c) as the policy input
 * document, exactly as Kata's agent builds it: serde_json of the
 * rust-protobuf request struct (docs/agent.md, "JSON mapping").
 *
 * The mapping is driven by the protobuf-c descriptors; Kata's special
 * cases are a small table in front_json.c: Rust keywords renamed
 * (`type` -> `type_`), the oneof of LinuxSyscall, the passfd ports
 * older agents did not have, and CopyFileRequest, which Kata evaluates as
 * a pre-processed PolicyCopyFileRequest without its data. */
#ifndef COCOON_AGENT_FRONT_JSON_H
#define COCOON_AGENT_FRONT_JSON_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "cocoon/error.h"

/* Which Kata agent's input documents to reproduce. They differ only in
 * CopyFileRequest and in the passfd ports. */
enum agent_json_shape {
	/* Both generations at once (the default): CopyFileRequest carries
	 * file_type and symlink_target (Kata today) and symlink_src (the
	 * 2024 agent); every field of the request. A policy of either
	 * generation reads what it expects. */
	AGENT_JSON_BOTH = 0,
	/* Kata today (3.2x, 4.x): PolicyCopyFileRequest{path, file_type,
	 * symlink_target, file_size, file_mode, dir_mode, uid, gid, offset}. */
	AGENT_JSON_KATA,
	/* The agents the recorded vectors (tests/rego/kata) come from:
	 * CopyFileRequest without data and with symlink_src (its target for
	 * a symlink, else ""), and the runtime-rs passfd ports
	 * (stdin/stdout/stderr_port) of CreateContainerRequest and
	 * ExecProcessRequest (2024: the k8s-policy-* recordings) or not yet
	 * (2023: the other ones). */
	AGENT_JSON_KATA_2024,
	AGENT_JSON_KATA_2023,
};

/* Parses "both", "kata", "kata-2024", "kata-2023"; -EINVAL otherwise. */
int agent_json_shape_parse(const char *s, enum agent_json_shape *ret);
const char *agent_json_shape_name(enum agent_json_shape shape);

/* The JSON key Kata uses for a field: its proto name, with `_` appended
 * to a Rust keyword (rust-protobuf's rule: Mount.type is `type_`). The
 * result points into buf (size >= 64) or at the descriptor's name. */
const char *agent_json_key(const ProtobufCFieldDescriptor *f, char *buf, size_t size);

/* The oneof a field belongs to, for the oneofs of the agent API
 * (protobuf-c does not keep oneof names): its name ("ErrnoRet") and the
 * variant's name in serde's externally tagged form ("Errnoret"). NULL if
 * f is not a oneof member this table knows. */
const char *agent_json_oneof_name(const ProtobufCMessageDescriptor *msg,
                                  const ProtobufCFieldDescriptor *f, const char **ret_variant);

/* true if a repeated message field is a protobuf map (a <Field>Entry
 * message with key = 1 and value = 2). */
int agent_json_is_map(const ProtobufCFieldDescriptor *f);

/* The size of one element of a repeated field of type t in protobuf-c's
 * arrays. */
size_t agent_pb_elem_size(ProtobufCType t);

/* true if Kata's agent of this shape does not serialize field f of msg. */
int agent_json_field_hidden(const ProtobufCMessageDescriptor *msg,
                            const ProtobufCFieldDescriptor *f, enum agent_json_shape shape);

/* Serializes m as Kata's agent does for the policy (see above). Message
 * fields that are not set are null, empty repeated fields [], empty maps
 * {} (a key sent twice: the last one counts, as a Rust HashMap keeps it),
 * enums and all integers are numbers, bytes are arrays of numbers, unknown
 * fields are left out. On success *ret is a NUL-terminated malloc'd
 * string of *ret_len bytes. Errors: -E2BIG past max_bytes (0 =
 * CC_AGENT_MAX_POLICY_INPUT_BYTES), -EINVAL for a value Kata could not
 * serialize (a symlink target that is not UTF-8), -ENOMEM. */
int agent_json_from_pb(const ProtobufCMessage *m, enum agent_json_shape shape, size_t max_bytes,
                       char **ret, size_t *ret_len, cc_error **err);

#endif
