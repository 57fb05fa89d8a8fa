/* Every cap in cocoon lives here, with the reason for its value
 * (docs/limits.md). Runtime-configurable caps take these as defaults. */
#ifndef COCOON_LIMITS_H
#define COCOON_LIMITS_H

/* ---- Rego engine ---------------------------------------------------- */

/* Largest policy module source. Kata raises regorus' 1 MiB default to
 * 16 MiB because genpolicy policies embed a large policy_data document. */
#define CC_REGO_MAX_POLICY_BYTES (16u * 1024u * 1024u)

/* Longest source line: genpolicy emits policy_data lines over 1 KiB;
 * Kata configures regorus with 64 KiB. */
#define CC_REGO_MAX_LINE_BYTES (64u * 1024u)

/* Most lines in one module (Kata's regorus setting). */
#define CC_REGO_MAX_LINES 200000u

/* Deepest nesting of terms/expressions the parser accepts before it stops
 * with an error instead of recursing further (each level costs C stack). */
#define CC_REGO_MAX_PARSE_DEPTH 512u

/* Deepest chain of rule/function calls, comprehensions and `with` during
 * evaluation. OPA has no cap (Go stacks grow); ours keeps C stacks bounded. */
#define CC_REGO_MAX_EVAL_DEPTH 1000u

/* C stack bytes an evaluation may use before it fails with an error.
 * The main thread has 8 MiB; daemons give evaluation threads at least 8 MiB. */
#define CC_REGO_MAX_STACK_BYTES (6u * 1024u * 1024u)

/* Evaluation steps (expression evaluations plus iterations) before an
 * evaluation is stopped: bounds run time of hostile or runaway policies.
 * The largest Kata request needs well under 1e6 steps. */
#define CC_REGO_MAX_STEPS 100000000ull

/* Bytes an evaluation may allocate (arena). Kata guests have 2 GB RAM. */
#define CC_REGO_MAX_EVAL_MEMORY (512ull * 1024u * 1024u)

/* Largest JSON input/data document handed to the engine. */
#define CC_REGO_MAX_JSON_BYTES (64u * 1024u * 1024u)

/* Deepest nesting of a JSON/YAML document converted to Rego values. */
#define CC_REGO_MAX_JSON_DEPTH 256u

/* Largest result of numbers.range / strings / arrays a builtin may build
 * (elements); bigger requests fail with a builtin error. */
#define CC_REGO_MAX_BUILTIN_ELEMS (16u * 1024u * 1024u)

/* Print lines collected per evaluation (Kata logs them). */
#define CC_REGO_MAX_PRINT_BYTES (16u * 1024u * 1024u)
/* Largest --explain trace of one evaluation (then "... trace truncated"). */
#define CC_REGO_MAX_TRACE_BYTES (16u * 1024u * 1024u)

/* Largest integer (in bits) exact arithmetic builds: about 79,000 decimal
 * digits. OPA has no cap (Go grows big.Int until memory runs out); the cap
 * keeps products, shifts and decimal conversions bounded in time. Bigger
 * results fail with a builtin error. */
#define CC_REGO_MAX_INT_BITS (1u << 18)
/* Longest big-integer text converted to a number (digits for the bits). */
#define CC_REGO_MAX_INT_DIGITS 78914u

/* Deepest nesting of a value (arrays, sets, objects inside each other).
 * Comparison, equality, printing and copying recurse over values, so every
 * constructor refuses to build deeper ones: a policy that tries gets an
 * eval_cancel_error instead of a stack overflow. JSON input is capped far
 * lower (CC_REGO_MAX_JSON_DEPTH). */
#define CC_REGO_MAX_VALUE_DEPTH 4096u

/* Most nodes a value may have when shared parts are counted each time they
 * appear: `x1 := {x0: x0}`, `x2 := {x1: x1}`, ... doubles at every step,
 * and comparison, printing and copying walk every appearance. The cap keeps
 * those walks linear in what memory would allow for a plain tree. */
#define CC_REGO_MAX_VALUE_NODES (64u * 1024u * 1024u)

/* Deepest value `walk` descends into (it recurses over the value). */
#define CC_REGO_MAX_WALK_DEPTH 10000u

/* Compiled queries kept per engine (Kata uses one per request type, about
 * 40); when full, the program is recompiled and the cache starts over. */
#define CC_REGO_QUERY_CACHE 64u

/* Longest dotted name of a called function (`a.b.c(...)`) and longest rule
 * head reference the compiler accepts: far beyond real policies. */
#define CC_REGO_MAX_NAME_SEGMENTS 64u
#define CC_REGO_MAX_HEAD_TERMS 64u

/* Memo entries the parser keeps for backtracking over terms (~30 MiB);
 * beyond, entries are replaced, so hostile input costs time, not memory. */
#define CC_REGO_PARSE_MEMO (1u << 18)

/* Compiled regular expressions cached per engine (Kata policies use a few
 * dozen patterns); the least recently used is evicted. */
#define CC_REGO_REGEX_CACHE 256u

/* One regex match may backtrack at most this many times and use at most
 * this much PCRE2 heap (KiB) before it fails with "regular expression match
 * limit exceeded": PCRE2 backtracks where RE2 is linear, so a hostile
 * subject against a pattern like `(a+)+$` is bounded here (~0.1 s). */
#define CC_REGO_REGEX_MATCH_LIMIT 10000000u
#define CC_REGO_REGEX_HEAP_KIB (64u * 1024u)

/* Steps regex.globs_match may take deciding whether two patterns intersect
 * (the check is a search over pairs of automaton states). */
#define CC_REGO_GLOBS_STEPS 10000000L

/* Largest zoneinfo (TZif) file time.* reads: real ones are under 4 KiB. */
#define CC_REGO_MAX_TZIF_BYTES (256u * 1024u)

/* Longest test.sleep: a policy must not stall the agent. */
#define CC_REGO_MAX_SLEEP_NS 1000000000LL

/* io.jwt.*: longest key text (PEM, JWK or JWK set) a call reads, and most
 * keys in one JWK set (each may cost a signature check). */
#define CC_REGO_JWT_MAX_KEY_BYTES (1u << 20)
#define CC_REGO_JWT_MAX_KEYS 64u

/* crypto.* / crypto.x509.*: longest input (PEM, or base64 of PEM/DER) a
 * call reads, most certificates or private keys in one input, and most
 * items of one certificate list field (SANs, extensions, name entries). */
#define CC_REGO_CRYPTO_MAX_INPUT_BYTES (1u << 20)
#define CC_REGO_CRYPTO_MAX_CERTS 64u
#define CC_REGO_CRYPTO_MAX_KEYS 64u
#define CC_REGO_CRYPTO_MAX_CERT_ITEMS 1024u

/* Deepest value the JSON/YAML writers descend into (they recurse). */
#define CC_REGO_MAX_ENCODE_DEPTH 10000

/* json.match_schema / json.verify_schema: nesting of schemas (compile and
 * validation recursion, so a $ref cycle that consumes no input ends here)
 * and sub-validations per call (anyOf/oneOf over $ref can be exponential). */
#define CC_REGO_MAX_SCHEMA_DEPTH 256u
#define CC_REGO_MAX_SCHEMA_STEPS 1000000u

/* strings.render_template: output bytes and executed template nodes
 * (nested ranges over a large object multiply). */
#define CC_REGO_MAX_TEMPLATE_OUTPUT (16u * 1024u * 1024u)
#define CC_REGO_MAX_TEMPLATE_STEPS 1000000u

/* graphql.*: bytes of one query or schema text, nesting of selection
 * sets, values and types (the parser recurses), definitions plus
 * selections per document, and validation work per call (fragment
 * spreads are followed once per operation). */
#define CC_REGO_MAX_GRAPHQL_BYTES (1u * 1024u * 1024u)
#define CC_REGO_MAX_GRAPHQL_DEPTH 128u
#define CC_REGO_MAX_GRAPHQL_NODES 100000u
#define CC_REGO_MAX_GRAPHQL_STEPS 1000000u

/* ---- image service (lib/image, docs/image.md) ------------------------ */
/* Each part of lib/image keeps its caps in its own block below. */

/* -- registry and manifests -- */

/* Largest manifest or index a registry may send: containerd and
 * distribution cap manifests at 4 MiB. */
#define CC_IMG_MAX_MANIFEST_BYTES (4u * 1024u * 1024u)

/* Largest image config blob (JSON): real ones are a few KiB; history and
 * labels can grow, containerd reads configs whole with no cap. */
#define CC_IMG_MAX_CONFIG_BYTES (8u * 1024u * 1024u)

/* Most layers in one image (Docker's overlay2 stops at 128; 256 leaves room
 * for OCI images built by other tools) and most manifests in one index. */
#define CC_IMG_MAX_LAYERS 256u
#define CC_IMG_MAX_INDEX_ENTRIES 1024u

/* Largest compressed (or encrypted) layer blob: the descriptor's size must
 * not be above this. */
#define CC_IMG_MAX_BLOB_BYTES (64ull * 1024u * 1024u * 1024u)

/* Largest body of any other registry answer (token, error JSON). */
#define CC_IMG_MAX_SMALL_BODY (1u * 1024u * 1024u)

/* Longest image reference string (distribution/reference caps names at
 * 255 characters; tag 128, digest 7 + 128). */
#define CC_IMG_MAX_REF_BYTES 4096u

/* -- unpack -- */

/* Most bytes one layer may expand to, and most tar entries in one layer:
 * a gzip or zstd bomb stops here (runtime-configurable). */
#define CC_IMG_MAX_LAYER_UNPACKED (64ull * 1024u * 1024u * 1024u)
#define CC_IMG_MAX_LAYER_ENTRIES 2000000u

/* Longest path and link target in a tar entry (Linux PATH_MAX). */
#define CC_IMG_MAX_TAR_PATH 4096u

/* Largest extended attribute value restored from a tar entry (Linux caps
 * values at 64 KiB). */
#define CC_IMG_MAX_XATTR_BYTES (64u * 1024u)

/* Most xattrs restored on one tar entry: a PAX header can carry thousands
 * (libarchive caps the header at 1 MiB); real images carry a handful. */
#define CC_IMG_MAX_ENTRY_XATTRS 256u

/* Largest /etc/passwd or /etc/group read from an unpacked rootfs to resolve
 * the image's User (runc reads them whole with no cap; real ones are a
 * few KiB, big directory-service dumps a few MiB). */
#define CC_IMG_MAX_PASSWD_BYTES (16u * 1024u * 1024u)

/* -- ocicrypt -- */

/* Largest base64 annotation value (wrapped keys, pubopts) decoded. */
#define CC_IMG_MAX_ANNOTATION_BYTES (1u * 1024u * 1024u)

/* Most comma-separated wrapped keys tried in one enc.keys.* annotation
 * (Go tries all; one per recipient, images have a handful). */
#define CC_IMG_MAX_WRAPPED_KEYS 64u

/* Largest key, certificate or password file read (keys are a few KiB). */
#define CC_IMG_MAX_KEY_FILE_BYTES (1u * 1024u * 1024u)

/* Largest keyprovider protocol message either way (a PLBCO is ~200 bytes,
 * a wrapped annotation a few KiB), and most stderr kept for messages. */
#define CC_IMG_MAX_KEYPROVIDER_MSG (1u * 1024u * 1024u)
#define CC_IMG_MAX_KEYPROVIDER_STDERR 4096u

/* How long a cmd keyprovider may run before it is killed (Go waits
 * forever; a provider that fetches a KEK from a KBS needs seconds). */
#define CC_IMG_KEYPROVIDER_TIMEOUT_MS 60000

/* Most key providers in OCICRYPT_KEYPROVIDER_CONFIG and most arguments of
 * a cmd provider. */
#define CC_IMG_MAX_KEYPROVIDERS 64u
#define CC_IMG_MAX_KEYPROVIDER_ARGS 64u

/* -- signatures -- */

/* Largest signature (simple signing or cosign payload) read. */
#define CC_IMG_MAX_SIGNATURE_BYTES (4u * 1024u * 1024u)

/* Largest containers-policy.json parsed (real policies are a few KiB). */
#define CC_IMG_MAX_SIG_POLICY_BYTES (4u * 1024u * 1024u)

/* Largest registries.d / sigstore config YAML document, and deepest
 * nesting skipped in it (the format is three levels deep). */
#define CC_IMG_MAX_SIG_CONFIG_BYTES (1u * 1024u * 1024u)
#define CC_IMG_MAX_SIG_YAML_DEPTH 64u

/* Largest public key or GPG keyring read for a policy requirement (a
 * keyring with a few RSA-4096 keys is tens of KiB). */
#define CC_IMG_MAX_SIG_KEY_BYTES (1u * 1024u * 1024u)

/* Most signatures read for one image from a lookaside (signature-1 ..
 * signature-128, containers/image's maxLookasideSignatures) and most
 * layers of a cosign signature manifest. */
#define CC_IMG_MAX_SIGNATURES 128u

/* Seconds an http(s) lookaside read may take in all, and to connect. */
#define CC_IMG_SIG_HTTP_TIMEOUT_S 60L
#define CC_IMG_SIG_HTTP_CONNECT_TIMEOUT_S 30L

/* ---- ttrpc (lib/ttrpc, docs/ttrpc.md) ------------------------------- */

/* Largest frame payload either way: containerd/ttrpc's messageLengthMax.
 * A bigger incoming frame is skipped and answered RESOURCE_EXHAUSTED on its
 * stream; the connection stays. */
#define CC_TTRPC_MAX_MESSAGE_BYTES (4u * 1024u * 1024u)

/* Requests one server connection may have running at once, each in a
 * thread of its own (Go runs one goroutine per request, unbounded); past
 * it a request is answered RESOURCE_EXHAUSTED at once. Kata's shim keeps
 * about three long-polls per process (WaitProcess, ReadStdout, ReadStderr)
 * plus GetOOMEvent. Also the most calls a client lets wait on one
 * connection. Runtime-configurable (ttrpc_server_opts.max_calls). */
#define CC_TTRPC_MAX_CALLS 128u

/* Connections one server serves at once (the agent has one, a shim a
 * few). Runtime-configurable (ttrpc_server_opts.max_conns). */
#define CC_TTRPC_MAX_CONNS 64u

/* Metadata of one request: entries, and bytes of keys plus values.
 * containerd sends one entry (its namespace), Kata a few trace headers. */
#define CC_TTRPC_MAX_METADATA_ENTRIES 64u
#define CC_TTRPC_MAX_METADATA_BYTES (64u * 1024u)

/* Bytes protobuf-c may allocate decoding one message: wire bytes expand
 * into structs and pointer arrays (an empty repeated sub-message is 2 wire
 * bytes and ~60 bytes in memory), so this is 8 times the largest message. */
#define CC_TTRPC_MAX_DECODE_BYTES (8u * CC_TTRPC_MAX_MESSAGE_BYTES)

/* Deepest nesting of protobuf messages the wire validator accepts. No
 * message type cocoon uses is recursive (a unit test checks), so real
 * messages nest at most 8 deep; protobuf-c's decoder recurses per level. */
#define CC_TTRPC_MAX_PB_DEPTH 32u

/* ---- cocoon-agent (src/agent, docs/agent.md) --------------------------- */

/* The policy input document built from one request (src/agent/front_json.c).
 * A 4 MiB message can become at most about 24 MiB of JSON (bytes as arrays
 * of numbers, 4 characters a byte; control characters in strings escaped
 * as \u00XX, 6 a byte); this is a backstop above that, equal to the Rego
 * engine's JSON cap (CC_REGO_MAX_JSON_BYTES). */
#define CC_AGENT_MAX_POLICY_INPUT_BYTES (64u * 1024u * 1024u)

/* The policy's print output quoted in the PERMISSION_DENIED message sent
 * back to the host (Kata sends all of it; a genpolicy denial of
 * CreateContainer prints hundreds of lines). The agent's log gets up to
 * CC_AGENT_MAX_LOGGED_PRINT_BYTES of it. */
#define CC_AGENT_MAX_DENY_MESSAGE_BYTES (64u * 1024u)
#define CC_AGENT_MAX_LOGGED_PRINT_BYTES (1u * 1024u * 1024u)

/* The agent's JSON config file (--config, agent.config_file) and the
 * kernel command line it reads (Linux's COMMAND_LINE_SIZE is 2 KiB on x86). */
#define CC_AGENT_MAX_CONFIG_BYTES (64u * 1024u)
#define CC_AGENT_MAX_CMDLINE_BYTES (64u * 1024u)

/* Reopening a virtio-serial channel after end of file (the host is not
 * connected yet, or went away): the wait starts at MIN and doubles up to
 * MAX, and is back to MIN after a connection that lasted a second or more. */
#define CC_AGENT_CHANNEL_BACKOFF_MIN_MS 10
#define CC_AGENT_CHANNEL_BACKOFF_MAX_MS 1000

/* On SIGTERM/SIGINT, calls in flight get this long to finish before they
 * are cancelled. */
#define CC_AGENT_SHUTDOWN_GRACE_MS 5000

/* -- the agent's runtime (src/agent/rt_*.c) -- */

/* Containers of the sandbox at once. A pod rarely has more than a dozen;
 * each one costs an OCI runtime state dir, a bundle and a cgroup. */
#define CC_AGENT_MAX_CONTAINERS 64u

/* Processes (container inits and exec'd processes) known at once, over the
 * whole sandbox. Each holds up to 5 descriptors (3 stdio, pidfd, exit
 * eventfd), so 128 stays far below the usual 1024 open-file limit. An
 * exec'd process leaves the table once it has been waited for and its
 * output was read to the end. */
#define CC_AGENT_MAX_PROCESSES 128u

/* Children of the agent watched by the reaper (OCI runtime invocations and
 * the processes above). */
#define CC_AGENT_MAX_CHILDREN (CC_AGENT_MAX_PROCESSES + 64u)

/* Exit statuses of children reaped before anyone asked for them (a process
 * that ended before its pid file was read), kept in a ring. */
#define CC_AGENT_REAPED_RING 64u

/* Kernel buffer of each stdout/stderr pipe (F_SETPIPE_SZ): the output a
 * container may write before a ReadStdout/ReadStderr. When it is full the
 * container's write blocks (the agent keeps no copy of its own). */
#define CC_AGENT_PIPE_BYTES (256u * 1024u)

/* Bytes one ReadStdout/ReadStderr returns at most (the request's len is
 * clamped; 0 asks for the default). The response must fit a ttrpc message. */
#define CC_AGENT_MAX_READ_BYTES (1u * 1024u * 1024u)
#define CC_AGENT_DEFAULT_READ_BYTES (32u * 1024u)

/* Container and exec ids: length (Kata's ids are 64 hex digits). */
#define CC_AGENT_MAX_ID_BYTES 128u

/* A path built by the agent or taken from a request. */
#define CC_AGENT_MAX_PATH 4096u

/* One OCI runtime invocation (create, start, exec, kill, ...); Kata waits
 * 60 s for CreateContainer. */
#define CC_AGENT_OCI_TIMEOUT_MS 60000

/* What is read back of the OCI runtime's log to explain a failure. */
#define CC_AGENT_OCI_LOG_BYTES (64u * 1024u)

/* CopyFile: the size of one file (Kubernetes caps Secrets and ConfigMaps
 * at 1 MiB; the Kata runtime sends 1 MiB chunks) and of a symlink target. */
#define CC_AGENT_COPYFILE_MAX_BYTES (16u * 1024u * 1024u)
#define CC_AGENT_COPYFILE_MAX_LINK 4095u

/* CreateSandbox: DNS lines and storages; CreateContainer: storages. */
#define CC_AGENT_MAX_DNS 32u
#define CC_AGENT_MAX_DNS_LINE 1024u
#define CC_AGENT_MAX_STORAGES 64u

/* OOM events queued until a GetOOMEvent takes them (older ones are
 * dropped). */
#define CC_AGENT_MAX_OOM_EVENTS 64u

/* Network: links, addresses per request, routes a dump may return, and the
 * bytes of one netlink dump. */
#define CC_AGENT_MAX_LINKS 1024u
#define CC_AGENT_MAX_ADDRS 256u
#define CC_AGENT_MAX_ROUTES 4096u
#define CC_AGENT_MAX_NL_DUMP_BYTES (16u * 1024u * 1024u)

/* A cgroup or /proc file read for stats. */
#define CC_AGENT_MAX_STAT_FILE 65536u

/* ---- containerd-shim-cocoon-v2 (src/shim, docs/shim.md) ---------------- */

/* A bundle's config.json (containerd writes it; Kubernetes specs are a few
 * KiB, a spec must fit a 4 MiB ttrpc message to reach the agent anyway). */
#define CC_SHIM_MAX_SPEC_BYTES (4u * 1024u * 1024u)

/* The runtime options containerd writes on the stdin of `start`. */
#define CC_SHIM_MAX_OPTIONS_BYTES (1u * 1024u * 1024u)

/* Largest agent policy the shim sends with SetPolicy from the pod's
 * io.katacontainers.config.agent.policy annotation (base64 of the Rego
 * text): the SetPolicy message must fit one 4 MiB ttrpc message; genpolicy
 * policies are 60-200 KiB. */
#define CC_SHIM_MAX_AGENT_POLICY_BYTES (3u * 1024u * 1024u)

/* Containers one pod's shim serves, and exec processes per container
 * (Kubernetes pods have a few containers; each exec costs three threads). */
#define CC_SHIM_MAX_CONTAINERS 256u
#define CC_SHIM_MAX_EXECS 256u

/* Events waiting to be forwarded to containerd, and tries per event
 * (containerd's shim library: a 2048-entry queue, 5 tries). */
#define CC_SHIM_EVENT_QUEUE 2048u
#define CC_SHIM_EVENT_TRIES 5u

/* Bytes asked for per ReadStdout/ReadStderr and sent per WriteStdin (Kata's
 * shim: 32 KiB). */
#define CC_SHIM_STDIO_CHUNK 32768u

/* Host files a container bind-mounts, copied into the guest with CopyFile
 * (no shared file system): bytes and files per container. Kubernetes'
 * hosts, resolv.conf and service account token are a few KiB; config maps
 * and secrets are at most 1 MiB each. */
#define CC_SHIM_MAX_COPY_BYTES (64u * 1024u * 1024u)
#define CC_SHIM_MAX_COPY_ENTRIES 4096u

/* After a process exits, how long its output may still take to reach
 * containerd's fifos before the exit is reported anyway (a daemon the
 * process left behind may hold its stdout open for ever). */
#define CC_SHIM_EXIT_IO_WAIT_MS 5000

/* ---- JOSE and JCS (lib/jose, docs/jose.md) ------------------------------ */

/* Largest JWK or JWK set document parsed (a JWK with a four-certificate
 * x5c chain is about 8 KiB; OIDC providers publish a handful of keys). */
#define CC_JOSE_MAX_JWK_BYTES (1u * 1024u * 1024u)

/* Most keys in one JWK set, and most certificates in one x5c chain. */
#define CC_JOSE_MAX_JWKS_KEYS 256u
#define CC_JOSE_MAX_X5C_CERTS 16u

/* Largest compact JWS/JWT. EAR tokens carry the annotated evidence (claims
 * of the TEE, init-data claims: tens of KiB with a Kata agent policy). */
#define CC_JOSE_MAX_TOKEN_BYTES (4u * 1024u * 1024u)

/* Largest JWE (a KBS resource response; Trustee sets no cap, resources are
 * keys and small configuration files). */
#define CC_JOSE_MAX_JWE_BYTES (64u * 1024u * 1024u)

/* Largest decoded JOSE header (a JWS header with a jwk and a full x5c chain
 * is under 48 KiB). */
#define CC_JOSE_MAX_HEADER_BYTES (64u * 1024u)

/* RSA modulus sizes accepted in a JWK: below 2048 bits is too weak (RFC
 * 7518 3.3), above 16384 bits costs too much time per operation. */
#define CC_JOSE_MIN_RSA_BITS 2048u
#define CC_JOSE_MAX_RSA_BITS 16384u

/* Deepest nesting the JCS writer walks (it recurses); EAR claims nest
 * under 20 levels. */
#define CC_JOSE_MAX_JCS_DEPTH 512u

/* ---- Confidential Data Hub (lib/cdh, src/cdh, docs/cdh.md) ------------- */

/* Largest sealed secret ("sealed." + compact JWS) parsed: it travels as a
 * Kubernetes Secret value, and a Secret is at most 1 MiB. */
#define CC_CDH_MAX_SEALED_BYTES (1u * 1024u * 1024u)

/* ---- TOML (lib/toml, configuration files) ------------------------------ */

/* Largest TOML document parsed (configuration.toml is a few KiB; Kata's
 * biggest shipped one is under 40 KiB). */
#define CC_TOML_MAX_BYTES (1u * 1024u * 1024u)

/* Deepest nesting of tables, arrays and inline tables (dotted keys and
 * [a.b.c] headers count each part); the parser and the free recurse per
 * level. Configuration files nest 3 deep. */
#define CC_TOML_MAX_DEPTH 64u

/* ---- init-data (lib/initdata, docs/initdata.md) ------------------------ */

/* Largest init-data TOML after gunzip: it is parsed with lib/toml, whose
 * cap this is (a genpolicy policy is 60-200 KiB; aa.toml and cdh.toml a
 * few hundred bytes). Inflating stops at the cap: a gzip bomb costs no
 * more than this. */
#define CC_INITDATA_MAX_TOML_BYTES CC_TOML_MAX_BYTES

/* Largest gzip payload (the annotation after base64, the data.img body):
 * Kubernetes caps a pod's annotations at 256 KiB together; this leaves room
 * for containerd-only use and is far below the TOML cap's worst case. */
#define CC_INITDATA_MAX_GZIP_BYTES (1u * 1024u * 1024u)

/* ---- KBS store (lib/kbs/store*.c, docs/kbs-store.md) ------------------- */

/* Longest key in a store namespace: resource paths repo/type/tag (each
 * segment a short name), policy ids, reference value names, session ids
 * (32 hex). */
#define CC_KBS_MAX_KEY_BYTES 1024u

/* Largest value (a resource, a policy, a reference value, a session): above
 * Trustee's default request body cap (payload_request_size = 2 MiB), with
 * room for an operator who raises it; every get holds a value in memory. */
#define CC_KBS_MAX_VALUE_BYTES (16u * 1024u * 1024u)

/* Keys one list call returns (a page; the caller asks again from the last
 * key for more). */
#define CC_KBS_MAX_LIST_KEYS 1024u

/* How long a write waits for another connection's write lock on the same
 * SQLite file before it fails with -EBUSY. */
#define CC_KBS_STORE_BUSY_TIMEOUT_MS 5000

/* Expired entries one sweep transaction deletes (the sweep loops in batches
 * so that it never holds the write lock for long). */
#define CC_KBS_STORE_SWEEP_BATCH 512u

/* ---- KBS server (src/kbs, docs/kbs.md) ---------------------------------- */

/* Live RCAR sessions at once (an /auth past it is refused until the sweep
 * or expiry frees some): each is a store row of about 1 KiB. */
#define CC_KBS_MAX_SESSIONS 100000u

/* Seconds between two sweeps of expired sessions (Trustee's 60 s). */
#define CC_KBS_SWEEP_INTERVAL_S 60u

/* Largest configuration file, policy text (resource or attestation), and
 * key or token file in the state directory. */
#define CC_KBS_MAX_CONFIG_BYTES (1u * 1024u * 1024u)
#define CC_KBS_MAX_POLICY_BYTES (1u * 1024u * 1024u)
#define CC_KBS_MAX_STATE_FILE_BYTES (64u * 1024u)

/* Reference values one RVPS message may register. */
#define CC_KBS_MAX_RV_PER_MESSAGE 1024u

/* Admin identity providers, ACL rules, token trust files
 * (trusted_certs_paths + trusted_jwk_sets) and extra tee-pubkey pointers
 * a configuration may name. */
#define CC_KBS_MAX_ADMIN_IDPS 32u
#define CC_KBS_MAX_ADMIN_ACLS 256u
#define CC_KBS_MAX_TRUST_FILES 64u
#define CC_KBS_MAX_TEEKEY_PATHS 16u

/* Evaluation caps of the KBS's Rego policies (resource and attestation):
 * Trustee's policies take a few thousand steps; a runaway one is stopped
 * long before it stalls a worker. */
#define CC_KBS_POLICY_MAX_STEPS 10000000ull
#define CC_KBS_POLICY_MAX_MEMORY (64u * 1024u * 1024u)

/* Attestation policies compiled and kept per worker thread (default_cpu,
 * default_gpu and a few of the operator's); more are recompiled on use. */
#define CC_KBS_MAX_CACHED_POLICIES 16u

/* Distinct resource paths the resource_path metric label tracks; further
 * paths are counted under resource_path="other". */
#define CC_KBS_MAX_METRIC_PATHS 1024u

/* Verified tokens each worker thread keeps (src/kbs/token_cache.c): a
 * guest fetches several resources with one token, and a full check costs
 * an ECDSA verify. At most ENTRIES tokens and BYTES of token text in all;
 * a token longer than MAX_TOKEN_BYTES (an EAR is a few KiB) is verified
 * on every request. Worst case a few MiB of parsed claims per worker. */
#define CC_KBS_TOKEN_CACHE_ENTRIES 64u
#define CC_KBS_TOKEN_CACHE_BYTES (1u * 1024u * 1024u)
#define CC_KBS_TOKEN_CACHE_MAX_TOKEN_BYTES (64u * 1024u)

/* ---- TDX and SGX quotes (lib/attest/tdx_*.c, docs/attest-tdx.md) ------ */

/* Largest DCAP quote: a real TD quote is about 5 KiB (a 3.7 KiB PEM PCK
 * chain in the certification data); 64 KiB leaves room for longer chains
 * and padding. Larger quotes and base64 of more are refused. */
#define CC_TDX_MAX_QUOTE_BYTES (64u * 1024u)

/* Largest decoded cc_eventlog (CCEL area) in tdx evidence: Trustee's
 * CCEL_data vector is a 1 MiB area. */
#define CC_TDX_MAX_CCEL_BYTES (4u * 1024u * 1024u)

/* Largest --collateral file read (the collateral parser has its own cap). */
#define CC_TDX_MAX_COLLATERAL_FILE_BYTES (4u * 1024u * 1024u)

/* ---- TPM attester and verifier (lib/attest/tpm_*.c, docs/attest-tpm.md) - */

/* Largest TPM evidence JSON text read as a whole (the tools and the fuzz
 * target; a KBS caps its request body first). Upstream's swtpm evidence is
 * 2.9 KiB: an RSA-2048 AK, a 177-byte TPMS_ATTEST, 24 PCRs. */
#define CC_TPM_MAX_EVIDENCE_BYTES (64u * 1024u)

/* Largest decoded evidence field (AK SubjectPublicKeyInfo DER, TPMS_ATTEST,
 * TPMT_SIGNATURE): an RSA-16384 SPKI is about 2 KiB and a TPMS_ATTEST of a
 * quote is under 1 KiB; bigger base64 is refused before it is decoded. */
#define CC_TPM_MAX_FIELD_BYTES 4096u

/* Trusted AK public keys read from a directory (upstream's
 * max_trusted_ak_keys default), and the largest such PEM file. */
#define CC_TPM_MAX_TRUSTED_AKS 100u
#define CC_TPM_MAX_AK_PEM_BYTES (16u * 1024u)

/* Times the attester quotes again when a PCR changed between its quote and
 * its PCR read (the digests then disagree); a busy TPM that changes every
 * time is an error, not a loop. */
#define CC_TPM_QUOTE_ATTEMPTS 3u

/* ---- Azure vTPM verifiers (lib/attest/az_*.c, docs/attest-azure.md) -- */

/* Largest az-snp-vtpm/az-tdx-vtpm evidence JSON read whole (tools, fuzz
 * target). Upstream's largest vector, v0 with byte arrays (a 5 KiB TD
 * quote as up to 4 characters a byte), is 36 KiB. */
#define CC_AZ_MAX_EVIDENCE_BYTES (256u * 1024u)
/* Largest HCL report: the vTPM NV index holds 2600 bytes (a 1236-byte
 * fixed part and about 1.2 KiB of JSON variable data). */
#define CC_AZ_MAX_HCL_REPORT_BYTES (8u * 1024u)
/* Largest VCEK (DER; real ones are 1.3-1.4 KiB) and TD quote in the
 * evidence (real: 5 KiB; the tdx verifier has its own cap). */
#define CC_AZ_MAX_VCEK_BYTES (8u * 1024u)
#define CC_AZ_MAX_TD_QUOTE_BYTES (64u * 1024u)
/* The HCLAkPub RSA modulus: at least 2048 bits (the vTPM's AK is
 * RSA-2048), at most 1024 bytes (RSA-8192) decoded. */
#define CC_AZ_MIN_AK_BITS 2048u
#define CC_AZ_MAX_AK_BYTES 1024u

/* ---- Event logs (lib/attest/eventlog*.c, docs/attest-eventlog.md) ----- */

/* Largest event log read (TCG2/legacy TPM log or CCEL area; Trustee's
 * CCEL_data vector is a 1 MiB area), records in it, one record's event
 * data, and digests (banks) per record or in the Spec ID header. */
#define CC_EVENTLOG_MAX_BYTES (16u * 1024u * 1024u)
#define CC_EVENTLOG_MAX_EVENTS 16384u
#define CC_EVENTLOG_MAX_EVENT_BYTES (1u * 1024u * 1024u)
#define CC_EVENTLOG_MAX_BANKS 8u

/* TPM evidence's optional members: the measured-boot log (base64; real
 * TCG2 logs are 30-100 KiB) and the AK certificate chain (PEM), at most
 * CC_TPM_MAX_AK_CHAIN_CERTS certificates. */
#define CC_TPM_MAX_EVENTLOG_BYTES (1u * 1024u * 1024u)
#define CC_TPM_MAX_AK_CHAIN_BYTES (32u * 1024u)
#define CC_TPM_MAX_AK_CHAIN_CERTS 8u

/* ---- DCAP collateral (lib/attest/dcap_*.c, docs/attest-tdx.md) ------- */

/* Largest collateral JSON (PCS/PCCS bodies or dcap-qvl's
 * QuoteCollateralV3; the real TDX one is 16 KiB, a Processor-CA PCK CRL
 * as hex is the big part), one CRL's DER, one issuer chain's PEM (PCK
 * chain: 3 certificates, about 3.7 KiB), the PCK leaf's SGX extension,
 * TCB levels in one tcbInfo or identity (real ones have under 30),
 * TDX module identities, and advisory IDs on one level. */
#define CC_DCAP_MAX_COLLATERAL_BYTES (2u * 1024u * 1024u)
#define CC_DCAP_MAX_CRL_BYTES (512u * 1024u)
#define CC_DCAP_MAX_CHAIN_PEM_BYTES (32u * 1024u)
#define CC_DCAP_MAX_PCK_EXT_BYTES 4096u
#define CC_DCAP_MAX_TCB_LEVELS 256u
#define CC_DCAP_MAX_MODULE_IDENTITIES 32u
#define CC_DCAP_MAX_ADVISORY_IDS 128u
/* Seconds one PCCS/PCS request of dcap_collateral_fetch may take. */
#define CC_DCAP_FETCH_TIMEOUT_S 30
/* Verified (collateral, PCK chain) results one tdx/sgx verifier keeps
 * (dcap_cache.c; least recently used evicted): one per platform and CA
 * type that attests to this KBS. */
#define CC_DCAP_CACHE_SLOTS 8u

/* ---- HTTP server (lib/httpd, docs/httpd.md) ---------------------------- */

/* Largest request body: Trustee's `payload_request_size` default (2 MiB).
 * Over it the client gets 413. */
#define CC_HTTPD_MAX_BODY_BYTES (2u * 1024u * 1024u)

/* Largest request head (request line and header fields, line ends
 * included): actix-web's limit that Trustee runs with. Multi-GPU EAR tokens
 * sent as a Bearer header can reach 170 KiB (trustee #1563): raise it then.
 * Over it the client gets 431. */
#define CC_HTTPD_MAX_HEADER_BYTES (128u * 1024u)

/* Time a client has to send a whole request head, counted from the accept
 * (TLS handshake included) or from the end of the previous response (so it
 * is also how long an idle keep-alive connection stays open). A total, not
 * an idle timer: a slowloris client that trickles a byte at a time is cut. */
#define CC_HTTPD_HEADER_TIMEOUT_MS 10000u

/* Time a client has to send a whole body once its head is in (2 MiB at
 * 70 KB/s), and longest stall while a response is written. */
#define CC_HTTPD_BODY_TIMEOUT_MS 30000u

/* Connections served at once, all workers together. The next
 * CC_HTTPD_REJECT_SLACK are answered 503 and closed; past that, closed at
 * accept. About 60 KiB each with TLS. */
#define CC_HTTPD_MAX_CONNS 1024u
#define CC_HTTPD_REJECT_SLACK 64u

/* How long a connection answered with an error of our own (431, 503) is
 * read and discarded before it is closed, so the client reads the answer
 * instead of a reset. */
#define CC_HTTPD_LINGER_MS 2000u

/* Default time in-flight requests get at shutdown before they are cut. */
#define CC_HTTPD_SHUTDOWN_GRACE_MS 10000u

/* Most worker event loops (threads) and most listening addresses. */
#define CC_HTTPD_MAX_WORKERS 64u
#define CC_HTTPD_MAX_SOCKETS 16u

/* Stack of a worker thread: handlers evaluate Rego policies, which may use
 * CC_REGO_MAX_STACK_BYTES of it. */
#define CC_HTTPD_WORKER_STACK_BYTES (8u * 1024u * 1024u)

/* Largest certificate chain or private key PEM file loaded. */
#define CC_HTTPD_MAX_PEM_BYTES (1024u * 1024u)

/* ---- KBS client (lib/kbsclient/kbs_*.c, docs/man/cocoon-kbs-client.md) ---- */

/* Largest answer read from a KBS other than a resource: challenges, tokens
 * (at most CC_JOSE_MAX_TOKEN_BYTES, in {"token":..}), error bodies,
 * reference values. Longer answers are cut off with an error. */
#define CC_KBS_CLIENT_MAX_BODY (4u * 1024u * 1024u + 64u * 1024u)

/* Largest resource answer: the JWE of the largest value the KBS store
 * keeps (16 MiB, CC_KBS_MAX_VALUE_BYTES) is 4/3 of it as base64url plus
 * the header. */
#define CC_KBS_CLIENT_MAX_RESOURCE_BODY (24u * 1024u * 1024u)

/* Longest challenge nonce kept: Trustee's is 44 characters (32 random
 * bytes); for se it carries a JSON SeAttestationRequest of a few KiB. */
#define CC_KBS_CLIENT_MAX_NONCE_BYTES (64u * 1024u)

/* Longest "detail" of a Trustee error body shown to the user. */
#define CC_KBS_CLIENT_MAX_DETAIL_BYTES 1024u

/* Largest file sent as part of a request (policy, init-data, evidence) or
 * read as a key or token: Trustee's default request body cap
 * (payload_request_size, 2 MiB). Resource files may be as large as the
 * store's CC_KBS_MAX_VALUE_BYTES; the server says when its cap is lower. */
#define CC_KBS_CLIENT_MAX_FILE_BYTES (2u * 1024u * 1024u)

/* Resource GETs per get-resource when the KBS answers 401 (each 401 starts
 * a new RCAR), and RCAR attempts on transport errors and 5xx answers, 1 s
 * apart: the guest's kbs_protocol client's numbers. */
#define CC_KBS_CLIENT_GET_ATTEMPTS 3u
#define CC_KBS_CLIENT_RCAR_ATTEMPTS 5u
#define CC_KBS_CLIENT_RCAR_RETRY_MS 1000u

/* Seconds a whole request may take (the guest client's reqwest timeout)
 * and a connection may take to open. */
#define CC_KBS_CLIENT_TIMEOUT_S 60
#define CC_KBS_CLIENT_CONNECT_TIMEOUT_S 10

/* Lifetime of the admin JWT signed with --auth-private-key (kbs-client's
 * 2 hours). */
#define CC_KBS_CLIENT_ADMIN_JWT_SECONDS 7200

/* ---- SNP verifier (lib/attest/snp_*.c, docs/attest-snp.md) ------------- */

/* Largest SNP evidence JSON read whole (CLI, fuzz target): the report and
 * its certificate table as JSON integer arrays; upstream's Genoa evidence
 * is 6.6 KiB. */
#define CC_SNP_MAX_EVIDENCE_BYTES (256u * 1024u)
/* Largest certificate (VCEK, VLEK, ASK, ARK; DER or PEM) or CRL read from
 * the evidence, a file, the cache dir or KDS. A VCEK is 1.4 KiB, an ARK
 * 1.6 KiB, AMD's CRLs under 2 KiB. */
#define CC_SNP_MAX_CERT_BYTES (64u * 1024u)
/* Entries of an evidence's cert_chain (the host's cert table holds 3-5). */
#define CC_SNP_MAX_CERT_ENTRIES 16u
/* Seconds a KDS fetch may take (only with allow_fetch). */
#define CC_SNP_KDS_TIMEOUT_S 30

/* ---- guest attesters (lib/attest/{tsm_report,snp_attester,tdx_attester,
 * aael_writer}.c, docs/attest-guest.md) --------------------------------- */

/* Largest configfs-tsm outblob read (an SNP report is 1,184 bytes; a TDX
 * quote with its PCK chain about 5 KiB) and auxblob read (the SNP
 * certificate table: VCEK, ASK, ARK, about 5 KiB). */
#define CC_TSM_MAX_OUTBLOB_BYTES (64u * 1024u)
#define CC_TSM_MAX_AUXBLOB_BYTES (64u * 1024u)
/* Attempts at one configfs-tsm report when its generation shows another
 * writer between our inblob write and our reads. */
#define CC_TSM_ATTEMPTS 3u
/* Largest certificate buffer the SNP_GET_EXT_REPORT ioctl is given (the
 * first try uses 4 pages; a host asking for more than this is refused),
 * and the tries when the firmware answers that the buffer is too small. */
#define CC_SNP_MAX_CERTS_BUF_BYTES (64u * 1024u)
#define CC_SNP_EXT_REPORT_ATTEMPTS 3u
/* Largest AA event log file read (evidence's cc_eventlog) and largest
 * event text ("domain operation content") the writer accepts. */
#define CC_AAEL_MAX_FILE_BYTES (4u * 1024u * 1024u)
#define CC_AAEL_MAX_EVENT_BYTES (64u * 1024u)

/* ---- CLI --------------------------------------------------------------- */

/* Deepest directory tree `cocoon policy -d DIR` walks for policies and data. */
#define CC_CLI_MAX_DIR_DEPTH 32u

#endif
