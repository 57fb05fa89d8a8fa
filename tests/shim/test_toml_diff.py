#!/usr/bin/env python3
"""lib/toml against Python's tomllib (the reference parser): the same
documents must be accepted or refused alike, and accepted ones must give
the same tree (toml-test's tagged JSON from toml-dump, compared with
tomllib's values).

Documents: hand-written edge cases, documents generated from a small TOML
grammar with keys drawn from a tiny alphabet (so tables, dotted keys and
arrays of tables collide and exercise the redefinition rules), and random
byte-level mutations of those. Seeded, so every run checks the same set.
Known, deliberate differences are skipped: integers outside int64 (tomllib
has Python's unbounded ints; TOML 1.0 says int64 and we refuse them).

Usage: test_toml_diff.py PATH/TO/toml-dump
"""
import datetime
import itertools
import json
import math
import random
import struct
import subprocess
import sys
import tomllib

sys.dont_write_bytecode = True
DUMP = sys.argv[1]

CASES = [
    "", "a = 1", "a = 1\n", "a=1#c", "a = 'x' # c\n", "\ufeffa = 1", "a = \"\\u00e9\"",
    "'' = 1", '"" = 1', "a.'b'.\"c\" = 1", "a . b = 1", "1 = 2", "1.2 = 3", "-_ = 1",
    "a = 0", "a = +0", "a = -0", "a = 00", "a = 0_0", "a = 1_000_000", "a = 0x_1", "a = 0xG",
    "a = 0b102", "a = 0o8", "a = 0o0_7", "a = 1e", "a = 1e+", "a = 1e_5", "a = 1_e5",
    "a = 1.0e-0_1", "a = -1.5E+3", "a = +.5", "a = 1.5.5", "a = inf", "a = +nan", "a = infinity",
    "a = -0.0", "a = 1e400", "a = 1e-400", "a = true", "a = truee", "a = fals",
    "a = 1979-05-27", "a = 1979-05-27T", "a = 1979-05-27 ", "a = 1979-05-27 07:32:00",
    "a = 1979-05-27t07:32:00z", "a = 1979-05-27T07:32:00.", "a = 1979-05-27T07:32:00.1234567891",
    "a = 1979-05-27T07:32:00+24:00", "a = 1979-05-27T07:32:00+23:59", "a = 1979-05-27T07:32:60",
    "a = 1979-5-27", "a = 07:32:00", "a = 7:32:00", "a = 07:32", "a = 2020-02-30",
    "a = 1900-02-29", "a = 2000-02-29", "a = 9999-12-31T23:59:59.999999Z",
    'a = """"""', 'a = """\n"""', 'a = """\\\n"""', 'a = """a\\  \n  b"""', 'a = """a\\  b"""',
    'a = """a""""', 'a = """a"""""', 'a = """a""""""', "a = ''''''", "a = '''a''''", "a = '''a'''''",
    "a = '''a''''''", "a = '\t'", 'a = "\t"', 'a = "\\t"', 'a = "\\e"', 'a = "\\U0010FFFF"',
    'a = "\\uDFFF"', 'a = "\\u12"', 'a = "a\nb"', "a = 'a\nb'",
    "a = []", "a = [,]", "a = [1,]", "a = [1,,2]", "a = [\n1\n,\n2\n]", "a = [1 # c\n]",
    "a = [[]]", "a = [{}]", "a = [1, 'a', 1.5, true, [1], {x=1}]",
    "a = {}", "a = { }", "a = {x=1,}", "a = {,}", "a = {x=1 y=2}", "a = {x.y=1, x.z=2}",
    "a = {x=1, x.y=2}", "a = {x.y=1, x=2}", "a = {\n}",
    "[a]", "[ a ]", "[a.b]\n[a]", "[a]\n[a.b]", "[a]\n[a]", "[a]\n[A]", "[[a]]\n[[a]]",
    "[[a]]\n[a.b]\n[[a]]\n[a.b]", "[[a]]\n[[a.b]]\n[a.b.c]", "[a]\nb = 1\n[a.b]", "[a.b]\nc = 1\n[a]\nb.d = 1",
    "[a.b.c]\n[a]\nb.d = 1", "[a.b.c]\n[a]\nb.c.d = 1", "a.b = 1\n[a]", "a.b = 1\n[a.c]",
    "a.b.c = 1\n[a.b.d]", "a = {b = 1}\n[a.c]", "a = [{b = 1}]\n[[a]]", "a = [{b = 1}]\n[a.c]",
    "[[a]]\nb = 1\n[a]", "a = 1\n[[a]]", "[x]\n[[x.y]]\nz = 1\n[x.y.w]",
    "[t]\na.b = 1\n[t.a.c]", "[t]\na.b = 1\n[t.a]", "[t]\na.b = 1\na.c = 1\n[u]\n[t.a.d]",
    "a.b = 1\na = 2", "a = 2\na.b = 1", "[ [a] ]", "[[ a ]]", "[[a] ]", "[a]]", "[a]x",
    "a = 1\r\n", "a = 1\r", "a = 'x\r\n'", "# \r\n", "# \x7f", "# \x00", "a = \"\x7f\"",
    "a = 1 #\ta comment", "\n\n\n[a]\n\n\n", "a = [\n  # c\n  1, # c\n]\n",
]

BARE = ["a", "b", "c", "1", "_", "x-y"]
SMALL_KEYS = ["a", "b", "c"]


def rkey(r):
    k = r.choice(SMALL_KEYS) if r.random() < 0.8 else r.choice(BARE)
    if r.random() < 0.1:
        k = '"' + k + '"'
    elif r.random() < 0.05:
        k = "'" + k + "'"
    return k


def rdotted(r):
    n = 1 if r.random() < 0.6 else r.randint(2, 3)
    sep = r.choice([".", " . ", "."])
    return sep.join(rkey(r) for _ in range(n))


def rstring(r):
    bits = ["x", "é", "\\n", "\\t", "\\\\", "\\\"", "\\u00e9", "\\U0001F600", "'", " ", "\t"]
    body = "".join(r.choice(bits) for _ in range(r.randint(0, 4)))
    kind = r.random()
    if kind < 0.5:
        return '"' + body + '"'
    if kind < 0.7:
        return "'" + body.replace("\\", "/").replace("'", "") + "'"
    if kind < 0.85:
        return '"""' + r.choice(["", "\n"]) + body + r.choice(["", "\\\n  ", "\n", '"', '""']) + '"""'
    return "'''" + r.choice(["", "\n"]) + body.replace("\\", "/") + r.choice(["", "\n", "'", "''"]) + "'''"


def rscalar(r):
    choices = [
        lambda: str(r.randint(-10**6, 10**6)),
        lambda: r.choice(["0", "+1", "-0", "1_000", "0xff", "0o17", "0b101", "0xDEAD_BEEF"]),
        lambda: r.choice(["1.5", "-0.25", "1e3", "6.02E+23", "1_0.5_0", "inf", "-inf", "nan", "+nan"]),
        lambda: r.choice(["true", "false"]),
        lambda: r.choice(["1979-05-27", "1979-05-27T07:32:00", "1979-05-27 07:32:00.5Z",
                          "2000-02-29T00:00:00-08:30", "07:32:00", "23:59:59.999999999"]),
        lambda: rstring(r),
    ]
    return r.choice(choices)()


def rvalue(r, depth=0):
    x = r.random()
    if depth < 3 and x < 0.12:
        items = [rvalue(r, depth + 1) for _ in range(r.randint(0, 3))]
        ws = r.choice([" ", "\n", " # c\n"])
        return "[" + ws + ("," + ws).join(items) + r.choice(["", ","]) + ws + "]"
    if depth < 3 and x < 0.22:
        items = [rdotted(r) + " = " + rvalue(r, depth + 1) for _ in range(r.randint(0, 3))]
        return "{" + ", ".join(items) + "}"
    return rscalar(r)


def rdoc(r):
    lines = []
    for _ in range(r.randint(1, 8)):
        x = r.random()
        if x < 0.15:
            lines.append("[" + rdotted(r) + "]")
        elif x < 0.25:
            lines.append("[[" + rdotted(r) + "]]")
        elif x < 0.3:
            lines.append(r.choice(["", "# comment", "   ", "\t# é"]))
        else:
            lines.append(rdotted(r) + r.choice([" = ", "=", " =\t"]) + rvalue(r) +
                         r.choice(["", " # c", "  "]))
    return r.choice(["\n", "\r\n"]).join(lines) + r.choice(["", "\n"])


MUT = ["", "\n", " ", "=", ".", "[", "]", "{", "}", ",", "'", '"', "#", "\\", "a", "1", "_",
       "-", "+", ":", "T", "Z", "e", "\r", "\x00", "\x7f", "\u00e9"]


def mutate(r, s):
    s = list(s)
    for _ in range(r.randint(1, 3)):
        i = r.randint(0, len(s))
        op = r.random()
        if op < 0.4 and s:
            del s[min(i, len(s) - 1)]
        elif op < 0.8:
            s.insert(i, r.choice(MUT))
        elif s:
            s[min(i, len(s) - 1)] = r.choice(MUT)
    return "".join(s)


class Skip(Exception):
    pass


def tagged(v):
    if isinstance(v, bool):
        return {"type": "bool", "value": "true" if v else "false"}
    if isinstance(v, int):
        if not -2**63 <= v < 2**63:
            raise Skip()
        return {"type": "integer", "value": str(v)}
    if isinstance(v, float):
        return {"type": "float", "value": v}
    if isinstance(v, str):
        return {"type": "string", "value": v}
    if isinstance(v, datetime.datetime):
        return {"type": "datetime" if v.tzinfo else "datetime-local", "value": v}
    if isinstance(v, datetime.date):
        return {"type": "date-local", "value": v}
    if isinstance(v, datetime.time):
        return {"type": "time-local", "value": v}
    if isinstance(v, list):
        return [tagged(x) for x in v]
    return {k: tagged(x) for k, x in v.items()}


def parse_ours_dt(kind, s):
    frac = 0
    if "." in s:
        head, rest = s.split(".", 1)
        digits = "".join(itertools.takewhile(str.isdigit, rest))
        tail = rest[len(digits):]
        frac = int(digits[:9].ljust(9, "0")) // 1000
        s = head + tail
    if kind == "time-local":
        return datetime.time.fromisoformat(s).replace(microsecond=frac)
    if kind == "date-local":
        return datetime.date.fromisoformat(s)
    return datetime.datetime.fromisoformat(s).replace(microsecond=frac)


def same(ours, theirs, path="$"):
    if isinstance(theirs, list):
        if not isinstance(ours, list) or len(ours) != len(theirs):
            return path + ": array differs"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            d = same(a, b, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    if "type" in theirs and "value" in theirs and not isinstance(theirs["value"], dict) \
            and set(theirs) == {"type", "value"}:
        if not isinstance(ours, dict) or ours.get("type") != theirs["type"]:
            return "%s: type %r vs %r" % (path, ours.get("type") if isinstance(ours, dict) else ours,
                                          theirs["type"])
        t, a, b = theirs["type"], ours["value"], theirs["value"]
        if t == "float":
            fa = float(a)
            ok = (math.isnan(fa) and math.isnan(b)) or fa == b
        elif t in ("datetime", "datetime-local", "date-local", "time-local"):
            pa = parse_ours_dt(t, a)
            ok = pa == b and (t != "datetime" or pa.utcoffset() == b.utcoffset())
        else:
            ok = a == b
        return None if ok else "%s: %r vs %r" % (path, a, b)
    if not isinstance(ours, dict) or set(ours) != set(theirs):
        return "%s: keys %r vs %r" % (path, sorted(ours) if isinstance(ours, dict) else ours,
                                     sorted(theirs))
    for k in theirs:
        d = same(ours[k], theirs[k], path + "." + k)
        if d:
            return d
    return None


def run_ours(docs):
    payload = b"".join(struct.pack(">I", len(d)) + d for d in docs)
    p = subprocess.run([DUMP, "--batch"], input=payload, capture_output=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("toml-dump failed: " + p.stderr.decode(errors="replace"))
    out = [json.loads(l) for l in p.stdout.decode().splitlines()]
    if len(out) != len(docs):
        raise RuntimeError("toml-dump answered %d of %d documents" % (len(out), len(docs)))
    return out


def main():
    r = random.Random(20261123)
    texts = list(CASES)
    gen = [rdoc(r) for _ in range(3000)]
    texts += gen
    texts += [mutate(r, r.choice(gen + CASES)) for _ in range(3000)]
    docs = [t.encode("utf-8", "surrogatepass") for t in texts]
    docs += [b"a = \"\xff\"", b"a = '\xc3'", b"# \xed\xa0\x80", b"\xef\xbb\xbfa = 1"]
    ours = run_ours(docs)
    fails, accepted, refused, skipped = [], 0, 0, 0
    for doc, o in zip(docs, ours):
        try:
            theirs = tagged(tomllib.loads(doc.decode("utf-8")))
            terr = None
        except Skip:
            skipped += 1
            continue
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            theirs, terr = None, e
        if terr is not None:
            refused += 1
            if "ok" in o:
                fails.append((doc, "tomllib refuses (%s), we accept" % terr))
            continue
        accepted += 1
        if "ok" not in o:
            fails.append((doc, "tomllib accepts, we refuse: " + o["error"]))
            continue
        d = same(o["ok"], theirs)
        if d:
            fails.append((doc, "trees differ: " + d))
    for doc, why in fails[:25]:
        print("not ok - %r: %s" % (doc, why))
    print("%d documents: %d accepted and %d refused by both parsers alike unless listed, "
          "%d skipped (int64), %d differences" % (len(docs), accepted, refused, skipped, len(fails)))
    sys.exit(1 if fails else 0)


main()
