#!/usr/bin/env python3
"""cocoon policy eval --explain: why a rule was undefined or a decision
denied (issue 7). Runs the real binary on a policy written here."""
import os
import subprocess
import sys
import tempfile

COCOON = sys.argv[1]
POLICY = """package kata

default allow := false

allow if {
\tinput.user == "admin"
\tinput.action == "exec"
}

allow if {
\tis_reader
\tinput.action == "read"
}

is_reader if input.role in {"reader", "auditor"}
"""
checks = 0
failed = 0


def check(name, ok, detail=""):
    global checks, failed
    checks += 1
    if not ok:
        failed += 1
        print("FAIL %s %s" % (name, detail))
    else:
        print("ok   %s" % name)


def run(d, *args, inp=None):
    cmd = [COCOON, "policy", "eval", "-d", os.path.join(d, "p.rego")]
    if inp is not None:
        path = os.path.join(d, "in.json")
        with open(path, "w") as f:
            f.write(inp)
        cmd += ["-i", path]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=60)


with tempfile.TemporaryDirectory() as d:
    with open(os.path.join(d, "p.rego"), "w") as f:
        f.write(POLICY)
    dev = '{"user": "bob", "role": "dev", "action": "read"}'
    r = run(d, "-f", "pretty", "--explain", "fails", "data.kata.allow", inp=dev)
    out = r.stdout.splitlines()
    check("fails: result first", r.returncode == 0 and out[0] == "false", r.stdout + r.stderr)
    trace = [l for l in out[1:]]
    want = [
        ("p.rego:5", "| Enter allow"),
        ("p.rego:6", '| Fail equal(input.user, "admin")'),
        ("p.rego:5", "| Undefined allow"),
        ("p.rego:10", "| Enter allow"),
        ("p.rego:15", "| | Enter is_reader"),
        ("p.rego:15", "| | Fail internal.member_2(input.role"),
        ("p.rego:15", "| | Undefined is_reader"),
        ("p.rego:11", "| Fail data.kata.is_reader"),
        ("p.rego:10", "| Undefined allow"),
    ]
    ok = len(trace) == len(want)
    for line, (loc, ev) in zip(trace, want):
        ok = ok and loc in line.split()[0] and line.split(None, 1)[1].startswith(ev)
    check("fails: the path to the denial", ok, "\n".join(trace))
    check("fails: no Eval/Exit events", not any(" Eval " in l or " Exit " in l for l in trace))

    r = run(d, "-f", "pretty", "--explain", "full", "data.kata.allow", inp=dev)
    full = r.stdout.splitlines()[1:]
    check("full: every expression evaluated", sum(" Eval " in l for l in full) == 4, "\n".join(full))
    check("full: query event first", full and full[0].startswith("query:1") and "Eval data.kata.allow" in full[0])

    admin = '{"user": "admin", "role": "dev", "action": "exec"}'
    r = run(d, "-f", "pretty", "--explain", "full", "data.kata.allow", inp=admin)
    lines = r.stdout.splitlines()
    check("full: allowed shows Exit", lines[0] == "true" and any("| Exit allow" in l for l in lines), r.stdout)
    check("full: no Fail when allowed", not any(" Fail " in l for l in lines), r.stdout)

    r = run(d, "data.kata.allow", "--explain", "fails", inp=dev)
    check("json: result on stdout, trace on stderr",
          r.returncode == 0 and '"value": false' in r.stdout and "| Undefined allow" in r.stderr
          and "Undefined" not in r.stdout, r.stdout + r.stderr)

    r = run(d, "-f", "pretty", "data.kata.allow", inp=dev)
    check("no flag: no trace", r.stdout.strip() == "false" and r.stderr == "", r.stdout + r.stderr)

    r = run(d, "--explain", "notes", "data.kata.allow", inp=dev)
    check("notes refused with a reason", r.returncode == 2 and "trace()" in r.stderr, r.stderr)
    r = run(d, "--explain", "everything", "data.kata.allow", inp=dev)
    check("unknown mode refused", r.returncode == 2 and "--explain takes" in r.stderr, r.stderr)

    # a trace never changes the answer: same value with and without
    for inp in (dev, admin, '{"user": "x", "role": "auditor", "action": "read"}'):
        a = run(d, "-f", "raw", "data.kata", inp=inp).stdout
        b = run(d, "-f", "raw", "--explain", "full", "data.kata", inp=inp).stdout
        check("same answer traced and not: %s" % inp, a == b and a != "", a + "|" + b)

    # a huge trace is cut, with a last line saying so, and the answer stands
    with open(os.path.join(d, "p.rego"), "w") as f:
        f.write("package big\nn := count([x | some x in numbers.range(1, 400000); x > 0])\n")
    r = run(d, "-f", "pretty", "--explain", "full", "data.big.n")
    lines = r.stdout.splitlines()
    check("huge trace: answer, then cut", lines[0] == "400000" and lines[-1] == "... trace truncated"
          and len(r.stdout) <= 16 * 1024 * 1024 + 64, "%d bytes, first %r last %r" % (len(r.stdout), lines[0], lines[-1]))

print("%d passed, %d failed" % (checks - failed, failed))
sys.exit(1 if failed else 0)
