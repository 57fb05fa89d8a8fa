#!/usr/bin/env bash
# Bans C library calls that invite overflows or hide errors (STYLE.md,
# "Build"; after curl's scripts/checksrc.pl): sprintf, vsprintf, strcpy,
# strcat, strncpy, strtok, atoi, sscanf, gets, alloca, system, popen.
# Use snprintf / cc_buf_printf, memcpy with a checked length, strtol with
# end and errno checks, a bounded cursor for parsing, fork+exec.
#
# Checks every .c and .h under lib/ src/ fuzz/ tests/ bench/ include/.
# Comments and string/char literals are ignored; a call on a line that
# carries the marker "lint:allow" (in a comment giving the reason) passes.
# Prints each offending line as file:line: text and exits 1 if any.
#
# Usage: bash scripts/lint.sh [FILE...]
set -euo pipefail

if (($# > 0)); then
	files=("$@")
else
	cd "$(dirname "${BASH_SOURCE[0]}")/.."
	mapfile -t files < <(find lib src fuzz tests bench include \
		-type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null | sort)
fi

if ((${#files[@]} == 0)); then
	echo "lint: no C files found"
	exit 0
fi

python3 - "${files[@]}" <<'PY'
import re
import sys

BANNED = ("sprintf", "vsprintf", "strcpy", "strcat", "strncpy", "strtok",
          "atoi", "sscanf", "gets", "alloca", "system", "popen")
# A call: the name as a whole word, not a member (x.system(), p->gets()),
# followed by "(".
CALL = re.compile(r"(?<![\w.>])(" + "|".join(BANNED) + r")\s*\(")


def strip(text):
    """Blanks comments and string/char literals, keeping line breaks."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else text[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


bad = 0
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError as e:
        print(f"lint: {path}: {e.strerror}", file=sys.stderr)
        bad += 1
        continue
    orig = text.split("\n")
    for no, line in enumerate(strip(text).split("\n"), 1):
        m = CALL.search(line)
        if m and "lint:allow" not in orig[no - 1]:
            print(f"{path}:{no}: banned {m.group(1)}(): {orig[no - 1].strip()}")
            bad += 1

if bad:
    print(f"lint: {bad} banned call(s); see the header of scripts/lint.sh",
          file=sys.stderr)
    sys.exit(1)
print(f"lint: {len(sys.argv) - 1} files clean")
PY
