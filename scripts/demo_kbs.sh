#!/usr/bin/env bash
# The KBS part of the demo (run by scripts/demo.sh after the build): an
# attested secret release with cocoon-kbs on its zero-config defaults.
#   1. `cocoon-kbs --state-dir DIR --listen 127.0.0.1:PORT` (plain HTTP on
#      loopback, SQLite and keys in DIR, DIR/admin-token for the admin);
#      stopped by PID at exit;
#   2. the admin stores a secret and a resource policy that releases it
#      only to a TEE whose EAR status is "affirming";
#   3. `cocoon kbs get-resource` with the sample attester: RCAR (auth,
#      attest with evidence bound to the nonce and a fresh TEE key) passes,
#      but the attestation service finds no reference values, the token's
#      status is a warning, and the policy refuses the secret;
#   4. the admin registers the sample TEE's reference values (RVPS);
#   5. the same request now gets the secret, JWE-encrypted to the TEE key
#      and decrypted by the client; the token's claims are shown.
#
# Usage: bash scripts/demo_kbs.sh BUILD_DIR OUTDIR
set -euo pipefail

if (($# != 2)); then
	sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
build=$(realpath "$1")
out=$(realpath -m "$2")
cocoon=$build/src/cocoon/cocoon
kbs=$build/src/kbs/cocoon-kbs
rm -rf "$out"
mkdir -p "$out"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
"$kbs" --state-dir "$out/state" --listen "127.0.0.1:$port" >"$out/kbs.log" 2>&1 &
kbs_pid=$!
trap 'kill "$kbs_pid" 2>/dev/null; wait "$kbs_pid" 2>/dev/null || true' EXIT
up=0
for _ in $(seq 100); do
	if curl -fsS "$url/healthz" >/dev/null 2>&1; then
		up=1
		break
	fi
	sleep 0.1
done
if ((up == 0)); then
	echo "demo_kbs.sh: cocoon-kbs did not start:" >&2
	cat "$out/kbs.log" >&2
	exit 1
fi

echo
echo "==> cocoon-kbs on $url (zero-config: state in $out/state, admin token in state/admin-token)"
ls -l "$out/state" | sed 's/^/    /'
admin=(--url "$url" config --admin-token-file "$out/state/admin-token")
secret="launch code $(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s' "$secret" >"$out/secret.txt"

echo
echo "==> admin: store the secret at default/demo/launch-code, release only to affirming TEEs"
"$cocoon" kbs "${admin[@]}" set-resource --path default/demo/launch-code --resource-file "$out/secret.txt"
"$cocoon" kbs "${admin[@]}" set-resource-policy --affirming

echo
echo "==> guest: cocoon kbs get-resource (sample TEE) before any reference value is registered"
if "$cocoon" kbs --url "$url" get-resource --path default/demo/launch-code >"$out/denied.out" 2>"$out/denied.err"; then
	echo "demo_kbs.sh: the secret was released without reference values" >&2
	exit 1
fi
sed 's/^/    /' "$out/denied.err"
echo "    (refused: the EAR token's status is not affirming)"

echo
echo "==> admin: register the sample TEE's reference values (RVPS)"
"$cocoon" kbs "${admin[@]}" set-sample-reference-value launch_digest abcde
"$cocoon" kbs "${admin[@]}" set-sample-reference-value svn 1
"$cocoon" kbs "${admin[@]}" set-sample-reference-value major_version 1 --as-integer --as-single-value
"$cocoon" kbs "${admin[@]}" set-sample-reference-value minimum_minor_version 4 --as-integer --as-single-value

echo
echo "==> guest: attest, then get the secret"
"$cocoon" kbs --url "$url" attest >"$out/token.jwt"
python3 - "$out/token.jwt" <<'PY'
import base64, json, sys
tok = open(sys.argv[1]).read().strip()
body = tok.split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
cpu = claims["submods"]["cpu0"]
print("    EAR token: iss=%s, cpu0 ear.status=%s, trust vector %s" % (
    claims["iss"], cpu["ear.status"], json.dumps(cpu["ear.trustworthiness-vector"],
                                                  sort_keys=True)))
PY
got=$("$cocoon" kbs --url "$url" get-resource --path default/demo/launch-code | base64 -d)
if [[ $got != "$secret" ]]; then
	echo "demo_kbs.sh: the released resource differs from the secret stored" >&2
	exit 1
fi
echo "    released and decrypted: \"$got\""
if grep -qF "$secret" "$out/kbs.log"; then
	echo "demo_kbs.sh: the secret appears in the KBS log" >&2
	exit 1
fi
echo "    (the KBS log, $out/kbs.log, does not contain it)"
