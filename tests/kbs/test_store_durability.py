#!/usr/bin/env python3
"""kill -9 durability of the KBS store (docs/kbs-store.md, "Durability").

Starts tests/kbs/store_writer on one store file, SIGKILLs it (by PID) at a
random moment, reopens the store with `store_writer check`, and repeats for
ROUNDS rounds. The writer's operations are a fixed sequence (put resource i,
put the counter, put session i with relaxed_sessions (synchronous=NORMAL),
every fourth index delete resource i - 2) and it prints one
"ack" line per operation that returned, so the driver knows the state after
every acknowledged operation. After each kill the reopened store must be
exactly that state, or that state plus the one operation in flight (it may
have committed before the kill took the acknowledgement away); every value
must be byte-exact; PRAGMA integrity_check must say ok; nothing else may be
stored; the only files are the store and, while it is open, its -wal and
-shm, all mode 0600.

Usage: test_store_durability.py STORE_WRITER [ROUNDS] [SEED]
"""

import os
import random
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

ROUNDS = 30
MAX_DELAY = 0.12  # seconds before the kill


def ops_from(start):
    """The writer's operations from index start, as (op, i), lazily."""
    i = start
    while True:
        yield ("put", i)
        yield ("ctr", i)
        yield ("ses", i)
        if i % 4 == 3 and i >= 2:
            yield ("del", i - 2)
        i += 1


def apply(state, op):
    """state = (resource indices, counter or None, session indices);
    returns a new one."""
    res, ctr, ses = state
    kind, i = op
    if kind == "put":
        return (res | {i}, ctr, ses)
    if kind == "ctr":
        return (res, i, ses)
    if kind == "ses":
        return (res, ctr, ses | {i})
    return (res - {i}, ctr, ses)


def read_store(writer, path):
    """Runs `store_writer check`; returns ((resources, counter, sessions), problems)."""
    out = subprocess.run([writer, "check", path], capture_output=True, text=True, timeout=60)
    problems = []
    if out.returncode != 0:
        problems.append(f"check exited {out.returncode}: {out.stderr.strip()}")
    res, ses, ctr, integrity = set(), set(), None, False
    for line in out.stdout.splitlines():
        f = line.split()
        if f[:1] in (["res"], ["ses"]):
            if f[2] != "ok":
                problems.append(f"{f[0]} {f[1]} has the wrong bytes")
            (res if f[0] == "res" else ses).add(int(f[1]))
        elif f[:1] == ["ctr"]:
            ctr = int(f[1])
        elif line == "integrity ok":
            integrity = True
        else:
            problems.append(f"unexpected: {line}")
    if not integrity and out.returncode == 0:
        problems.append("no integrity line")
    return (frozenset(res), ctr, frozenset(ses)), problems


def check_files(d, open_now):
    """Only the store, and, right after a kill, what SQLite keeps for its
    recovery: -wal and -shm, or a -journal when the kill landed in the
    switch of a new file to WAL (made in rollback mode). The next open
    recovers from them, and closing the store removes them."""
    problems = []
    allowed = {"kbs.sqlite"}
    if open_now:
        allowed |= {"kbs.sqlite-wal", "kbs.sqlite-shm", "kbs.sqlite-journal"}
    for name in sorted(os.listdir(d)):
        st = os.lstat(os.path.join(d, name))
        if name not in allowed:
            problems.append(f"stray file {name}")
        elif stat.S_IMODE(st.st_mode) != 0o600 or not stat.S_ISREG(st.st_mode):
            problems.append(f"{name}: mode {stat.S_IMODE(st.st_mode):04o}")
    return problems


def run_round(writer, path, start, delay):
    """Starts the writer from index start, kills it after delay seconds;
    returns the acknowledged lines."""
    proc = subprocess.Popen([writer, "write", path, str(start)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    lines = []

    def drain():
        for raw in proc.stdout:
            if raw.endswith(b"\n"):
                lines.append(raw.decode().strip())

    t = threading.Thread(target=drain)
    t.start()
    try:
        time.sleep(delay)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        t.join(timeout=30)
    err = proc.stderr.read().decode(errors="replace").strip()
    proc.stderr.close()
    proc.stdout.close()
    if proc.returncode != -signal.SIGKILL:
        raise SystemExit(f"writer exited {proc.returncode} before the kill: {err}")
    return lines


def main():
    writer = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else ROUNDS
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else int(time.time())
    rng = random.Random(seed)
    print(f"seed {seed}, {rounds} rounds")
    failures = []
    total_acks = 0
    with tempfile.TemporaryDirectory(prefix="kbs-durability-") as d:
        os.chmod(d, 0o700)
        path = os.path.join(d, "kbs.sqlite")
        state = (frozenset(), None, frozenset())
        start = 0
        t0 = time.monotonic()
        for r in range(rounds):
            # Now and then right at the start: the kill lands in the open
            # (file creation, schema migration, WAL recovery).
            delay = rng.uniform(0, 0.005) if r % 7 == 0 else rng.uniform(0.005, MAX_DELAY)
            acks = run_round(writer, path, start, delay)
            total_acks += len(acks)
            ops = ops_from(start)
            acked = state
            last_i = start
            for line in acks:
                op = next(ops)
                if line != f"ack {op[0]} {op[1]}":
                    failures.append(f"round {r}: ack {line!r}, expected {op}")
                    break
                acked = apply(acked, op)
                last_i = op[1]
            in_flight = next(ops)
            maybe = apply(acked, in_flight)
            failures += [f"round {r}: {p}" for p in check_files(d, open_now=True)]
            got, problems = read_store(writer, path)
            failures += [f"round {r}: {p}" for p in problems]
            if got == acked:
                state = acked
            elif got == maybe:
                state = maybe
            else:
                lost = sorted(acked[0] - got[0])
                extra = sorted(got[0] - maybe[0])
                lost_s = sorted(acked[2] - got[2])
                failures.append(
                    f"round {r}: store differs from the acknowledged state: "
                    f"missing {lost[:10]}, extra {extra[:10]}, sessions missing "
                    f"{lost_s[:10]}, counter {got[1]} (acked {acked[1]}, in flight "
                    f"{in_flight})")
                state = got
            failures += [f"round {r}: {p}" for p in check_files(d, open_now=False)]
            print(f"round {r:2}: killed after {delay * 1000:5.1f} ms, {len(acks):4} acks, "
                  f"{len(state[0]):4} resources, {len(state[2]):4} sessions, counter {state[1]}")
            # The next writer starts past every index this one may have used.
            start = max(last_i, in_flight[1]) + 1
            if failures:
                break
        elapsed = time.monotonic() - t0
    print(f"{total_acks} acknowledged operations over {rounds} kills in {elapsed:.1f} s")
    if failures:
        for f in failures:
            print("FAIL:", f)
        return 1
    print("every acknowledged write survived; integrity ok; no stray state")
    return 0


if __name__ == "__main__":
    sys.exit(main())
