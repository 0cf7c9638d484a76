#!/usr/bin/python3
"""Runs docker-compose.yml's suite without a container engine, to exercise what its files say.

  sudo tests/deploy/compose_rehearsal.py [--build=build] [--keep]

Where no container engine can run (this project's machines have none), this is the nearest
thing to `docker-compose up`: it takes each service's command, environment and health check
from `docker-compose config`, and runs the real binaries (from --build) with exactly those
flags, in a network namespace of its own (loopback only; the compose service names resolve to
it through a private /etc/hosts, so each certificate is checked against its service name as
in compose), each as the image's non-root user (uid 10001; Prometheus 10002). The container
paths are mapped onto a scratch folder: each service gets its own secrets folder, made by
deploy/dev-secrets as the compose `secrets` job makes it, read-only to the service, and its own
data folder. Then it waits for every health check (deploy/grpc-health-check, as compose runs
it), and through the gateway's HTTPS port, as a person would: loads the demo catalogue, submits
and accepts a case, sees workflow start its process, supervision its clocks, scoring, notify and
video answer, the audit chain verify; a platform follows the exchange over mutual TLS and
receives the case's records; Prometheus (Debian's) scrapes every service. Needs root (for
unshare and setpriv); prints what it did and exits 1 on the first failure.

What it does not exercise: the images (deploy/Dockerfile), docker's volumes and networks, the
read-only root file system, and the `secrets` job running in a container.
"""
import argparse
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUITE = ["intake", "workflow", "supervision", "scoring", "video", "notify", "gateway"]
SERVICE_UID = 10001
PROMETHEUS_UID = 10002


def log(message):
    print(f"rehearsal: {message}", flush=True)


def fail(message):
    print(f"rehearsal: FAIL {message}", flush=True)
    sys.exit(1)


def paths(name, root, build):
    """Container path prefixes of service NAME, longest first, and where they are here."""
    bins = {s: os.path.join(build, "services", s, s) for s in SUITE}
    mapping = [
        ("/opt/sunlight/bin/grpc-health-check", os.path.join(REPO, "deploy/grpc-health-check")),
        *[(f"/opt/sunlight/bin/{s}", b) for s, b in bins.items()],
        ("/opt/sunlight/data", os.path.join(REPO, "data")),
        ("/opt/sunlight/console-vendor",
         os.path.join(REPO, "tools/console-vendor/node_modules/echarts/dist")),
        ("/opt/sunlight/console", os.path.join(REPO, "services/gateway/console")),
        ("/etc/sunlight", os.path.join(root, "secrets", name)),
        ("/var/lib/sunlight/recordings", os.path.join(root, name, "recordings")),
        ("/var/lib/sunlight/audit", os.path.join(root, name, "audit")),
        ("/var/lib/sunlight", os.path.join(root, name, "data")),
        ("/etc/sunlight-prometheus", os.path.join(REPO, "deploy/prometheus")),
        ("/var/lib/prometheus", os.path.join(root, "prometheus")),
    ]
    return mapping


def translate(words, mapping):
    out = []
    for word in words:
        for container, here in mapping:
            word = re.sub(rf"(^|=){re.escape(container)}(?=/|$)", lambda m: m.group(1) + here, word)
        out.append(word)
    return out


def flag_values(words, name):
    return [w.split("=", 1)[1] for w in words if w.startswith(f"--{name}=")]


def as_user(uid, words):
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"] + words


def https(method, path, ca, token=None, body=None):
    request = urllib.request.Request(f"https://localhost:8080{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode())
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    context = ssl.create_default_context(cafile=ca)
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def inside(args):
    """In the namespaces: start everything, check it, stop it."""
    root = args.root
    build = os.path.abspath(args.build)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    hosts = os.path.join(root, "hosts")
    with open(hosts, "w") as f:
        f.write("127.0.0.1 localhost " + " ".join(SUITE + ["prometheus"]) + "\n::1 localhost\n")
    subprocess.run(["mount", "--bind", hosts, "/etc/hosts"], check=True)

    config = yaml.safe_load(subprocess.run(
        ["docker-compose", "--project-directory", REPO, "-f", os.path.join(REPO, "docker-compose.yml"),
         "config"], env={**os.environ, "SUNLIGHT_PROVISIONAL_YEARS": str(time.gmtime().tm_year + 1)},
        capture_output=True, text=True, check=True).stdout)
    services = config["services"]

    # The secrets job: deploy/dev-secrets into each service's folder, as the job's uid.
    secrets = os.path.join(root, "secrets")
    os.makedirs(secrets)
    os.chown(secrets, SERVICE_UID, SERVICE_UID)
    job = services["secrets"]["command"]
    if job[0] != "/opt/sunlight/bin/dev-secrets":
        fail(f"the secrets job runs {job[0]}")
    subprocess.run(as_user(SERVICE_UID, [os.path.join(REPO, "deploy/dev-secrets"), secrets]),
                   check=True, stdout=subprocess.DEVNULL)
    ca = os.path.join(secrets, "private/ca/ca.crt")

    processes = []
    logs = os.path.join(root, "logs")
    os.makedirs(logs)
    try:
        for name in SUITE:
            s = services[name]
            mapping = paths(name, root, build)
            for sub in ("data", "recordings", "audit"):
                os.makedirs(os.path.join(root, name, sub), mode=0o700)
                os.chown(os.path.join(root, name, sub), SERVICE_UID, SERVICE_UID)
            # Read-only secrets, as compose mounts them (:ro).
            subprocess.run(["mount", "--bind", os.path.join(secrets, name), os.path.join(secrets, name)], check=True)
            subprocess.run(["mount", "-o", "remount,bind,ro", os.path.join(secrets, name)], check=True)
            env = {"PATH": "/usr/bin:/bin", "HOME": os.path.join(root, name, "data")}
            env.update({k: str(v) for k, v in (s.get("environment") or {}).items()})
            command = translate(s["command"], mapping)
            out = open(os.path.join(logs, f"{name}.log"), "w")
            processes.append((name, subprocess.Popen(as_user(SERVICE_UID, command), env=env,
                                                     stdout=out, stderr=subprocess.STDOUT,
                                                     cwd=os.path.join(root, name, "data"))))
        log(f"started {', '.join(SUITE)} as uid {SERVICE_UID} with the compose commands")
        prom = services["prometheus"]
        os.makedirs(os.path.join(root, "prometheus"), mode=0o700)
        os.chown(os.path.join(root, "prometheus"), PROMETHEUS_UID, PROMETHEUS_UID)
        prom_command = translate(["/usr/bin/prometheus"] + prom["command"], paths("prometheus", root, build))
        processes.append(("prometheus", subprocess.Popen(
            as_user(PROMETHEUS_UID, prom_command),
            stdout=open(os.path.join(logs, "prometheus.log"), "w"), stderr=subprocess.STDOUT,
            cwd=os.path.join(root, "prometheus"))))

        # Health, as compose checks it.
        for name in SUITE:
            test = translate(services[name]["healthcheck"]["test"][1:], paths(name, root, build))
            deadline = time.time() + 60
            while True:
                done = subprocess.run(as_user(SERVICE_UID, test), capture_output=True, text=True)
                if done.returncode == 0:
                    break
                dead = [n for n, p in processes if p.poll() is not None]
                if dead or time.time() > deadline:
                    for n in dead or [name]:
                        print(open(os.path.join(logs, f"{n}.log")).read()[-3000:])
                    fail(f"{name} not healthy: {done.stderr.strip()} (exited: {dead})")
                time.sleep(0.5)
        log("every service healthy (grpc-health-check over mutual TLS, as the compose health checks)")

        users = {}
        with open(os.path.join(secrets, "gateway/config/users.jsonl")) as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    u = json.loads(line)
                    users[u["user"]["user_id"]] = u["password"]

        def login(user):
            status, body = https("POST", "/v1/login", ca, body={"user_id": user, "password": users[user]})
            if status != 200:
                fail(f"login {user}: {status} {body}")
            return body["token"]

        def expect(what, status, body, code=200):
            if status != code:
                fail(f"{what}: {status} {body}")
            return body

        admin, clerk, inspector, auditor = (login(u) for u in ("admin", "clerk-1", "insp-li", "audit-sun"))
        with open(os.path.join(REPO, "deploy/demo/catalogue.json")) as f:
            catalogue = json.load(f)
        for d in catalogue["departments"]:
            expect("POST /v1/departments", *https("POST", "/v1/departments", ca, admin, {"department": d}))
        for w in catalogue["windows"]:
            expect("POST /v1/windows", *https("POST", "/v1/windows", ca, admin, {"window": w}))
        for i in catalogue["items"]:
            expect("POST /v1/items", *https("POST", "/v1/items", ca, admin, {"definition": i}))
        log(f"catalogue loaded through the gateway: {len(catalogue['departments'])} departments, "
            f"{len(catalogue['windows'])} windows, {len(catalogue['items'])} items")
        submitted = expect("POST /v1/public/applications", *https(
            "POST", "/v1/public/applications", ca, None,
            {"idempotency_key": "rehearsal-1", "item_code": "GT-001", "subject": "Li noodles",
             "applicant": {"kind": "APPLICANT_KIND_PERSON", "name": "李明",
                           "id_number": "110101199003071234", "phone": "13812345678"},
             "materials": [{"code": "id-card", "name": "身份证"},
                           {"code": "application-form", "name": "申请书"},
                           {"code": "premises", "name": "租赁合同"}]}))
        case_id = submitted["case"]["case_id"]
        expect("accept", *https("POST", f"/v1/cases/{case_id}:accept", ca, clerk, {"window_id": "W01"}))
        log(f"case {case_id} submitted (public) and accepted at W01 (clerk-1)")

        def eventually(what, call, ok):
            deadline = time.time() + 30
            while True:
                status, body = call()
                if status == 200 and ok(body):
                    return body
                if time.time() > deadline:
                    fail(f"{what}: {status} {str(body)[:500]}")
                time.sleep(0.5)

        eventually("workflow's process", lambda: https("GET", f"/v1/cases/{case_id}/process", ca, inspector),
                   lambda b: bool(b.get("process", {}).get("steps")))
        eventually("supervision's clocks", lambda: https("GET", f"/v1/cases/{case_id}/clocks", ca, inspector),
                   lambda b: bool(b.get("clocks")))
        log("workflow started the case's process and supervision its clocks (both following intake)")
        for path, user in (("/v1/board", inspector), (f"/v1/statistics?dimension=DIMENSION_DEPARTMENT&period=PERIOD_MONTH"
                            f"&from_day={time.strftime('%Y-%m')}-01&to_day={time.strftime('%Y-%m-%d')}", inspector),
                           (f"/v1/scores/{time.strftime('%Y-%m')}", inspector),
                           ("/v1/notifications", admin), ("/v1/video/cameras", admin),
                           ("/v1/video/storage", admin)):
            expect(f"GET {path}", *https("GET", path, ca, user))
        verified = expect("audit verify", *https("GET", "/v1/audit:verify", ca, auditor))
        log(f"board, statistics, scores, notifications, cameras, storage answered; audit: {json.dumps(verified)[:120]}")

        # The provincial exchange, as the demo platform.
        platform = os.path.join(secrets, "private/platforms")
        state = os.path.join(root, "province")
        client = subprocess.Popen(
            [sys.executable, os.path.join(REPO, "tests/exchange/exchange_client.py"),
             "--target=localhost:7010", f"--ca={platform}/ca.crt", f"--cert={platform}/demo-province.crt",
             f"--key={platform}/demo-province.key", f"--state={state}"],
            stdout=open(os.path.join(logs, "province.log"), "w"), stderr=subprocess.STDOUT)
        processes.append(("province", client))
        deadline = time.time() + 60
        records = []
        while time.time() < deadline:
            path = os.path.join(state, "records.jsonl")
            if os.path.exists(path):
                with open(path) as f:
                    records = [json.loads(line) for line in f if line.strip()]
                if any(case_id in json.dumps(r) for r in records):
                    break
            if client.poll() is not None:
                break
            time.sleep(0.5)
        if not any(case_id in json.dumps(r) for r in records):
            print(open(os.path.join(logs, "province.log")).read()[-2000:])
            fail("the platform received no record of the case over the exchange")
        streams = sorted({r.get("source_stream", "?") for r in records})
        log(f"the demo platform received {len(records)} records over the exchange (streams {', '.join(streams)})")

        # Prometheus: every job up.
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen("http://localhost:9090/api/v1/query?query=up", timeout=5) as r:
                    result = json.load(r)["data"]["result"]
                up = {m["metric"].get("service", m["metric"]["job"]): m["value"][1] for m in result}
            except (OSError, ValueError, KeyError):
                up = {}
            if len(up) >= len(SUITE) + 1 and all(v == "1" for v in up.values()):
                break
            if time.time() > deadline:
                fail(f"Prometheus: up = {up}")
            time.sleep(1)
        log(f"Prometheus (uid {PROMETHEUS_UID}) scrapes {', '.join(sorted(up))}: all up")

        # Calls refused for want of trust: each service counts its calls by method and code
        # (a follower refused by its producer only retries, and its log may not say why).
        refused = []
        for name in SUITE:
            port = re.search(r":(\d+)$", flag_values(services[name]["command"], "metrics_listen")[0]).group(1)
            with urllib.request.urlopen(f"http://localhost:{port}/metrics", timeout=5) as r:
                for line in r.read().decode().splitlines():
                    m = re.match(r'sunlight_grpc_requests_total\{(.*)\} (\S+)$', line)
                    if m and re.search(r'code="(UNAUTHENTICATED|PERMISSION_DENIED)"', m.group(1)) \
                            and float(m.group(2)) > 0:
                        refused.append(f"{name}: {line}")
        if refused:
            fail("calls refused:\n  " + "\n  ".join(refused))
        log("no call refused by any service (sunlight_grpc_requests_total by code)")

        problems = []
        for name in SUITE:
            text = open(os.path.join(logs, f"{name}.log")).read()
            for line in text.splitlines():
                if re.search(r"UNAUTHENTICATED|PERMISSION_DENIED|Permission denied|ERROR", line):
                    problems.append(f"{name}: {line}")
        if problems:
            fail("errors in the logs:\n  " + "\n  ".join(problems[:20]))
        log("no authentication, permission or error lines in any service's log")
    finally:
        for name, p in reversed(processes):
            if p.poll() is None:
                p.terminate()
        for name, p in processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    stopped = [n for n, p in processes if n in SUITE and p.returncode != 0]
    if stopped:
        fail(f"not stopped cleanly on SIGTERM: {stopped}")
    log("every service stopped cleanly on SIGTERM")
    print("rehearsal: 1 passed, 0 failed")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(REPO, "build"))
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.root:
        inside(args)
        return
    if os.geteuid() != 0:
        fail("needs root (unshare, setpriv)")
    for tool in ("unshare", "setpriv", "ip", "docker-compose", "prometheus"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/bin/{tool}"):
            fail(f"{tool} not found")
    root = tempfile.mkdtemp(prefix="sunlight-rehearsal-")
    os.chmod(root, 0o755)
    try:
        done = subprocess.run(["unshare", "--net", "--mount", "--propagation", "private",
                               sys.executable, os.path.abspath(__file__), f"--build={args.build}",
                               f"--root={root}"])
        if done.returncode != 0:
            log(f"logs in {root}/logs" if args.keep else "run with --keep to keep the logs")
        sys.exit(done.returncode)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
