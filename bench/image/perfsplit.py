"""Where the CPU time of one cocoon run goes, from `perf script` output of
a `perf record --call-graph dwarf` profile: each sample is put in the
first category whose rule matches its call stack, so the shares add up to
100% of the samples (all threads, user and kernel).

Usage: perfsplit.py PERF.DATA OUT.json   (prints a table as well)"""
import json
import subprocess
import sys


def _any(*names):
    s = set(names)
    return lambda frames: bool(s & frames)


def _is_sha(name):
    return name.startswith(("SHA256", "sha256_block", "ossl_sha256"))


def sha_label(stack):
    """Which SHA-256 pass a sample belongs to, from the cocoon function
    nearest to the hash routine on its stack (stack: innermost first)."""
    if not any(_is_sha(f) for f in stack):
        return None
    frames = set(stack)
    caller = next((f for f in stack if f in ("stream_update", "blob_write", "digest_read", "img_digest_bytes")),
                  None)
    if caller == "stream_update":
        return "HMAC-SHA256 of ciphertext + SHA-256 of plaintext (decrypting reader)"
    if caller == "blob_write":
        return "SHA-256 of the blob while downloading (digest check)"
    if caller == "digest_read" and frames & {"apply_one", "img_unpack_layer", "up_read_cb"}:
        # the blob's digest reader is read by the decompressor, the
        # diff_id's by the unpacker
        outer = stack[stack.index("digest_read") + 1:]
        inner = "gzip_read" in outer or "digest_read" in outer
        return ("SHA-256 of the compressed blob while applying (checked again)" if inner
                else "SHA-256 of the uncompressed tar (diff_id check)")
    if caller == "digest_read" and ("dec_read" in frames or "img_store_get_blob_fd" in frames):
        return "SHA-256 of the source blob (digest check)"
    if caller == "digest_read" and "crypt_layer" in frames:
        return "SHA-256 of the new blob (its digest)"
    return "SHA-256, elsewhere"


KERNEL_ENTRY = _any("entry_SYSCALL_64_after_hwframe", "do_syscall_64", "asm_exc_page_fault")

# (label, rule): the first rule that holds names the sample's category;
# SHA-256 samples go to sha_label() after the first two.
RULES = [
    ("ext4 inode allocation: recently_deleted() scan", _any("recently_deleted")),
    ("AES-256-CTR", _any("CRYPTO_ctr128_encrypt_ctr32", "EVP_DecryptUpdate", "EVP_EncryptUpdate",
                         "EVP_CipherUpdate", "aesni_ctr32_encrypt_blocks")),
    ("gzip inflate (zlib)", _any("inflate", "inflate_fast", "crc32_z", "adler32_z", "gzip_read")),
    ("fsync", _any("do_fsync", "__x64_sys_fsync", "ext4_sync_file", "__x64_sys_fdatasync")),
    ("write()/pwrite() into the page cache", _any("ksys_write", "ksys_pwrite64", "__x64_sys_pwrite64",
                                                  "__x64_sys_write", "vfs_write")),
    ("read() from the page cache", _any("ksys_read", "ksys_pread64", "__x64_sys_pread64", "vfs_read",
                                        "filemap_read")),
    ("network receive (curl, sockets)", _any("tcp_recvmsg", "sock_recvmsg", "__x64_sys_recvfrom",
                                             "curl_multi_perform", "curl_easy_perform", "img_http_do")),
    ("unpack: creating files, dirs, metadata (kernel)", lambda f: KERNEL_ENTRY(f) and "img_unpack_layer" in f),
    ("unpack: tar parsing, bookkeeping (user space)", _any("img_unpack_layer")),
    ("key unwrap (JWE, RSA-OAEP) and key loading", _any("oc_jwe_unwrap", "ocicrypt_keys_add", "image_crypt_new",
                                                        "oc_load_private_key")),
    ("process start-up (dynamic loader, library init)", _any("_dl_start", "_dl_start_user", "_dl_init",
                                                             "dl_main", "_dl_relocate_object")),
    ("removing the staging/temporary files", _any("img_remove_tree", "__x64_sys_unlinkat", "do_unlinkat",
                                                  "ext4_evict_inode")),
    ("other, kernel", KERNEL_ENTRY),
]
OTHER = "other"


def samples(data):
    """Yields each sample's stack (function names, innermost first)."""
    p = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym"], capture_output=True, text=True,
                       timeout=600)
    if p.returncode != 0:
        raise RuntimeError("perf script: " + p.stderr[-300:])
    cur = []
    for line in p.stdout.splitlines():
        f = line.split(None, 1)
        if not f:
            if cur:
                yield cur
            cur = []
            continue
        if len(f) == 2:
            cur.append(f[1].replace(" (inlined)", "").strip())
    if cur:
        yield cur


def split(data):
    counts = {label: 0 for label, _ in RULES}
    counts[OTHER] = 0
    total = 0
    for stack in samples(data):
        total += 1
        frames = set(stack)
        label = next((lab for lab, rule in RULES[:2] if rule(frames)), None)
        label = label or sha_label(stack) or next((lab for lab, rule in RULES[2:] if rule(frames)), OTHER)
        counts[label] = counts.get(label, 0) + 1
    parts = sorted(((n, lab) for lab, n in counts.items() if n), reverse=True)
    return {"samples": total, "parts": [{"what": lab, "samples": n, "share": n / total if total else 0}
                                        for n, lab in parts]}


def main():
    r = split(sys.argv[1])
    with open(sys.argv[2], "w") as f:
        json.dump(r, f, indent=1)
    for p in r["parts"]:
        print("%6.1f%%  %5d  %s" % (100 * p["share"], p["samples"], p["what"]))
    print("%6s   %5d  samples in all" % ("", r["samples"]))


if __name__ == "__main__":
    main()
