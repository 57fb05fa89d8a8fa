#!/usr/bin/env bash
# The image part of the demo (run by scripts/demo.sh after the build): an
# image owner encrypts an image while pushing it to a registry, and the
# "guest" pulls it with the key, under a signature policy, into an OCI
# bundle; without the key the pull is refused and leaves nothing behind.
#   1. docker-registry on 127.0.0.1 (a free port; stopped by PID at exit);
#   2. umoci builds a one-layer image (a file and a command);
#   3. `cocoon image copy --encryption-key jwe:owner-pub.pem` pushes it;
#   4. `cocoon image pull` without the key: refused;
#   5. `cocoon image pull --decryption-key owner.pem --policy policy.json`:
#      the bundle's rootfs holds the file, config.json the command.
#
# Usage: bash scripts/demo_image.sh COCOON OUTDIR
set -euo pipefail

if (($# != 2)); then
	sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
cocoon=$(realpath "$1")
out=$(realpath -m "$2")
rm -rf "$out"
mkdir -p "$out"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$out/registry.yml" <<EOF
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $out/registry-data}}
http: {addr: 127.0.0.1:$port}
EOF
docker-registry serve "$out/registry.yml" >"$out/registry.log" 2>&1 &
registry_pid=$!
trap 'kill "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
	(echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done

echo
echo "==> image owner: build an image, encrypt its layer while pushing it"
umoci init --layout "$out/layout" >/dev/null
umoci new --image "$out/layout:app" >/dev/null
umoci unpack --image "$out/layout:app" "$out/build" >/dev/null
echo "hello from an encrypted layer" >"$out/build/rootfs/hello.txt"
umoci repack --image "$out/layout:app" "$out/build" >/dev/null
umoci config --image "$out/layout:app" --config.cmd /bin/cat --config.cmd /hello.txt >/dev/null
openssl genrsa -out "$out/owner.pem" 2048 2>/dev/null
openssl rsa -in "$out/owner.pem" -pubout -out "$out/owner-pub.pem" 2>/dev/null
ref=docker://127.0.0.1:$port/demo/app:encrypted
echo "\$ cocoon image copy --dest-tls-verify=false --encryption-key jwe:owner-pub.pem oci:layout:app $ref"
"$cocoon" image copy --dest-tls-verify=false --encryption-key "jwe:$out/owner-pub.pem" \
	"oci:$out/layout:app" "$ref"

cat >"$out/policy.json" <<EOF
{"default": [{"type": "reject"}],
 "transports": {"docker": {"127.0.0.1:$port/demo": [{"type": "insecureAcceptAnything"}]}}}
EOF

echo
echo "==> without the key: the pull is refused and leaves no bundle"
echo "\$ cocoon image pull --tls-verify=false --policy policy.json $ref bundle-nokey"
if "$cocoon" image pull -q --tls-verify=false --policy "$out/policy.json" "$ref" "$out/bundle-nokey" 2>"$out/nokey.err"; then
	echo "demo_image.sh: a pull without the key succeeded" >&2
	exit 1
fi
sed 's/^/    /' "$out/nokey.err"
if [[ -e $out/bundle-nokey ]]; then
	echo "demo_image.sh: the failed pull left $out/bundle-nokey" >&2
	exit 1
fi

echo
echo "==> with the key (in the guest it comes from the KBS after attestation)"
echo "\$ cocoon image pull --tls-verify=false --policy policy.json --decryption-key owner.pem $ref bundle"
"$cocoon" image pull --tls-verify=false --policy "$out/policy.json" --decryption-key "$out/owner.pem" \
	"$ref" "$out/bundle"
echo "bundle/rootfs/hello.txt: $(cat "$out/bundle/rootfs/hello.txt")"
echo "bundle/config.json process.args: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["process"]["args"])' "$out/bundle/config.json")"
if [[ $(cat "$out/bundle/rootfs/hello.txt") != "hello from an encrypted layer" ]]; then
	echo "demo_image.sh: unexpected rootfs content" >&2
	exit 1
fi
