"""What dpkg knows about the build's inputs: which installed package owns a
file, and at which version. Debian 12 has merged /usr, but dpkg records
each file under the path its package ships (/lib/x86_64-linux-gnu/libc.so.6,
/bin/busybox), so a file is looked up under its own path, the path it
resolves to, and that path's /usr alias.
"""
import os
import subprocess


def _aliases(path):
    real = os.path.realpath(path)
    alias = real[4:] if real.startswith("/usr/") else "/usr" + real
    return [path, real, alias]


def owners(paths):
    """{path: package} for the paths some installed package owns."""
    wanted = {}
    for p in paths:
        for c in _aliases(p):
            wanted.setdefault(c, set()).add(p)
    if not wanted:
        return {}
    p = subprocess.run(["dpkg-query", "-S"] + sorted(wanted),
                       capture_output=True, text=True)
    found = {}
    for line in p.stdout.splitlines():
        if ": " not in line or line.startswith("diversion"):
            continue
        pkgs, path = line.rsplit(": ", 1)
        pkg = pkgs.split(",")[0].strip().split(":")[0]
        for orig in wanted.get(path, ()):
            found.setdefault(orig, pkg)
    return found


def versions(packages):
    """{package: installed version}."""
    if not packages:
        return {}
    p = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Version}\\n"]
                       + sorted(packages), capture_output=True, text=True)
    out = {}
    for line in p.stdout.splitlines():
        name, _, ver = line.partition(" ")
        out[name] = ver
    return out
