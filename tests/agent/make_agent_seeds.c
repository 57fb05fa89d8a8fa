/* Writes the seed corpus of fuzz/fuzz_agent_requests.c: the recorded Kata
 * requests (tests/rego/kata/, KATA_DIR) encoded as that target reads them,
 * one byte naming the method of grpc.AgentService, then the protobuf
 * payload. At most PER_TYPE requests of each type, two per scenario.
 *
 * Usage: make-agent-seeds OUT_DIR   (then copy the files of OUT_DIR into
 * fuzz/corpus/agent_requests/) */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.pb-c.h"
#include "pbjson.h"
#include "ttrpc.h"

#define PER_TYPE 12

static int method_index(const ProtobufCMessageDescriptor *d)
{
	const ProtobufCServiceDescriptor *sd = &grpc__agent_service__descriptor;
	for (unsigned i = 0; i < sd->n_methods; i++)
		if (sd->methods[i].input == d)
			return (int)i;
	return -1;
}

/* Payloads written so far (the same bytes are written once). */
static uint8_t *seen[512];
static size_t seen_len[512], n_seen;

static int write_seed(const char *dir, const char *name, int mi, const uint8_t *p, size_t plen)
{
	for (size_t i = 0; i < n_seen; i++)
		if (seen_len[i] == plen + 1 && seen[i][0] == mi && memcmp(seen[i] + 1, p, plen) == 0)
			return 0;
	if (n_seen == sizeof(seen) / sizeof(seen[0]))
		return 0;
	uint8_t *b = malloc(plen + 1);
	b[0] = (uint8_t)mi;
	if (plen)
		memcpy(b + 1, p, plen);
	seen[n_seen] = b;
	seen_len[n_seen++] = plen + 1;
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(b, 1, plen + 1, f) != plen + 1 || fclose(f) != 0) {
		fprintf(stderr, "%s: write failed\n", path);
		exit(1);
	}
	return 1;
}

/* Requests the recordings do not have: each method at least once. */
static size_t synthetic(const char *dir, const unsigned *count)
{
	size_t written = 0;
	uint8_t *p = NULL;
	size_t plen = 0;
	uint8_t target[] = "..data/token";
	Grpc__CopyFileRequest cf = GRPC__COPY_FILE_REQUEST__INIT;
	cf.path = (char *)"/run/kata-containers/shared/containers/abc-0123456789abcdef-token";
	cf.file_mode = 0120777;
	cf.data.data = target;
	cf.data.len = sizeof(target) - 1;
	if (ttrpc_pb_pack(&cf.base, &p, &plen, NULL) == 0)
		written += (size_t)write_seed(dir, "synthetic-CopyFile-symlink",
		                              method_index(&grpc__copy_file_request__descriptor), p, plen);
	free(p);
	uint8_t stdin_data[] = "echo hello\n";
	Grpc__WriteStreamRequest ws = GRPC__WRITE_STREAM_REQUEST__INIT;
	ws.container_id = (char *)"c1";
	ws.exec_id = (char *)"e1";
	ws.data.data = stdin_data;
	ws.data.len = sizeof(stdin_data) - 1;
	if (ttrpc_pb_pack(&ws.base, &p, &plen, NULL) == 0)
		written += (size_t)write_seed(dir, "synthetic-WriteStdin",
		                              method_index(&grpc__write_stream_request__descriptor), p, plen);
	free(p);
	Grpc__SetPolicyRequest sp = GRPC__SET_POLICY_REQUEST__INIT;
	sp.policy = (char *)"package agent_policy\ndefault CopyFileRequest := false\n";
	if (ttrpc_pb_pack(&sp.base, &p, &plen, NULL) == 0)
		written += (size_t)write_seed(dir, "synthetic-SetPolicy",
		                              method_index(&grpc__set_policy_request__descriptor), p, plen);
	free(p);
	const ProtobufCServiceDescriptor *sd = &grpc__agent_service__descriptor;
	for (unsigned i = 0; i < sd->n_methods; i++) {
		if (count[i] > 0)
			continue;
		char name[128];
		snprintf(name, sizeof(name), "synthetic-%s-empty", sd->methods[i].name);
		written += (size_t)write_seed(dir, name, (int)i, NULL, 0);
	}
	return written;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make-agent-seeds OUT_DIR\n");
		return 2;
	}
	unsigned count[64] = {0};
	size_t written = 0;
	for (size_t s = 0; s < kata_n_scenarios; s++) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s/%s", kata_dir(), kata_scenarios[s]);
		unsigned per_scenario[64] = {0};
		struct kata_line *lines = NULL;
		size_t n = 0;
		if (kata_lines_read(dir, &lines, &n) < 0) {
			fprintf(stderr, "%s: cannot read inputs.txt\n", dir);
			return 1;
		}
		for (size_t i = 0; i < n; i++) {
			const ProtobufCMessageDescriptor *d = pbjson_request_type(lines[i].ep);
			int mi = d ? method_index(d) : -1;
			if (mi < 0 || count[mi] >= PER_TYPE || per_scenario[mi] >= 2)
				continue;
			json_t *j = json_loadb(lines[i].json, lines[i].len, 0, NULL);
			ProtobufCMessage *m = NULL;
			char why[256];
			if (j == NULL || pbjson_to_pb(d, j, &m, why, sizeof(why)) < 0) {
				fprintf(stderr, "%s #%zu: %s\n", kata_scenarios[s], i, why);
				return 1;
			}
			json_decref(j);
			uint8_t *p = NULL;
			size_t plen = 0;
			if (ttrpc_pb_pack(m, &p, &plen, NULL) < 0)
				return 1;
			protobuf_c_message_free_unpacked(m, NULL);
			char name[256];
			snprintf(name, sizeof(name), "%s-%03zu-%s", kata_scenarios[s], i, lines[i].ep);
			if (!write_seed(argv[1], name, mi, p, plen)) {
				free(p);
				continue;
			}
			free(p);
			count[mi]++;
			per_scenario[mi]++;
			written++;
		}
		kata_lines_free(lines, n);
	}
	written += synthetic(argv[1], count);
	printf("%zu seeds written to %s\n", written, argv[1]);
	return 0;
}
