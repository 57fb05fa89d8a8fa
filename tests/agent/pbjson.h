/* Tests of cocoon-agent's front: Kata's policy input JSON back into a
 * protobuf-c request (the inverse of agent_json_from_pb, table-driven from
 * the same descriptors and src/agent/front_json.h's rules), and helpers to
 * read the recorded Kata vectors (tests/rego/kata/<scenario>/). */
#ifndef COCOON_TESTS_AGENT_PBJSON_H
#define COCOON_TESTS_AGENT_PBJSON_H

#include <jansson.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "front_json.h"

/* The request message of agent.proto whose name is ep
 * ("CreateContainerRequest"); NULL if agent.proto has none. */
const ProtobufCMessageDescriptor *pbjson_request_type(const char *ep);

/* Builds a d message from j (an object in Kata's input shape). Strict:
 * a key that is no field, a value of the wrong JSON type or out of the
 * field's range fails with a message in errbuf naming the path. Keys that
 * are missing leave the field at its default. CopyFileRequest accepts
 * both shapes (symlink_target / symlink_src give data). Free *ret with
 * protobuf_c_message_free_unpacked(*ret, NULL). */
int pbjson_to_pb(const ProtobufCMessageDescriptor *d, json_t *j, ProtobufCMessage **ret,
                 char *errbuf, size_t errlen);

/* One recorded request: a line `["ep":"Name",{...}],` of inputs.txt. */
struct kata_line {
	char *ep;
	char *json; /* the object's text */
	size_t len;
};

/* Reads dir/inputs.txt into *ret (n lines); the caller frees with
 * kata_lines_free. Returns 0 or -1. */
int kata_lines_read(const char *dir, struct kata_line **ret, size_t *n);
void kata_lines_free(struct kata_line *v, size_t n);

/* Reads a whole file (NUL-terminated); NULL on failure. */
char *slurp_file(const char *path, size_t *len);

/* The recorded scenarios (tests/rego/kata/), and their directory. */
extern const char *const kata_scenarios[];
extern const size_t kata_n_scenarios;
/* KATA_DIR from the environment, else the source tree's. */
const char *kata_dir(void);

/* A print line without its "path:line: " prefix. */
const char *strip_print_location(const char *s);

#endif
