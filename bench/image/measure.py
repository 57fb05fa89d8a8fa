"""Running one timed command for the image-service benchmarks.

Each command runs under GNU time (/usr/bin/time), which wait4()s it as its
direct child: its user and system CPU seconds and peak RSS (ru_maxrss) are
the command's own (and its children's), not this Python process's, whose
pages a forked child would otherwise carry into its high-water mark. The
wall time is taken here with a monotonic clock around the whole run (GNU
time's own start-up is a millisecond or two, the same for every tool)."""
import os
import statistics
import subprocess
import time

TIME_FMT = "%U %S %M"


class StepError(Exception):
    """A benchmark step failed (a command exited non-zero, or a result is
    wrong): run_image.sh reports it and exits non-zero."""


def run_timed(argv, log, env=None, timeout=1800):
    """Runs argv once; returns {"wall", "user", "sys", "cpu", "rss_kib"}.
    Output goes to the open file log. Raises StepError on failure."""
    tf = log.name + ".time"
    log.write("$ %s\n" % " ".join(argv))
    log.flush()
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", TIME_FMT, "-o", tf, "--"] + list(argv),
                       stdout=log, stderr=log, env=env, timeout=timeout)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise StepError("%s exited with %d (log: %s)" % (argv[0], p.returncode, log.name))
    with open(tf) as f:
        # GNU time prefixes "Command exited with non-zero status" lines; the
        # figures are on the last line
        user, sys_, rss = f.read().split("\n")[-2].split()
    os.unlink(tf)
    return {"wall": wall, "user": float(user), "sys": float(sys_),
            "cpu": float(user) + float(sys_), "rss_kib": int(rss)}


def run(argv, log, env=None, timeout=1800):
    """Runs a setup command (not timed); raises StepError on failure."""
    log.write("$ %s\n" % " ".join(argv))
    log.flush()
    p = subprocess.run(list(argv), stdout=log, stderr=log, env=env, timeout=timeout)
    if p.returncode != 0:
        raise StepError("%s exited with %d (log: %s)" % (argv[0], p.returncode, log.name))


def summarize(runs, key="wall"):
    """Median, min and max of one field over several runs."""
    v = [r[key] for r in runs]
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


def merge(*parts):
    """The sum of several commands' measurements that ran one after the
    other (skopeo then umoci): times add up, peak RSS is the larger."""
    out = {k: sum(p[k] for p in parts) for k in ("wall", "user", "sys", "cpu")}
    out["rss_kib"] = max(p["rss_kib"] for p in parts)
    return out
