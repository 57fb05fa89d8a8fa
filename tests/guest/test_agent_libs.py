#!/usr/bin/env python3
"""The guest agent's library closure (docs/guest-image.md, "Sizes"): with
-Dguest_static_archive=true (the default) cocoon-agent carries libarchive's
tar reader itself and the guest image has no libarchive13, and so none of
what only libarchive13 brought: libxml2 (its xar reader), libicu72 (33 MB,
behind libxml2), libstdc++6 (behind libicu). With false the agent needs
the shared libarchive.so.13.

Checks, on the agent meson built (COCOON_AGENT) and on an image built
around it (zstd --level 3):
  - the agent's DT_NEEDED: libarchive.so.13 absent (static) or present;
  - static: the agent defines the tar reader and holds no other format's
    reader (object-level linking pulled only what lib/image/unpack calls);
  - the manifest names none of the packages above (static);
  - every DT_NEEDED of every ELF file in the archive (read back here, not
    ldd's answer) is a file in the image's library directories;
  - the image but the agent binary stays under CLOSURE_BUDGET (static);
  - one microvm boot: /init starts agent-version.sh, which runs the real
    cocoon-agent --version: its libraries load in the guest; the console
    then shows the guest's uptime and QEMU exits by itself.

Usage (meson): COCOON_AGENT=PATH COCOON_STATIC_ARCHIVE=true|false
test_agent_libs.py KERNEL_CACHE_DIR SCRATCH_DIR (exits 77 when QEMU or the
Debian packages are missing)
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import guestlib as g  # noqa: E402

# Packages only libarchive13 pulled into the image (2026-11-23: 38.1 of
# its 67.2 MB with these and libgcc-s1, libacl1, libbz2-1.0; the rest of
# libarchive13's closure is shared with libcurl4 and libsystemd0). The ASan
# agent itself needs libgcc-s1, so that one is not listed.
ARCHIVE_ONLY = ("libarchive13", "libxml2", "libicu72", "libstdc++6")
# Formats libarchive reads besides tar: none may be linked in.
OTHER_READERS = ("xar", "zip", "7zip", "rar", "rar5", "iso9660", "cab", "lha",
                 "cpio", "mtree", "warc", "ar", "raw")
# Uncompressed bytes of the image without the agent binary: 27.8 MB on
# 2026-11-23 (Debian 12); libicu72 alone is 33 MB, so the xar chain's
# return fails here, while Debian point updates keep well inside it.
CLOSURE_BUDGET = 30 * 1024 * 1024
# Where the guest's loader finds libraries (no ld.so.cache in the image):
# Debian's multiarch directory, and /lib64 for the loader itself, which
# libc names in its DT_NEEDED.
LIBDIRS = ("usr/lib/x86_64-linux-gnu", "usr/lib64")
BOOT_TIMEOUT = 90  # s; a TCG boot with this image takes 4-6 s, 5x when loaded
EXIT_TIMEOUT = 30


def needed(path):
    p = subprocess.run(["readelf", "-d", "-W", path], capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"})
    if p.returncode != 0:
        raise RuntimeError("readelf -d %s: %s" % (path, p.stderr.strip()))
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", p.stdout)


def defined_symbols(path):
    p = subprocess.run(["nm", "--defined-only", path], capture_output=True, text=True)
    return {line.split()[-1] for line in p.stdout.splitlines() if line.strip()}


def check_agent(agent, static):
    libs = needed(agent)
    print("# agent DT_NEEDED: %s" % " ".join(libs))
    if not static:
        g.check("-Dguest_static_archive=false: the agent needs libarchive.so.13",
                "libarchive.so.13" in libs, " ".join(libs))
        return
    g.check("the agent does not need libarchive.so.13", "libarchive.so.13" not in libs,
            " ".join(libs))
    syms = defined_symbols(agent)
    g.check("the agent defines libarchive's tar reader",
            "archive_read_support_format_tar" in syms)
    extra = sorted(f for f in OTHER_READERS if "archive_read_support_format_" + f in syms)
    g.check("no other format's reader is linked in", not extra, " ".join(extra))


def manifest_packages(outdir):
    with open(os.path.join(outdir, "manifest.txt"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    return {x.split()[1] for x in lines if x.startswith("package ")}


def space(outdir):
    """(uncompressed cpio bytes, {package or [group]: bytes}) from the
    manifest's "# space" section, as build.py prints it."""
    total, per = None, {}
    with open(os.path.join(outdir, "manifest.txt"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^initramfs (\d+) bytes compressed, (\d+) bytes uncompressed", text, re.M)
    if m:
        total = int(m.group(2))
    for name, size in re.findall(r"^  (\S+)\s+(\d+) bytes\s+[\d.]+%$", text, re.M):
        per[name] = int(size)
    return total, per


def check_image_closure(image):
    """Every DT_NEEDED of every ELF file in the archive resolves to a file
    in one of the image's library directories (symlinks followed in the
    archive)."""
    cpio = subprocess.run(["zstd", "-dc", image["initrd"]], capture_output=True,
                          check=True).stdout
    entries = {n: (f, b) for n, f, b in g.read_newc(cpio)[0]}

    def resolves(path, depth=0):
        e = entries.get(path)
        if e is None or depth > 8:
            return False
        kind = e[0]["mode"] & 0o170000
        if kind == 0o120000:
            target = e[1].decode()
            base = os.path.dirname("/" + path)
            full = os.path.normpath(os.path.join(base, target)).lstrip("/")
            return resolves(full, depth + 1)
        return kind == 0o100000

    elves, missing = 0, []
    with tempfile.TemporaryDirectory(prefix="cocoon-agent-libs-") as tmp:
        for name, (f, body) in sorted(entries.items()):
            if f["mode"] & 0o170000 != 0o100000 or body[:4] != b"\x7fELF":
                continue
            elves += 1
            path = os.path.join(tmp, "elf")
            with open(path, "wb") as out:
                out.write(body)
            for lib in needed(path):
                if not any(resolves(d + "/" + lib) for d in LIBDIRS):
                    missing.append("/%s needs %s" % (name, lib))
    g.check("every DT_NEEDED of the %d ELF files is in /%s" % (elves, " or /".join(LIBDIRS)),
            elves > 10 and not missing, "; ".join(missing[:5]))


def check_image(image, static):
    packages = manifest_packages(image["dir"])
    total, per = space(image["dir"])
    top = sorted(per.items(), key=lambda kv: -kv[1])[:8]
    print("# image: %d bytes uncompressed; %d packages; largest: %s"
          % (total or -1, len(packages), ", ".join("%s %d" % kv for kv in top)))
    check_image_closure(image)
    if not static:
        return
    found = sorted(set(ARCHIVE_ONLY) & packages)
    g.check("no package only libarchive13 brought is in the image", not found,
            " ".join(found))
    if g.check("the manifest has the space section", total is not None and "[agent]" in per):
        rest = total - per["[agent]"]
        print("# image without the agent binary: %d bytes (budget %d)" % (rest, CLOSURE_BUDGET))
        g.check("the image without the agent binary is within %d bytes" % CLOSURE_BUDGET,
                rest <= CLOSURE_BUDGET, "%d bytes; largest: %s" % (rest, top))


def boot(image, accel, scratch):
    console = os.path.join(scratch, "agent.console")
    vm = g.boot(image, accel, g.append_line("cocoon.agent=/usr/bin/agent-version",
                                            "cocoon.channel=none"), console)
    m = vm.wait_for(r"AGENT-LIBS uptime=(\S+)", BOOT_TIMEOUT)
    text = vm.text()
    g.check("cocoon-agent --version ran in the guest",
            re.search(r"cocoon-agent \S+ \(agent API \S+\)", text) is not None and m is not None,
            "console:\n%s\nqemu:\n%s" % (text[-3000:], vm.qemu_output()))
    rc = vm.wait_exit(EXIT_TIMEOUT)
    g.check("the VM powers off after it (status 0)", rc == 0 and
            "agent exited with status 0" in vm.text(), "status %s: %s" % (rc, vm.text()[-1000:]))
    if m:
        print("# %s: guest uptime %s s when the agent had run; QEMU exited after %.2f s"
              % (accel, m.group(1), vm.elapsed()))
    vm.stop()


def main():
    agent = os.environ.get("COCOON_AGENT", "")
    static = os.environ.get("COCOON_STATIC_ARCHIVE", "true") == "true"
    cache, scratch = g.setup("agent-libs")
    if not os.access(agent, os.X_OK):
        g.skip("COCOON_AGENT=%r is not an executable (cocoon-agent not built)" % agent)
    try:
        check_agent(agent, static)
        image = g.build(os.path.join(scratch, "image"), "--level", "3", "--agent", agent,
                        "--extra", os.path.join(HERE, "agent-version.sh") + ":/usr/bin/agent-version",
                        cache=cache)
        check_image(image, static)
        accel, why = g.accel(image, scratch, cache)
        print("# accelerator: %s (%s)" % (accel, why))
        boot(image, accel, scratch)
    finally:
        rc = g.finish()
    return rc


if __name__ == "__main__":
    sys.exit(main())
