"""manifest.txt: what the image is made of, in a form a person can read and
a script can check. Sections: the build's parameters, the Debian packages
the files came from (with versions), the packages of the tools whose
output is in the image (compressor, strip), the space each package takes,
and one line per initramfs entry:

  file MODE SIZE SHA256 /PATH  <- HOST_SOURCE (PACKAGE)
  symlink 0777 - - /PATH -> TARGET
  dir MODE - - /PATH
  chr MODE MAJOR:MINOR - /PATH
"""
import hashlib

import debian


def _entry_line(path, e, owners):
    if e.kind == "file":
        src = ""
        if e.origin:
            pkg = owners.get(e.origin)
            src = "  <- %s%s" % (e.origin, " (%s)" % pkg if pkg else "")
        return "file %04o %d %s /%s%s" % (e.mode, len(e.data),
                                         hashlib.sha256(e.data).hexdigest(), path, src)
    if e.kind == "symlink":
        return "symlink %04o - - /%s -> %s" % (e.mode, path, e.data.decode())
    if e.kind == "chr":
        return "chr %04o %d:%d - /%s" % (e.mode, e.rdev[0], e.rdev[1], path)
    return "dir %04o - - /%s" % (e.mode, path)


def _space(tree, owners, compressed, total):
    """Uncompressed bytes per Debian package ("[part]" for what was not
    packaged: /init, lists, the agent), largest first."""
    sizes = {}
    for e in tree.entries.values():
        if e.kind == "file":
            label = owners.get(e.origin) or "[%s]" % e.group
            sizes[label] = sizes.get(label, 0) + len(e.data)
    lines = ["initramfs %d bytes compressed, %d bytes uncompressed (cpio)"
             % (compressed, total)]
    for name, size in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append("  %-28s %9d bytes %5.1f%%" % (name, size, 100.0 * size / total))
    return lines


def render(tree, info, owners, tool_owners, compressed, total):
    """(the text of manifest.txt, the space lines on their own)."""
    versions = debian.versions(set(owners.values()))
    tool_versions = debian.versions(set(tool_owners.values()))
    space = _space(tree, owners, compressed, total)
    text = ["# cocoon guest image manifest (guest/build.py; docs/guest-image.md)",
            "kernel %s" % info["kernel"],
            "source_date_epoch %d" % info["epoch"],
            "initramfs %s" % info["initrd"],
            "compression %s" % info["compression"],
            "modules %s" % info["modules"],
            "modules_skipped %s" % info["skipped"],
            "", "# Debian packages the files came from: package version"]
    text += ["package %s %s" % kv for kv in sorted(versions.items())]
    text += ["", "# Debian packages of the tools that wrote bytes (compression, strip)"]
    text += ["tool %s %s" % kv for kv in sorted(tool_versions.items())]
    text += ["", "# space: uncompressed bytes per package"] + space
    text += ["", "# files: type mode size sha256 path [<- source (package)]"]
    text += [_entry_line(p, tree.entries[p], owners) for p in tree.sorted_paths()]
    return "\n".join(text) + "\n", space
