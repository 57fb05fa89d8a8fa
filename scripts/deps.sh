#!/usr/bin/env bash
# Installs every Debian 12 package cocoon needs to build, test, fuzz and
# benchmark. Idempotent: when everything is already installed it does not
# touch apt at all, so repeated runs take well under a second.
#
# Usage: bash scripts/deps.sh
set -euo pipefail

packages=(
	build-essential pkg-config meson ninja-build git ca-certificates
	# clang for the ASan/UBSan build and libFuzzer (fuzz/); the runtimes
	# (libFuzzer, ASan, UBSan, LSan) are in libclang-rt-14-dev.
	clang-14 llvm-14 libclang-rt-14-dev
	# libraries libcocoon-rego links
	libjansson-dev libpcre2-dev libyaml-dev libssl-dev
	# libraries the image service links (lib/image, docs/image.md)
	libcurl4-openssl-dev libarchive-dev zlib1g-dev libzstd-dev libgpgme-dev libjose-dev
	# ttrpc (lib/ttrpc, proto/): protoc-c and libprotobuf-c; containerd's
	# .proto files (proto_drift); containerd itself as the tests' ttrpc peer
	protobuf-c-compiler libprotobuf-c-dev golang-github-containerd-containerd-dev containerd
	# image tests: real peers (registry, skopeo, umoci, gpg, openssl CLI)
	docker-registry skopeo umoci gnupg openssl
	# the KBS store (lib/kbs/store_sqlite*.c, docs/kbs-store.md): embedded
	# SQLite; the sqlite3 CLI for operators looking into a store
	libsqlite3-dev sqlite3
	# unit tests
	libcmocka-dev
	# scripts: test tally, demo request extraction, conformance YAML
	python3 python3-yaml
	# lib/jose's interop test: an independent JOSE implementation
	# (tests/jose/test_interop.py)
	python3-jwcrypto
	# the DCAP collateral tests' PKI (tests/attest/make_dcap_pki.py)
	python3-cryptography
	# time.* builtins read the IANA database from /usr/share/zoneinfo
	tzdata
	# bench/
	hyperfine
	# the guest image (guest/build.py, docs/guest-image.md): the kernel and
	# its modules, busybox, the OCI runtime, the zstd initramfs; QEMU and
	# GNU cpio for its tests (tests/guest/)
	linux-image-amd64 busybox-static crun zstd qemu-system-x86 cpio
	# the shim (src/shim, docs/shim.md): QEMU's guestfwd runs one socat per
	# guest connection (the guest's one way to a loopback registry)
	socat
	# the TPM attester/verifier (lib/attest, docs/attest-tpm.md): tpm2-tss
	# (ESAPI, TCTI loader, marshalling); swtpm as the tests' TPM and
	# tpm2-tools as their peer (tpm2_quote, tpm2_checkquote)
	libtss2-dev swtpm swtpm-tools tpm2-tools
	# the attested VM shape (docs/shim.md firmware/enable_vtpm): OVMF
	# (OVMF_CODE_4M.fd, OVMF_VARS_4M.fd) measures the guest's boot into the vTPM
	ovmf
	# the HTTP/HTTPS server of cocoon-kbs (lib/httpd, docs/httpd.md): libevent
	# 2.1 evhttp with its OpenSSL bufferevents; wrk measures it (bench/run_httpd.sh)
	libevent-dev wrk
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	if [[ $status != ii* ]]; then
		missing+=("$p")
	fi
done

if ((${#missing[@]} == 0)); then
	echo "deps: all ${#packages[@]} packages present"
	exit 0
fi

sudo=()
if ((EUID != 0)); then
	if command -v sudo >/dev/null 2>&1; then
		sudo=(sudo)
	else
		echo "deps: missing packages (${missing[*]}) and not root: run as root" >&2
		exit 1
	fi
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends "${packages[@]}"
