#!/usr/bin/env bash
# Interop of lib/image/ocicrypt with skopeo (Go containers/ocicrypt), the
# real peer, on OCI layouts only (docs/ocicrypt.md):
#   skopeo encrypts (jwe: RSA and EC keys)  -> our library decrypts every layer
#   our library encrypts                     -> skopeo decrypts every layer
# and the plain layer digests must equal the originals'. The image is built
# with umoci. Usage: skopeo_interop.sh OCLAYOUT_TOOL
set -euo pipefail

tool=$1
for p in skopeo umoci openssl; do
	if ! command -v "$p" >/dev/null; then
		echo "SKIP: $p not installed"
		exit 77
	fi
done

T=$(mktemp -d /tmp/ocicrypt-interop-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T"
export HOME=$T # skopeo reads no user config
rootless=()
if (($(id -u) != 0)); then rootless=(--rootless); fi
passed=0
failed=0

check() { # name expected actual
	if [[ "$2" == "$3" && -n "$2" ]]; then
		passed=$((passed + 1))
		echo "ok: $1"
	else
		failed=$((failed + 1))
		echo "FAIL: $1"
		echo "  expected: $2"
		echo "  got:      $3"
	fi
}

# An image with two layers (one larger than a few cipher buffers).
umoci init --layout img
umoci new --image img:t
umoci unpack "${rootless[@]}" --image img:t bundle >/dev/null
head -c 700001 /dev/urandom >bundle/rootfs/random.bin
echo hello >bundle/rootfs/hello.txt
umoci repack "${rootless[@]}" --image img:t bundle
umoci unpack "${rootless[@]}" --image img:t bundle2 >/dev/null
echo second >bundle2/rootfs/second.txt
umoci repack "${rootless[@]}" --image img:t bundle2
orig=$("$tool" digests img)
check "image has two layers" 2 "$(wc -l <<<"$orig")"

openssl genrsa -out rsa.pem 2048 2>/dev/null
openssl rsa -in rsa.pem -pubout -out rsa.pub 2>/dev/null
# PKCS#8: Debian's skopeo (ocicrypt 1.0.3) does not take a SEC1 "EC PRIVATE
# KEY" for decryption ("missing private key needed for decryption").
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem
openssl ec -in ec.pem -pubout -out ec.pub 2>/dev/null
openssl genrsa -out other.pem 2048 2>/dev/null

for k in rsa ec; do
	# skopeo encrypts, we decrypt
	skopeo copy -q --encryption-key "jwe:$k.pub" oci:img:t "oci:enc-$k:t"
	mts=$(cat "enc-$k/blobs/sha256/"* | grep -ao 'tar+gzip+encrypted' | wc -l || true)
	check "$k: skopeo produced encrypted layers" 2 "$mts"
	check "$k: skopeo -> cocoon" "$orig" "$("$tool" decrypt "enc-$k" "$k.pem")"
	if "$tool" decrypt "enc-$k" other.pem >/dev/null 2>err.txt; then
		check "$k: wrong key refused" refused accepted
	else
		check "$k: wrong key refused" yes "$(grep -q 'no key could unwrap layer' err.txt && echo yes)"
	fi

	# we encrypt, skopeo decrypts
	cp -r img "mine-$k"
	"$tool" encrypt "mine-$k" "jwe:$k.pub"
	check "$k: cocoon encrypted both layers" 0 \
		"$(comm -12 <("$tool" digests "mine-$k" | sort) <(sort <<<"$orig") | wc -l)"
	skopeo copy -q --decryption-key "$k.pem" "oci:mine-$k:t" "oci:dec-$k:t"
	check "$k: cocoon -> skopeo" "$orig" "$("$tool" digests "dec-$k")"
	if skopeo copy -q --decryption-key other.pem "oci:mine-$k:t" "oci:bad-$k:t" 2>/dev/null; then
		check "$k: skopeo refuses the wrong key" refused accepted
	else
		passed=$((passed + 1))
	fi
done

# Two recipients in one JWE: each private key opens it, in both directions.
cp -r img mine-multi
"$tool" encrypt mine-multi jwe:rsa.pub jwe:ec.pub
for k in rsa ec; do
	skopeo copy -q --decryption-key "$k.pem" oci:mine-multi:t "oci:dec-multi-$k:t"
	check "multi: cocoon -> skopeo ($k)" "$orig" "$("$tool" digests "dec-multi-$k")"
done
skopeo copy -q --encryption-key jwe:rsa.pub --encryption-key jwe:ec.pub oci:img:t oci:enc-multi:t
check "multi: skopeo -> cocoon (ec)" "$orig" "$("$tool" decrypt enc-multi ec.pem)"

# pkcs7 (Go: go.mozilla.org/pkcs7, AES-128-GCM content), both directions.
openssl req -x509 -newkey rsa:2048 -nodes -keyout p7.key -out p7.crt -days 1 \
	-subj /CN=ocicrypt-test 2>/dev/null
skopeo copy -q --encryption-key pkcs7:p7.crt oci:img:t oci:enc-p7:t
check "pkcs7: skopeo -> cocoon" "$orig" "$("$tool" decrypt enc-p7 p7.key)"
cp -r img mine-p7
"$tool" encrypt mine-p7 pkcs7:p7.crt
# Go's pkcs7 unwrapper needs the certificate with the key.
skopeo copy -q --decryption-key p7.key --decryption-key p7.crt oci:mine-p7:t oci:dec-p7:t
check "pkcs7: cocoon -> skopeo" "$orig" "$("$tool" digests dec-p7)"

echo "$passed passed, $failed failed"
((failed == 0))
