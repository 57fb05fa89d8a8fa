#!/usr/bin/env python3
"""Compares cocoon's whole error texts with OPA's (docs/difftest.md, "Error texts").

Two sets of cases:

  conformance  every case of tests/rego/opa/v1 with want_error or
               want_error_code (skipped.txt cases left out).  OPA 1.x is the
               reference.  OPA's text is rebuilt from the case: the code is
               want_error_code (or the code inside want_error), the message is
               what follows "<code>: " in want_error, or want_error itself.
               OPA prefixes every builtin error with the builtin's name
               (topdown handleBuiltinErr), so a want_error of an
               eval_builtin_error/eval_type_error that lacks a "<name>: "
               prefix is completed with the name of a builtin the case calls.
               A want_error is a substring: when ours only contains it (more
               text after it), OPA's whole text is unknown unless OPA_TEXT
               below gives it (read from OPA 1.x's source); such cases count
               as "unknown".
  oracle       the difftest cases on which both cocoon and OPA v0.47 failed
               (verdict both-error in the --results files of difftest.py).
               Their programs are run again through cocoon (the binary given)
               and, unless --oracle-cache holds them, through the oracle.

What is compared: "<code>: <message>", where the message is the first line
(OPA's Message; the indented "\thave: ...", "\twant: ..." and source excerpt
lines are OPA's Details and are compared separately, as "details").
Locations are not part of the text compared: the oracle's line numbers are
those of its generated profile, and OPA prints file:row where cocoon prints
file:row:col.  For conformance cases the row is compared on its own (row of
OPA's want_error when it has one).  When OPA reports several errors
("2 errors occurred:"), the first is compared.

    python3 tools/difftest/errors.py --cocoon build/src/cocoon/cocoon \
        --results /tmp/dt-camp/*.jsonl --oracle-cache /tmp/oracle-errors.json
    # --list: print every case that differs; --only conformance|oracle
"""
import argparse
import collections
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

CODES = ("rego_parse_error", "rego_compile_error", "rego_type_error", "rego_unsafe_var_error",
         "rego_recursion_error", "eval_conflict_error", "eval_type_error", "eval_builtin_error",
         "eval_cancel_error", "eval_memory_limit_error", "eval_internal_error")
OPERATORS = {"plus", "minus", "mul", "div", "rem", "and", "or", "eq", "neq", "lt", "lte", "gt", "gte", "equal", "assign"}
SENTINEL = "\x01never matches\x01"

# OPA 1.x's whole message where the conformance case gives only a part of it
# or only the code (read from open-policy-agent/opa v1/topdown/*.go):
# (regular expression over the note, text).
OPA_TEXT = [
    # casts.go builtinToNumber: inf, infinity and nan in any case, with signs
    (r"casts/to_number: [-+]*(inf|infinity|nan) input$",
     "eval_type_error: to_number: operand 1 must be valid number string but got string"),
]


def opa_text(note):
    for rx, text in OPA_TEXT:
        if re.search(rx, note, re.I):
            return text
    return None


def split_err(text):
    """'[1 error occurred: ][loc: ]code: message\\n\\tdetails' -> (row, code, message, details)."""
    text = text.strip()
    while re.match(r"^\d+ errors? occurred:\s*", text):
        text = re.sub(r"^\d+ errors? occurred:\s*", "", text)
    first, _, details = text.partition("\n")
    row = None
    m = re.match(r"^(?:[^\s:]+\.rego:(\d+)(?::\d+)?|(\d+):\d+): ", first)
    if m:
        row = int(m.group(1) or m.group(2))
        first = first[m.end():]
    code = None
    m = re.match(r"^(%s): " % "|".join(CODES), first)
    if m:
        code = m.group(1)
        first = first[m.end():]
    return row, code, first, details.strip("\n")


def norm_details(code, det):
    """Parse errors: the source line and caret, without the line's indentation
    (the oracle's lines are indented by its profile)."""
    lines = det.split("\n")
    if code != "rego_parse_error" or len(lines) < 2 or lines[1].strip() != "^":
        return det
    # drop the detail's own tab, then the line's indentation and as many
    # columns of the caret's padding
    a = lines[0][1:] if lines[0].startswith("\t") else lines[0]
    b = lines[1][1:] if lines[1].startswith("\t") else lines[1]
    k = len(a) - len(a.lstrip(" \t"))
    a, b = a[k:], (b[k:] if b[:k].strip() == "" else b.lstrip(" "))
    return "\n".join(["\t" + a, "\t" + b] + lines[2:])


def builtin_names(cocoon):
    """Builtin names of cocoon's group tables (lib/rego/bi/*.c)."""
    names = set()
    for f in glob.glob(os.path.join(ROOT, "lib/rego/bi/*.c")):
        text = open(f, encoding="utf-8").read()
        names |= set(re.findall(r'\{\s*(?:\.name\s*=\s*)?"([a-z_][\w.]*)",\s*(?:\.arity\s*=\s*)?\d', text))
    return names


# ---------------------------------------------------------------- conformance
def conformance_cases():
    import yaml
    skip = set()
    for line in open(os.path.join(ROOT, "tests/rego/skipped.txt"), encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            skip.add(line.split("\t")[0].strip())
    out = []
    for f in sorted(glob.glob(os.path.join(ROOT, "tests/rego/opa/v1/*/*.yaml"))):
        folder = os.path.basename(os.path.dirname(f))
        if folder + "/" in skip:
            continue
        for c in (yaml.safe_load(open(f, encoding="utf-8")) or {}).get("cases", []):
            if "want_error" not in c and "want_error_code" not in c:
                continue
            if c.get("note") in skip or "%s/%s" % (folder, c.get("note")) in skip:
                continue
            c["_file"] = os.path.relpath(f, ROOT)
            out.append(c)
    return out


def run_conformance(cocoon, cases):
    """Our whole error text for each case (None: the case succeeded)."""
    import yaml
    d = tempfile.mkdtemp(prefix="errors-")
    docs = []
    for i, c in enumerate(cases):
        x = {k: v for k, v in c.items() if not k.startswith("_") and k not in ("want_error_code",)}
        x["note"] = "E%d" % i
        x["want_error"] = SENTINEL
        docs.append(x)
    os.makedirs(os.path.join(d, "all"))
    with open(os.path.join(d, "all", "cases.yaml"), "w", encoding="utf-8") as f:
        yaml.safe_dump({"cases": docs}, f, allow_unicode=True, width=1 << 20)
    r = subprocess.run([cocoon, "policy", "test-suite", "-v", d], capture_output=True, text=True)
    got = {}
    parts = re.split(r"^FAIL (E\d+) \([^)]*\): ", r.stdout, flags=re.M)
    for i in range(1, len(parts), 2):
        why = parts[i + 1]
        why = re.split(r"\n(?=folder\s+passed)", why)[0].rstrip("\n")
        m = re.match(r"want error containing \".*?\", got: (.*)$", why, re.S)
        got[parts[i]] = m.group(1) if m else None
    subprocess.run(["rm", "-rf", d])
    return [got.get("E%d" % i) for i in range(len(cases))]


def opa_conformance_text(c, names):
    """(row, code, message, whole) of OPA 1.x for a conformance case."""
    want = c.get("want_error")
    code = c.get("want_error_code")
    if opa_text(c["note"]):
        row, code2, msg, _ = split_err(opa_text(c["note"]))
        return row, code2 or code, msg, True
    if want is None:
        return None, code, None, False
    row = None
    m = re.match(r"^[^\s:]+\.rego:(\d+): ", want)
    if m:
        row = int(m.group(1))
        want = want[m.end():]
    m = re.search(r"(?:^|: )(%s): " % "|".join(CODES), want)
    if m:
        code = code or m.group(1)
        want = want[m.end():]
    return row, code, want, False


def compare_conformance(cases, ours, names):
    res = []
    for c, o in zip(cases, ours):
        orow, ocode, omsg, whole = opa_conformance_text(c, names)
        r = {"where": "%s: %s" % (c["_file"], c["note"]), "opa": "%s: %s" % (ocode, omsg), "ours": o}
        if o is None:
            r["verdict"] = "cocoon-no-error"
            res.append(r)
            continue
        krow, kcode, kmsg, kdet = split_err(o)
        r["row"] = None if orow is None or krow is None else (orow == krow)
        if ocode and kcode != ocode:
            r["verdict"] = "code"
        elif omsg is None:
            r["verdict"] = "unknown"          # want_error_code only
        elif kmsg == omsg:
            r["verdict"] = "equal"
        elif whole:
            r["verdict"] = "message"
        else:
            # OPA's whole text is "<name>: " + the builtin's own error
            # (handleBuiltinErr), and some builtins' own errors start with
            # their name again ("units.parse: units.parse: no amount
            # provided"): W completed with the name in our message counts as
            # equal if the case calls that builtin (operators: div, rem,
            # minus, ... are called by symbol)
            m = re.match(r"^([A-Za-z_][\w.]*): (.*)$", kmsg, re.S)
            src = c.get("query", "") + "\n".join(c.get("modules") or [])
            prefixed = (m and kmsg.endswith(omsg) and m.group(1) in names and
                        (m.group(1) in OPERATORS or
                         re.search(r"(?<![\w.])%s\s*\(" % re.escape(m.group(1)), src)) and
                        ocode in ("eval_builtin_error", "eval_type_error"))
            if prefixed:
                r["verdict"] = "equal"
            elif omsg == "" or omsg in kmsg:
                r["verdict"] = "unknown"      # ours holds OPA's substring, the rest unknown
            else:
                r["verdict"] = "message"
        res.append(r)
    return res


# ---------------------------------------------------------------- oracle
def load_results(files):
    import difftest
    progs = {}
    for f in files:
        for line in open(f, encoding="utf-8"):
            d = json.loads(line)
            if d.get("verdict") != "both-error":
                continue
            key = (d["rules"], d["body"])
            if key in progs:
                continue
            pid = "e%d" % len(progs)
            p = difftest.Program(pid, d["rules"], "errors", 0)
            p.add(d["body"], d["id"])
            progs[key] = p
    return list(progs.values())


# Programs with one compile error each, for the errors OPA's compiler and
# checker report besides type errors (the generated sources rarely have them):
# name -> (rules, query body).
COMPILE_CASES = {
    "recursion": ("p := q\nq := p", "out := p"),
    "recursion_fn": ("f(x) := f(x)", "out := f(1)"),
    "unsafe": ("", "out := x"),
    "unsafe_rule": ("p if { x > 1 }", "out := p"),
    "assigned_above": ("p if { x := 1; x := 2 }", "out := p"),
    "declared_unused": ("p if { some x; true }", "out := p"),
    "undefined_fn": ("", "out := nope(1)"),
    "undefined_fn_ref": ("", "out := foo.bar(1)"),
    "conflict_kinds": ("p := 1\np[x] { x := 1 }", "out := p"),
    "fn_arity_conflict": ("f(x) := 1\nf(x, y) := 2", "out := f(1)"),
    "multi_default": ("default p := 1\ndefault p := 2", "out := p"),
    "with_target": ("p := 1", "out := p with foo as 1"),
    "fn_arity_call": ("f(x) := x", "out := f(1, 2)"),
    "fn_arity_call_few": ("f(x, y) := x", "out := f(1)"),
    "arity_builtin": ("", "out := count([1], 2)"),
    "arity_builtin_few": ("", "out := concat(\",\")"),
    "neg_unsafe": ("", "not x == 1\nout := 1"),
    "compr_unsafe": ("", "out := [x | y > 1]"),
    "every_unsafe": ("", "every x in [1] { y > x }\nout := 1"),
    "some_unused": ("p if { some x in [1] }", "out := p"),
    "rule_redeclared": ("p := 1\np := 2", "out := p"),
    "type_plus": ("", "out := 1 + \"a\""),
    "type_nested": ("", "out := upper(lower(1))"),
    "type_stmt": ("p if { startswith(1, \"a\") }", "out := p"),
}


def compile_progs():
    import difftest
    progs = []
    for name, (rules, body) in sorted(COMPILE_CASES.items()):
        p = difftest.Program("cc_" + name, rules, "errors", 0)
        p.add(body, "compile/" + name)
        progs.append(p)
    return progs


def run_oracle_cases(progs, cache_file, node_path):
    import difftest
    cache = {}
    if cache_file and os.path.exists(cache_file):
        cache = json.load(open(cache_file, encoding="utf-8"))
    key = lambda p: p.rules + "\n--\n" + p.cases[0].body
    todo = [p for p in progs if key(p) not in cache]
    if todo:
        work = tempfile.mkdtemp(prefix="errors-oracle-")
        difftest.run_oracle(todo, work, node_path, 40, suspect={p.id for p in todo})
        subprocess.run(["rm", "-rf", work])
        for p in todo:
            cache[key(p)] = p.cases[0].oracle
        if cache_file:
            with open(cache_file, "w", encoding="utf-8") as f:
                json.dump(cache, f, ensure_ascii=False)
    for p in progs:
        o = cache[key(p)]
        p.cases[0].oracle = {"error": o["error"]} if "error" in o else {"values": o.get("values", [])}


def run_cocoon_cases(progs, cocoon):
    import difftest
    work = tempfile.mkdtemp(prefix="errors-cocoon-")
    difftest.run_cocoon(progs, cocoon, work, os.cpu_count() or 2)
    subprocess.run(["rm", "-rf", work])


# OPA v0.47 texts that OPA 1.x spells differently (1.x is the reference):
# v1/ast/internal/tokens/tokens.go names the identifier token "identifier".
V047_TO_V1 = [(re.compile(r"\bunexpected ident token\b"), "unexpected identifier token")]


def v047_only(c, text):
    """Why the oracle's error cannot carry over to OPA 1.x, or None."""
    src = c.prog.rules + "\n" + c.body
    if "expected METADATA block" in text:
        return "the oracle's profile indents the module, so # METADATA comments do not parse"
    if re.search(r'\$["`]', src):
        return "template strings are newer than v0.47"
    return None


def compare_oracle(progs):
    res = []
    for p in progs:
        c = p.cases[0]
        o, k = c.oracle, c.cocoon
        r = {"where": c.note, "opa": o.get("error"), "ours": k.get("error")}
        if "error" in o:
            for rx, to in V047_TO_V1:
                o = {"error": rx.sub(to, o["error"])}
        if "error" in o and v047_only(c, o["error"]):
            r["verdict"] = "v0.47-only"
        elif "error" not in o:
            r["verdict"] = "oracle-no-error"
        elif "error" not in k:
            r["verdict"] = "cocoon-no-error"
        else:
            _, ocode, omsg, odet = split_err(o["error"])
            _, kcode, kmsg, kdet = split_err(k["error"])
            if "oracle crashed" in o["error"] or "oracle timeout" in o["error"]:
                r["verdict"] = "oracle-crash"
            elif ocode != kcode:
                r["verdict"] = "code"
            elif omsg != kmsg:
                r["verdict"] = "message"
            else:
                r["verdict"] = "equal"
                r["details"] = norm_details(ocode, odet) == norm_details(kcode, kdet)
                r["code"] = ocode
            r["opa"] = "%s: %s" % (ocode, omsg) + ("\n\t" + odet if odet else "")
            r["ours"] = "%s: %s" % (kcode, kmsg) + ("\n\t" + kdet if kdet else "")
        res.append(r)
    return res


def summary(name, res, out, listing):
    c = collections.Counter(r["verdict"] for r in res)
    rows = [r for r in res if r.get("row") is not None]
    det = [r for r in res if "details" in r]
    out.write("%s: %d cases: %s" % (name, len(res), ", ".join("%s %d" % kv for kv in sorted(c.items()))))
    if rows:
        out.write("; row equal %d of %d" % (sum(1 for r in rows if r["row"]), len(rows)))
    if det:
        out.write("; details equal %d of %d equal messages" % (sum(1 for r in det if r["details"]), len(det)))
        by = collections.Counter((r["code"], r["details"]) for r in det)
        out.write(" (%s)" % ", ".join("%s %d of %d" % (code, by[(code, True)], by[(code, True)] + by[(code, False)])
                                       for code in sorted({r["code"] for r in det})))
    out.write("\n")
    if listing:
        groups = collections.defaultdict(list)
        for r in res:
            if r["verdict"] != "equal":
                groups[(r["verdict"], (r["opa"] or "")[:70])].append(r)
        for (v, _), rs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            r = rs[0]
            out.write("  [%s] x%d %s\n    opa:  %s\n    ours: %s\n" % (
                v, len(rs), r["where"], (r["opa"] or "-").replace("\n", "\\n")[:400],
                (r["ours"] or "-").replace("\n", "\\n")[:400]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cocoon", default=os.path.join(ROOT, "build/src/cocoon/cocoon"))
    ap.add_argument("--results", nargs="*", default=[], help="difftest.py --results files")
    ap.add_argument("--oracle-cache", help="JSON file keeping the oracle's answers between runs")
    ap.add_argument("--node-path", default=os.environ.get("ORACLE_NODE_PATH", "/tmp/oracle/node_modules"))
    ap.add_argument("--only", choices=("conformance", "oracle", "compile"))
    ap.add_argument("--list", action="store_true", help="print the cases that differ, grouped")
    a = ap.parse_args()
    names = builtin_names(a.cocoon)
    if a.only in (None, "conformance"):
        cases = conformance_cases()
        ours = run_conformance(a.cocoon, cases)
        summary("conformance", compare_conformance(cases, ours, names), sys.stdout, a.list)
    if a.only in (None, "oracle") and a.results:
        progs = load_results(a.results)
        run_oracle_cases(progs, a.oracle_cache, a.node_path)
        run_cocoon_cases(progs, a.cocoon)
        summary("oracle", compare_oracle(progs), sys.stdout, a.list)
    if a.only in (None, "compile"):
        progs = compile_progs()
        run_oracle_cases(progs, a.oracle_cache, a.node_path)
        run_cocoon_cases(progs, a.cocoon)
        summary("compile", compare_oracle(progs), sys.stdout, a.list)


if __name__ == "__main__":
    main()
