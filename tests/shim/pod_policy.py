"""A Kata-generated agent policy on a pod in a microVM (issue 5).

Called by test_shim_containerd.py's guest pull part with its containerd,
the QEMU configuration and the image in the loopback registry. The policy
is genpolicy's rules (data/kata-policy/rules.rego: Kata's, with the one
guest-pull adaptation marked there) and policy_data written for this pod
(data/kata-policy/policy_data.json), sent as Kata's runtime sends it: base64
in the pod's io.katacontainers.config.agent.policy annotation, which the
shim turns into SetPolicy before CreateSandbox.

The pod is what CRI would make of it: a sandbox container and an app
container, with CRI's annotations (ids of 64 hex digits, sandbox name,
namespace and log directory, container name). Checked: the pod runs under
the policy; an app container with an extra argument or an added environment
variable is refused with the policy's reason, on ctr's terminal and in the
agent's log; an exec of a command the policy does not list is refused the
same way; the pod keeps running through all of it (allowed execs answer);
and at the end nothing is left.
"""
import base64
import glob
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SANDBOX = hashlib.sha256(b"cocoon policy test sandbox").hexdigest()
APP = hashlib.sha256(b"cocoon policy test app").hexdigest()
LOGDIR = "/var/log/pods/default_policy-test_0c4f6c1e-5d0b-4b5e-9d43-5a0e2f1f7a11"


def policy_text(bundles):
    with open(os.path.join(HERE, "data", "kata-policy", "rules.rego")) as f:
        rules = f.read()
    with open(os.path.join(HERE, "data", "kata-policy", "policy_data.json")) as f:
        data = f.read()
    data = data.replace("@SANDBOX_ID@", SANDBOX).replace("@APP_ID@", APP)
    data = data.replace("@BUNDLES@", bundles)
    json.loads(data)
    return rules + "policy_data := " + data + "\n"


def agent_log(ctd):
    """The guest's console (the agent logs there) of the pods running now."""
    out = ""
    for p in glob.glob(os.path.join(ctd.state, "cocoon", "*", "console.log")):
        with open(p, errors="replace") as f:
            out += f.read()
    return out


def run(t, ctd, cfg, image):
    check = t.check
    bundles = os.path.join(ctd.state, "io.containerd.runtime.v2.task", "default")
    policy = base64.b64encode(policy_text(bundles).encode()).decode()
    common = ["--annotation", "io.kubernetes.cri.image-name=" + image,
              "--annotation", "io.kubernetes.cri.sandbox-id=" + SANDBOX,
              "--annotation", "io.kubernetes.cri.sandbox-name=policy-test",
              "--annotation", "io.kubernetes.cri.sandbox-namespace=default"]

    def run_d(cid, args, annotations, env=()):
        extra = []
        for e in env:
            extra += ["--env", e]
        return ctd.ctr("run", "-d", "--runtime", t.SHIM, "--runtime-config-path", cfg, "--rootfs",
                       *common, *annotations, *extra, t.ROOTFS, cid, *args, timeout=300)

    def app(args, env):
        return run_d(APP, args, ["--annotation", "io.kubernetes.cri.container-type=container",
                                 "--annotation", "io.kubernetes.cri.container-name=app"], env)

    def gone(cid):
        ctd.ctr("task", "kill", "-s", "SIGKILL", cid)
        t.wait_for(lambda: ctd.task_status(cid) in ("STOPPED", None), 30)
        ctd.ctr("task", "delete", cid)
        ctd.ctr("container", "delete", cid)

    r = run_d(SANDBOX, ["/bin/sh", "-c", "while :; do sleep 1; done"],
              ["--annotation", "io.kubernetes.cri.container-type=sandbox",
               "--annotation", "io.kubernetes.cri.sandbox-log-directory=" + LOGDIR,
               "--annotation", "io.katacontainers.config.agent.policy=" + policy])
    if not check("policy: the pod's sandbox starts under the Kata policy (SetPolicy from the "
                 "annotation)", r.returncode == 0 and
                 t.wait_for(lambda: ctd.task_status(SANDBOX) == "RUNNING", 30),
                 (r.returncode, r.stderr[-1500:])):
        gone(SANDBOX)
        return
    log = agent_log(ctd)
    check("policy: the agent replaced its policy by the pod's",
          "policy: replaced by SetPolicy" in log, log[-1500:])

    app_args = ["/bin/sh", "-c", "echo app-ran $GREETING; sleep 1000"]
    r = app(app_args + ["extra"], ["GREETING=hello"])
    check("policy: an extra argument is refused with the policy's reason",
          r.returncode != 0 and b"CreateContainerRequest is blocked by policy" in r.stderr and
          b"allow_args" in r.stderr, r.stderr[-800:])
    ctd.ctr("container", "delete", APP)
    r = app(app_args, ["GREETING=hello", "EXTRA=1"])
    check("policy: an added environment variable is refused with the policy's reason",
          r.returncode != 0 and b"CreateContainerRequest is blocked by policy" in r.stderr and
          b"allow_env" in r.stderr, r.stderr[-800:])
    ctd.ctr("container", "delete", APP)
    log = agent_log(ctd)
    check("policy: the agent's log has the denials and the policy's prints",
          log.count("policy: CreateContainerRequest is blocked by policy") >= 2 and
          "policy: CreateContainerRequest: print: " in log and "EXTRA=1" in log, log[-1500:])

    r = app(app_args, ["GREETING=hello"])
    check("policy: the app container the policy describes runs",
          r.returncode == 0 and t.wait_for(lambda: ctd.task_status(APP) == "RUNNING", 30), r)
    r = ctd.ctr("task", "exec", "--exec-id", "ok1", APP, "/bin/echo", "app-exec")
    check("policy: an exec the policy lists runs", r.returncode == 0 and r.stdout == b"app-exec\n",
          r)
    r = ctd.ctr("task", "exec", "--exec-id", "no1", APP, "/bin/cat", "/etc/shadow")
    check("policy: an exec of another command is refused with the policy's reason",
          r.returncode != 0 and b"ExecProcessRequest is blocked by policy" in r.stderr, r)
    log = agent_log(ctd)
    check("policy: ... and the agent's log names it",
          "policy: ExecProcessRequest is blocked by policy" in log and
          "/bin/cat /etc/shadow" in log, log[-1500:])
    r = ctd.ctr("task", "exec", "--exec-id", "ok2", SANDBOX, "/bin/echo", "exec-allowed")
    check("policy: the pod keeps running: the sandbox and the app run, allowed execs answer",
          r.stdout == b"exec-allowed\n" and ctd.task_status(SANDBOX) == "RUNNING" and
          ctd.task_status(APP) == "RUNNING", (r, ctd.task_status(SANDBOX),
                                              ctd.task_status(APP)))
    for cid in (APP, SANDBOX):
        gone(cid)
    check("policy: after the pod, nothing left", t.wait_for(lambda: not t.leftovers(ctd), 20),
          t.leftovers(ctd))
