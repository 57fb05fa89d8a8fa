#!/usr/bin/env python3
"""Totals of a campaign: verdicts per source over the --results files given,
and how many distinct policy/input pairs the oracle answered (a value,
undefined or an error other than a crash, a timeout or an undefined
function)."""
import collections
import json
import sys

by_src = collections.defaultdict(collections.Counter)
pairs, answered = set(), set()
for f in sys.argv[1:]:
    for line in open(f, encoding="utf-8"):
        d = json.loads(line)
        src = d["id"][0]
        src = {"b": "bi", "g": "gen", "o": "opa", "k": "kata"}.get(src, src)
        by_src[src][d["verdict"]] += 1
        key = (d.get("rules") or "", d["body"])
        pairs.add(key)
        o = d["oracle"]
        if not (o.startswith("error: oracle") or "undefined function" in o or o == "(not run)"):
            answered.add(key)
tot = collections.Counter()
for s in sorted(by_src):
    tot.update(by_src[s])
    print("%-5s %6d  %s" % (s, sum(by_src[s].values()), ", ".join("%s %d" % kv for kv in sorted(by_src[s].items()))))
print("total %6d  %s" % (sum(tot.values()), ", ".join("%s %d" % kv for kv in sorted(tot.items()))))
print("distinct policy/input pairs: %d, answered by the oracle: %d" % (len(pairs), len(answered)))
