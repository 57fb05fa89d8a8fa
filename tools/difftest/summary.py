#!/usr/bin/env python3
"""Totals of a campaign over the --results files given: verdicts per
source; how many distinct policy/input pairs the oracle answered (a value,
undefined or an error other than a crash, a timeout or an undefined
function); and every disagreement by known kind (triage.py), with the ones
of no known kind listed in full."""
import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import triage  # noqa: E402

SRC = {"b": "bi", "g": "gen", "o": "opa", "k": "kata"}
OK = ("agree", "both-error", "oracle-unsupported")

by_src = collections.defaultdict(collections.Counter)
kinds = collections.Counter()
unknown = []
pairs, answered = set(), set()
for f in sys.argv[1:]:
    for line in open(f, encoding="utf-8"):
        d = json.loads(line)
        by_src[SRC.get(d["id"][0], d["id"][0])][d["verdict"]] += 1
        key = (d.get("rules") or "", d["body"])
        pairs.add(key)
        o = d["oracle"]
        if not (o.startswith("error: oracle") or "undefined function" in o or o == "(not run)"):
            answered.add(key)
        if d["verdict"] not in OK:
            k = triage.classify(d)
            kinds[k or "unknown"] += 1
            if k is None:
                unknown.append(d)
tot = collections.Counter()
for s in sorted(by_src):
    tot.update(by_src[s])
    print("%-5s %6d  %s" % (s, sum(by_src[s].values()), ", ".join("%s %d" % kv for kv in sorted(by_src[s].items()))))
print("total %6d  %s" % (sum(tot.values()), ", ".join("%s %d" % kv for kv in sorted(tot.items()))))
print("distinct policy/input pairs: %d, answered by the oracle: %d" % (len(pairs), len(answered)))
print("\ndisagreements by kind:")
for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])):
    print("%6d  %s" % (n, k))
for d in unknown:
    print("\n---- %s %s (%s)\nrules:\n%s\nquery:\n%s\noracle: %s\ncocoon: %s" % (
        d["verdict"], d["id"], d["note"], d.get("rules") or "", d["body"], d["oracle"][:600], d["cocoon"][:600]))
