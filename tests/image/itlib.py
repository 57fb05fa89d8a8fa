"""Shared helpers of the image-service integration tests (test_registry.py,
test_pull.py): results, processes started and stopped by PID, loopback
ports, a docker-registry on 127.0.0.1, and the final summary."""
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

TMP = tempfile.mkdtemp(prefix="cocoon-it-")
PROCS = []
FAILS = []
PASSES = []


def check(name, cond, detail=""):
    if cond:
        PASSES.append(name)
        print("ok - " + name)
    else:
        FAILS.append(name)
        print("not ok - " + name + (": " + detail if detail else ""))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("process exited early")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("port %d did not open" % port)


def run(*args, env=None, timeout=120):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(list(args), capture_output=True, text=True, env=e, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def sh(*args):
    rc, out, err = run(*args)
    if rc != 0:
        raise RuntimeError("%s failed: %s %s" % (args[0], out, err))
    return out


def start_registry(name, extra):
    port = free_port()
    root = os.path.join(TMP, name + "-data")
    os.makedirs(root)
    cfg = {"version": 0.1, "log": {"level": "error"},
           "storage": {"filesystem": {"rootdirectory": root}, "delete": {"enabled": True}},
           "http": {"addr": "127.0.0.1:%d" % port}}
    for k, v in extra(port).items():
        if k == "http":
            cfg["http"].update(v)
        else:
            cfg[k] = v
    path = os.path.join(TMP, name + ".json")  # YAML is a superset of JSON
    with open(path, "w") as f:
        json.dump(cfg, f)
    log = open(os.path.join(TMP, name + ".log"), "w")
    p = subprocess.Popen(["docker-registry", "serve", path], stdout=log, stderr=log)
    PROCS.append(p)
    wait_port(port, p)
    return port


def serve(handler):
    port = free_port()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    srv.daemon_threads = True
    srv.handle_error = lambda *a: None  # clients that hang up are part of the tests
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, port


def index_refs(layout):
    try:
        with open(os.path.join(layout, "index.json")) as f:
            return [m.get("annotations", {}).get("org.opencontainers.image.ref.name")
                    for m in json.load(f)["manifests"]]
    except FileNotFoundError:
        return []


def manifest_digest(layout, name):
    with open(os.path.join(layout, "index.json")) as f:
        for m in json.load(f)["manifests"]:
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == name:
                return m["digest"]
    return None


def finish(main):
    """Runs main(), stops every process started, removes TMP, prints the
    summary line and exits 1 if anything failed."""
    try:
        main()
    except Exception as e:  # a setup failure is a test failure
        import traceback
        traceback.print_exc()
        FAILS.append("setup: %s" % e)
    finally:
        for p in PROCS:
            p.terminate()
        for p in PROCS:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(TMP, ignore_errors=True)
    print("%d passed, %d failed" % (len(PASSES), len(FAILS)))
    sys.exit(1 if FAILS else 0)
