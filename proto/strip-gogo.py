#!/usr/bin/env python3
"""Vendors the upstream .proto files cocoon builds with protoc-c into proto/,
with the gogoproto options protoc-c cannot use taken out (proto/README.md).

The sources are Debian packages (their paths are in MANIFEST):
  golang-github-containerd-containerd-dev  containerd's API and shim protos
  golang-github-gogo-googleapis-dev        google/rpc/status.proto
  libprotobuf-dev                          google/protobuf well-known types

What changes, and nothing else:
  - `import [weak] "gogoproto/gogo.proto";` and the containerd fieldpath
    plugin import are dropped;
  - `option (gogoproto.*) = ...;` and `option (containerd.plugin.*) = ...;`
    statements are dropped;
  - `(gogoproto.*)` entries inside `[...]` field/enum-value options are
    dropped (the brackets too when nothing is left);
  - imports of "github.com/containerd/containerd/X" become "containerd/X",
    matching where the copies live under proto/;
  - a two-line header naming the source is prepended.
None of these changes the wire format: gogoproto options only steer Go code
generation. Message, field and enum names and numbers are untouched.

Usage:
  strip-gogo.py [--root DIR]          rewrite the copies under DIR (default:
                                      the directory of this script)
  strip-gogo.py --check [--root DIR]  regenerate into memory and compare;
                                      exit 0 if equal, 1 if any copy drifted,
                                      77 (skip) if no source package is
                                      installed
"""
import argparse
import os
import re
import sys

GOCODE = "/usr/share/gocode/src"
CONTAINERD = GOCODE + "/github.com/containerd/containerd"

# (Debian package, absolute source path, destination under proto/)
MANIFEST = [
    ("golang-github-containerd-containerd-dev", CONTAINERD + "/" + p, "containerd/" + p)
    for p in (
        "api/types/mount.proto",
        "api/types/metrics.proto",
        "api/types/task/task.proto",
        "api/events/task.proto",
        "api/services/ttrpc/events/v1/events.proto",
        "runtime/v2/task/shim.proto",
    )
] + [
    ("golang-github-gogo-googleapis-dev",
     GOCODE + "/github.com/gogo/googleapis/google/rpc/status.proto",
     "google/rpc/status.proto"),
] + [
    ("libprotobuf-dev", "/usr/include/google/protobuf/" + p, "google/protobuf/" + p)
    for p in ("any.proto", "empty.proto", "timestamp.proto")
]

DROP_IMPORT = re.compile(
    r'^\s*import\s+(weak\s+)?"(gogoproto/gogo\.proto|'
    r'github\.com/gogo/protobuf/gogoproto/gogo\.proto|'
    r'github\.com/containerd/containerd/protobuf/plugin/fieldpath\.proto)"\s*;\s*$')
DROP_OPTION = re.compile(r'^\s*option\s+\((gogoproto|containerd\.plugin)\.[A-Za-z_]+\)\s*=.*;\s*$')
IMPORT_PREFIX = '"github.com/containerd/containerd/'


def split_options(body):
    """Splits the inside of [...] on top-level commas, honouring quotes."""
    parts, cur, quote = [], [], None
    for c in body:
        if quote:
            cur.append(c)
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
            cur.append(c)
        elif c == ",":
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def strip_field_options(line):
    m = re.search(r"\s*\[(.*)\]\s*;", line)
    if not m or "(gogoproto." not in m.group(1):
        return line
    kept = [o for o in split_options(m.group(1)) if not o.startswith("(gogoproto.")]
    repl = (" [" + ", ".join(kept) + "];") if kept else ";"
    return line[:m.start()] + repl + line[m.end():]


def transform(text, package, src):
    out = []
    for line in text.split("\n"):
        if DROP_IMPORT.match(line) or DROP_OPTION.match(line):
            continue
        line = strip_field_options(line)
        line = line.replace(IMPORT_PREFIX, '"containerd/')
        out.append(line)
    header = ("// Copied by proto/strip-gogo.py from Debian package %s:\n"
              "// %s (gogoproto options removed). Do not edit; rerun the script.\n"
              % (package, src))
    return header + "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--root", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()

    present = drifted = 0
    for package, src, dest in MANIFEST:
        if not os.path.exists(src):
            print("strip-gogo: %s: not installed (%s), skipped" % (src, package))
            continue
        present += 1
        with open(src, encoding="utf-8") as f:
            want = transform(f.read(), package, src)
        path = os.path.join(args.root, dest)
        if args.check:
            try:
                with open(path, encoding="utf-8") as f:
                    have = f.read()
            except OSError as e:
                have = None
                print("strip-gogo: %s: %s" % (dest, e.strerror))
            if have != want:
                drifted += 1
                print("strip-gogo: %s differs from %s (rerun proto/strip-gogo.py)" % (dest, src))
            else:
                print("strip-gogo: %s: up to date" % dest)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(want)
            print("strip-gogo: wrote %s" % dest)
    if present == 0:
        print("strip-gogo: no source package installed")
        return 77 if args.check else 1
    return 1 if drifted else 0


if __name__ == "__main__":
    sys.exit(main())
