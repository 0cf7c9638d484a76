#!/usr/bin/python3
"""The dashboards and alert rules against the real suite, scraped by Debian's Prometheus
(ctest: observability_live).

  /usr/bin/python3 tests/observability/live_metrics_test.py      # exit 0 = pass

Environment: SUNLIGHT_BUILD_DIR (default <source>/build), SUNLIGHT_SOURCE_DIR (default the
repository holding this file), SUNLIGHT_KEEP_TMP=1 keeps the temporary directory,
SUNLIGHT_LIVE_DEADLINE (seconds from the start by which every query must have data, default
75).

What it does, in a temporary directory, every port picked free on 127.0.0.1:
 1. principal keys and certificates of a development CA (tools/dev-keys, tools/dev-ca), as
    ./tools/run makes them: every service is started secured, with mutual TLS;
 2. an RTSP camera (tests/support/rtsp_test_server.py, a GStreamer test pattern), an SMTP
    server with STARTTLS (below: it takes mail, and refuses recipients named bounce*);
 3. intake, workflow, supervision, video, scoring, notify (e-mail through that server,
    webhooks to a port nobody listens on) and the gateway (REST, the provincial exchange),
    each with its metrics on a port of its own;
 4. Debian's Prometheus with deploy/prometheus/prometheus.yml, its targets moved to those
    ports and scraping every second, and the real rule files;
 5. once every target has been scraped, a little load through the REST API over some
    seconds: the demo catalogue, cases submitted and accepted (after the first, supervision
    is restarted with its clock just before that case's yellow instant, as ./tools/run's
    demo does, so that transitions fire), a failed login, the board, clocks and alerts, an
    event stream held open, a month's scores computed, the rule set put back (a re-plan),
    the audit verified, the camera registered, contacts and a message to a department's
    staff (one e-mail taken, one refused, webhooks failing); the demo platform follows the
    exchange (tests/exchange/exchange_client.py);
 6. every dashboard panel's query (deploy/grafana/dashboards/*.json, variables expanded:
    $service to .*, $__rate_interval to 1m) must return data (a NaN from a histogram with no
    observation yet counts as data: the series are there);
 7. every alert rule's expression must be healthy in /api/v1/rules (evaluated, no lastError)
    and have data. An alert expression that is false returns nothing, so "has data" is
    checked on its structure (tests/observability/promql.py splits it at its top-level
    operator): an expression that returns something has data; `A and B` has data when A and
    B each have it and their series match (`A' and B'` returns something, A' and B' being A
    and B without a top-level comparison); `A unless B` when A has; a comparison `A > B` when
    A has (and B, unless it is a number, and their series match); arithmetic `A / B` only by
    returning something. Where a check fails, the innermost queries that returned nothing are
    listed;
 8. finally each metric name any query reads is looked up in /api/v1/label/__name__/values
    of the suite's targets: the names the suite never exposed are listed (they explain most
    failures); the alert conditions true at the end, the queries that returned only NaN,
    and what promtool check metrics says of each service's /metrics are printed (notes, not
    failures).
Everything it started is stopped, also on failure.
"""
import datetime
import glob
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import check_dashboard  # noqa: E402
import promql  # noqa: E402
import yaml  # noqa: E402

SRC = os.environ.get("SUNLIGHT_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("SUNLIGHT_BUILD_DIR") or os.path.join(SRC, "build")
DEADLINE = float(os.environ.get("SUNLIGHT_LIVE_DEADLINE", "75"))
PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
SERVICES = ["intake", "workflow", "supervision", "video", "scoring", "notify", "gateway"]
RATE_INTERVAL = "1m"
T0 = time.monotonic()


def log(message):
    print(f"[{time.monotonic() - T0:5.1f}s] {message}", flush=True)


class Failure(Exception):
    pass


# ------------------------------------------------------------------------------ processes

ALL = []


class Proc:
    def __init__(self, name, argv, tmp):
        self.name, self.argv = name, argv
        self.log_path = os.path.join(tmp, f"{name}.log")
        self.p = None

    def start(self):
        with open(self.log_path, "ab") as out:
            self.p = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL)
        ALL.append(self)
        return self

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def stop(self, timeout=10):
        if self.alive():
            self.p.terminate()
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(10)

    def tail(self, n=20):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except FileNotFoundError:
            lines = []
        return "\n".join(f"    {self.name}| {line}" for line in lines[-n:])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, timeout, proc=None, every=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise Failure(f"{proc.name} exited ({proc.p.returncode}) while waiting for {what}\n"
                          f"{proc.tail()}")
        try:
            value = check()
        except (OSError, http.client.HTTPException, ValueError):
            value = None
        if value:
            return value
        time.sleep(every)
    raise Failure(f"timed out after {timeout:.0f}s waiting for {what}"
                  + (f"\n{proc.tail()}" if proc else ""))


# ------------------------------------------------------------------------------ SMTP

class SmtpServer:
    """An SMTP server with STARTTLS (the notify channel requires it): 250 for every recipient
    but those whose address starts with `bounce`, which get 550."""

    def __init__(self, cert, key):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.messages = 0
        self.refused = 0
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        try:
            conn.settimeout(20)
            f = conn.makefile("rb")

            def say(text):
                conn.sendall(text.encode() + b"\r\n")
            say("220 sunlight-test ESMTP")
            tls = False
            while True:
                line = f.readline()
                if not line:
                    return
                verb = line[:4].decode("ascii", "replace").upper()
                if verb == "EHLO":
                    starttls = "" if tls else "\r\n250-STARTTLS"
                    say("250-sunlight-test" + starttls + "\r\n250 8BITMIME")
                elif verb == "HELO":
                    say("250 sunlight-test")
                elif verb == "STAR":
                    say("220 go ahead")
                    conn = self.context.wrap_socket(conn, server_side=True)
                    f = conn.makefile("rb")
                    tls = True
                elif verb == "MAIL":
                    say("250 ok" if tls else "530 STARTTLS first")
                elif verb == "RCPT":
                    if b"bounce" in line.lower():
                        self.refused += 1
                        say("550 5.1.1 mailbox unavailable")
                    else:
                        say("250 ok")
                elif verb == "DATA":
                    say("354 end with .")
                    while True:
                        data = f.readline()
                        if not data or data in (b".\r\n", b".\n"):
                            break
                    self.messages += 1
                    say("250 queued")
                elif verb == "QUIT":
                    say("221 bye")
                    return
                elif verb in ("RSET", "NOOP"):
                    say("250 ok")
                else:
                    say("502 not implemented")
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        self.stopping = True
        self.sock.close()


# ------------------------------------------------------------------------------ REST

class Rest:
    def __init__(self, port, ca):
        self.port = port
        self.context = ssl.create_default_context(cafile=ca)

    def call(self, method, path, token=None, body=None, expect=(200,)):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context,
                                           timeout=20)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            conn.request(method, path, body=None if body is None else json.dumps(body),
                         headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        if expect and response.status not in expect:
            raise Failure(f"{method} {path}: {response.status} {text[:400]}")
        try:
            return response.status, json.loads(text) if text else {}
        except ValueError:
            return response.status, {"text": text}

    def login(self, user, password):
        _, body = self.call("POST", "/v1/login", body={"user_id": user, "password": password})
        return body["token"]

    def hold_event_stream(self, token, stop):
        """Opens /v1/events:stream and reads it until `stop` is set (a thread)."""
        def run():
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context,
                                               timeout=2)
            try:
                conn.request("GET", "/v1/events:stream", headers={
                    "Authorization": f"Bearer {token}", "Accept": "text/event-stream"})
                response = conn.getresponse()
                while not stop.is_set():
                    try:
                        if not response.readline():
                            break
                    except (socket.timeout, TimeoutError):
                        continue
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread


# ------------------------------------------------------------------------------ Prometheus

class Prometheus:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path, **params):
        url = f"{self.base}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.load(r)

    def query(self, expr):
        """(result list, None) or (None, error text)."""
        try:
            body = self.get("/api/v1/query", query=expr)
        except urllib.error.HTTPError as e:
            try:
                body = json.load(e)
            except ValueError:
                return None, f"HTTP {e.code}"
        if body.get("status") != "success":
            return None, body.get("error", "error")
        data = body["data"]
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}], None
        return data["result"], None


def prometheus_config(ports, prometheus_port):
    """deploy/prometheus/prometheus.yml with its targets moved to the test's metrics ports,
    scraping and evaluating every second, and its rule files by absolute path."""
    path = os.path.join(SRC, "deploy", "prometheus", "prometheus.yml")
    with open(path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    base = os.path.dirname(path)
    config["rule_files"] = [os.path.join(base, r) for r in config.get("rule_files", [])]
    seen = set()
    for job in config["scrape_configs"]:
        job.pop("scrape_interval", None)
        job.pop("scrape_timeout", None)
        for static in job.get("static_configs", []):
            service = (static.get("labels") or {}).get("service")
            if job["job_name"] == "prometheus":
                static["targets"] = [f"127.0.0.1:{prometheus_port}"]
            elif service in ports:
                static["targets"] = [f"127.0.0.1:{ports[service]}"]
                seen.add(service)
            else:
                raise Failure(f"{path}: a target of job {job['job_name']} with service "
                              f"{service!r}, which the test does not start")
    missing = set(SERVICES) - seen
    if missing:
        raise Failure(f"{path} scrapes no {sorted(missing)}")
    return config


# ------------------------------------------------------------------------------ the checks

def strip_comparison(expr):
    """`expr` without a top-level comparison (its left side), else `expr`."""
    s = promql.split(expr)
    if s and s[0] in promql.COMPARISONS:
        return s[1]
    return expr


class Checker:
    def __init__(self, prom):
        self.prom = prom
        self.nan = set()

    def check(self, expr):
        """[] when `expr` has data in the sense of the module's docstring (step 7), else the
        reasons."""
        result, error = self.prom.query(expr)
        if error:
            return [f"error {error}: {expr}"]
        if result:
            if all(r["value"][1] in ("NaN", "+Inf", "-Inf") for r in result):
                self.nan.add(expr)
            return []
        s = promql.split(expr)
        if s is None:
            return [f"no data: {expr}"]
        op, left, right = s
        if op == "or":
            return [f"no data: {expr}"]  # both sides are empty
        if op == "unless":
            return self.check(left)
        sides = [x for x in (left, right) if not promql.is_literal(x)]
        problems = []
        for side in sides:
            problems += self.check(side)
        if problems:
            return problems
        if op == "and" or (op in promql.COMPARISONS and len(sides) == 2):
            # Both sides have data: the expression is false, unless their series never match.
            a, b = (strip_comparison(x) for x in (left, right)) if op == "and" else (left, right)
            matched, error = self.prom.query(f"({a}) and ({b})")
            if error or not matched:
                return [f"both sides have data but no series in common: {expr}"]
            return []
        if op in promql.COMPARISONS:
            return []  # a vector compared with a number: false now
        return [f"both operands have data but no series match: {expr}"]


def rule_exprs():
    out = []
    for path in sorted(glob.glob(os.path.join(SRC, "deploy", "prometheus", "rules", "*.yml"))):
        with open(path, encoding="utf-8") as f:
            for group in yaml.safe_load(f)["groups"]:
                for rule in group["rules"]:
                    out.append((rule.get("alert") or rule.get("record"), rule["expr"].strip()))
    return out


# ------------------------------------------------------------------------------ the test

def run(tmp):
    for tool in (PROMETHEUS, PROMTOOL):
        if not os.access(tool, os.X_OK):
            raise Failure(f"{tool} is missing: Debian's prometheus package (tools/setup)")
    for name in SERVICES:
        if not os.access(os.path.join(BUILD, "services", name, name), os.X_OK):
            raise Failure(f"no binary {BUILD}/services/{name}/{name}: build first (tools/build)")

    # 1. keys and certificates
    keys, ca = os.path.join(tmp, "keys"), os.path.join(tmp, "ca")
    subprocess.run([os.path.join(SRC, "tools", "dev-keys"), keys] + SERVICES, check=True)
    subprocess.run([os.path.join(SRC, "tools", "dev-ca"), ca] + SERVICES +
                   ["exchange", "demo-province", "smtp"], check=True, stdout=subprocess.DEVNULL)
    webhook_secret = os.path.join(keys, "webhook.key")
    with open(os.open(webhook_secret, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    log("keys and certificates made")

    # 2. the camera and the mail server
    camera_port = free_port()
    camera_server = os.path.join(SRC, "tests", "support", "rtsp_test_server.py")
    Proc("camera", ["/usr/bin/python3", camera_server, f"--port={camera_port}",
                    "--source=pattern"], tmp).start()
    smtp = SmtpServer(os.path.join(ca, "smtp.crt"), os.path.join(ca, "smtp.key"))

    # 3. the suite
    grpc = {name: free_port() for name in SERVICES}
    metrics = {name: free_port() for name in SERVICES}
    http_port, exchange_port, prometheus_port = free_port(), free_port(), free_port()
    addr = {name: f"127.0.0.1:{port}" for name, port in grpc.items()}
    calendar = [f"--calendar={os.path.join(SRC, 'data', 'calendars', 'cn-mainland.json')}",
                f"--provisional_years={datetime.date.today().year + 1}"]

    def common(name):
        flags = [f"--listen={addr[name]}", f"--metrics_listen=127.0.0.1:{metrics[name]}",
                 f"--data_dir={os.path.join(tmp, 'data', name)}", "--sync_writes=false",
                 f"--port_file={os.path.join(tmp, name + '.port')}", f"--key_dir={keys}",
                 f"--tls_cert_file={ca}/{name}.crt", f"--tls_key_file={ca}/{name}.key",
                 f"--tls_ca_file={ca}/ca.crt", f"--tls_crl_dir={ca}/crl"]
        if name in ("intake", "scoring", "video"):
            flags.append(f"--data_key_file={keys}/{name}-data.key")
        return flags

    extra = {
        "intake": calendar,
        "workflow": calendar + [f"--intake={addr['intake']}"],
        "supervision": calendar + [f"--intake={addr['intake']}", f"--workflow={addr['workflow']}",
                                   f"--scoring={addr['scoring']}",
                                   f"--alert_file={os.path.join(tmp, 'alerts.jsonl')}"],
        "video": calendar + [f"--intake={addr['intake']}", "--segment_seconds=2",
                             "--retention_days=1"],
        "scoring": calendar + [f"--intake={addr['intake']}", f"--workflow={addr['workflow']}",
                               f"--supervision={addr['supervision']}", f"--video={addr['video']}"],
        "notify": [f"--supervision={addr['supervision']}", f"--intake={addr['intake']}",
                   f"--workflow={addr['workflow']}", f"--scoring={addr['scoring']}",
                   f"--templates={os.path.join(SRC, 'data', 'notify', 'templates.json')}",
                   f"--smtp_url=smtp://127.0.0.1:{smtp.port}", f"--smtp_ca_file={ca}/ca.crt",
                   f"--webhook_secret_file={webhook_secret}", "--first_backoff=1s",
                   "--max_backoff=2s", "--max_attempts=3"],
        "gateway": [f"--token_key_file={keys}/gateway-token.key",
                    f"--audit_key_file={keys}/gateway-audit.key",
                    f"--audit_checkpoint_file={os.path.join(tmp, 'audit-checkpoints.jsonl')}",
                    f"--http_tls_cert_file={ca}/gateway.crt",
                    f"--http_tls_key_file={ca}/gateway.key",
                    f"--http_listen=127.0.0.1:{http_port}",
                    f"--exchange_listen=127.0.0.1:{exchange_port}",
                    f"--exchange_cert_file={ca}/exchange.crt",
                    f"--exchange_key_file={ca}/exchange.key", f"--exchange_ca_file={ca}/ca.crt",
                    f"--platforms_file={os.path.join(SRC, 'deploy', 'demo', 'platforms.jsonl')}",
                    f"--users_file={os.path.join(SRC, 'deploy', 'demo', 'users.jsonl')}",
                    f"--console_dir={os.path.join(SRC, 'services', 'gateway', 'console')}"] +
                   [f"--{s}={addr[s]}" for s in SERVICES if s != "gateway"],
    }
    procs = {}

    def start(name, more=(), log_name=None):
        port_file = os.path.join(tmp, name + ".port")
        if os.path.exists(port_file):
            os.remove(port_file)
        procs[name] = Proc(log_name or name, [os.path.join(BUILD, "services", name, name)] +
                           common(name) + extra[name] + list(more), tmp).start()
        wait_for(f"{name} to serve", lambda: os.path.exists(port_file) and
                 open(port_file).read().strip().isdigit(), 30, procs[name], 0.05)

    for name in SERVICES:
        start(name)
    rest = Rest(http_port, os.path.join(ca, "ca.crt"))
    wait_for("the gateway's REST API", lambda: rest.call("GET", "/v1/public/items",
                                                        expect=())[0] == 200,
             15, procs["gateway"])
    log("suite up: " + ", ".join(f"{n} {grpc[n]} (metrics {metrics[n]})" for n in SERVICES))

    # 4. Prometheus
    config = prometheus_config(metrics, prometheus_port)
    config_path = os.path.join(tmp, "prometheus.yml")
    with open(config_path, "w", encoding="utf-8") as f:
        yaml.safe_dump(config, f, allow_unicode=True, sort_keys=False)
    prometheus = Proc("prometheus", [PROMETHEUS, f"--config.file={config_path}",
                                     f"--storage.tsdb.path={os.path.join(tmp, 'prometheus')}",
                                     f"--web.listen-address=127.0.0.1:{prometheus_port}",
                                     "--log.level=warn"], tmp).start()
    prom = Prometheus(prometheus_port)
    wait_for("Prometheus to be ready",
             lambda: urllib.request.urlopen(f"{prom.base}/-/ready", timeout=2).status == 200,
             30, prometheus)
    # Every target scraped once before the load, so that rates see it.
    wait_for("every target up", lambda: all(
        t["health"] == "up" for t in prom.get("/api/v1/targets")["data"]["activeTargets"]
        if t["labels"].get("job") == "sunlight") and len(
        prom.get("/api/v1/targets")["data"]["activeTargets"]) >= len(SERVICES), 20, prometheus,
        0.2)
    log(f"Prometheus on {prometheus_port}, scraping every second, every target up")

    # 5. load
    stop_stream = threading.Event()
    admin = rest.login("admin", "system-demo-pass")
    with open(os.path.join(SRC, "deploy", "demo", "catalogue.json"), encoding="utf-8") as f:
        catalogue = json.load(f)
    for department in catalogue["departments"]:
        rest.call("POST", "/v1/departments", admin, {"department": department}, (200, 201))
    for window in catalogue["windows"]:
        rest.call("POST", "/v1/windows", admin, {"window": window}, (200, 201))
    for definition in catalogue["items"]:
        rest.call("POST", "/v1/items", admin, {"definition": definition}, (200, 201))
    rest.call("PUT", "/v1/video/cameras/hall-w01", admin, {"camera": {
        "name": "1 号窗口 Window 1", "rtsp_url": f"rtsp://127.0.0.1:{camera_port}/camera",
        "window_id": "W01", "area": "一楼大厅 Hall", "enabled": True}})
    hook = free_port()  # nobody listens there: every webhook attempt fails
    contacts = {"mail-wang": {"email": "wang@market.example.cn"},
                "mail-bounce": {"email": "bounce@market.example.cn"},
                "hook-market": {"webhook_url": f"https://127.0.0.1:{hook}/hook"}}
    for person, how in contacts.items():
        rest.call("PUT", f"/v1/contacts/{person}", admin, {"contact": dict(
            person_id=person, name=person, department_id="market", **how)})
    clerk = rest.login("clerk-1", "clerk-demo-pass")
    inspector = rest.login("insp-li", "inspector-demo-pass")
    rest.hold_event_stream(inspector, stop_stream)
    rest.call("POST", "/v1/messages", inspector, {
        "request_id": f"live-{secrets.token_hex(4)}", "department_id": "market",
        "text": "监控测试 Monitoring test"}, (200, 201))
    rest.call("POST", "/v1/login", body={"user_id": "nobody-here", "password": "wrong-password"},
              expect=(400, 401, 403))
    # Cases over some seconds (scraped every second, so that rates and latencies have them),
    # the last one submitted only; the inspector looks at the board between them.
    cases = []
    for i in range(12):
        _, submitted = rest.call("POST", "/v1/cases", clerk, {
            "idempotency_key": f"live-{i}-{secrets.token_hex(4)}", "item_code": "GT-001",
            "subject": f"Live test shop {i}",
            "applicant": {"kind": "APPLICANT_KIND_PERSON", "name": "李明",
                          "id_number": "110101199003071234", "phone": "13812345678"},
            "materials": [{"code": "id-card", "name": "身份证"},
                          {"code": "application-form", "name": "申请书"},
                          {"code": "premises", "name": "租赁合同"}]}, (200, 201))
        case_id = submitted["case"]["case_id"]
        if i < 11:
            rest.call("POST", f"/v1/cases/{urllib.parse.quote(case_id)}:accept", clerk,
                      {"window_id": "W01"})
        cases.append(case_id)
        rest.call("GET", "/v1/board", inspector)
        if i == 0:
            ahead = restart_supervision_ahead(rest, inspector, case_id, start, procs)
        time.sleep(0.4)
    # A month's scores computed on request (scoring's recompute duration), and the rule set
    # put back as it is (supervision re-plans every open clock).
    month = datetime.date.today().strftime("%Y-%m")
    rest.call("GET", f"/v1/scores/{month}", inspector, expect=(200, 404))
    _, rule_set = rest.call("GET", "/v1/rule-set", inspector)
    rule_set.pop("version", None)
    status, answer = rest.call("PUT", "/v1/rule-set", admin, {"rules": rule_set}, expect=())
    if status != 200:
        log(f"PUT /v1/rule-set answered {status} {str(answer)[:200]} (no re-plan)")
    for path in ("/v1/clocks?light=LIGHT_GREEN", "/v1/alerts",
                 f"/v1/cases/{urllib.parse.quote(cases[0])}/clocks", "/v1/video/cameras",
                 "/v1/video/storage", "/v1/notifications"):
        rest.call("GET", path, inspector, expect=(200, 404))
    auditor = rest.login("audit-sun", "ledger-demo-pass")
    _, verified = rest.call("GET", "/v1/audit:verify", auditor)
    if not verified.get("intact"):
        raise Failure(f"GET /v1/audit:verify: a fresh gateway's chain is not intact: {verified}")
    state = os.path.join(tmp, "province")
    Proc("province", ["/usr/bin/python3", os.path.join(SRC, "tests", "exchange",
                                                       "exchange_client.py"),
                      f"--target=127.0.0.1:{exchange_port}", f"--ca={ca}/ca.crt",
                      f"--cert={ca}/demo-province.crt", f"--key={ca}/demo-province.key",
                      f"--state={state}"], tmp).start()
    log(f"load: catalogue, {len(cases)} cases ({len(cases) - 1} accepted; supervision "
        f"restarted {ahead:.0f} s ahead, just before their yellow instant), a failed login, an "
        "event stream, a message to market's staff, a month's scores, the rule set put back, "
        "the audit verified, the camera registered, the province following the exchange")

    # 6-8. the queries, until each has data or the deadline passes
    panels = [(f"panel {title!r} [{ref}]", check_dashboard.expand(e, RATE_INTERVAL))
              for _, title, ref, e in check_dashboard.panel_queries(SRC)]
    rules = [(f"rule {name}", e) for name, e in rule_exprs()]
    checker = Checker(prom)
    # Some figures are refreshed every few seconds, some need the camera's first segments.
    time.sleep(4)
    pending = {}
    while True:
        pending = {}
        checker.nan = set()
        for where, expr in panels:
            result, error = prom.query(expr)
            if error or not result:
                pending[where] = (expr, checker.check(expr) or [f"no data: {expr}"])
            elif all(r["value"][1] in ("NaN", "+Inf", "-Inf") for r in result):
                checker.nan.add(expr)
        true_now = set()
        for where, expr in rules:
            result, _ = prom.query(expr)
            if result:
                true_now.add(where)
            problems = checker.check(expr)
            if problems:
                pending[where] = (expr, problems)
        unhealthy = rule_health(prom, {name for name, _ in rule_exprs()})
        for where, problem in unhealthy.items():
            pending.setdefault(where, ("", []))[1].append(problem)
        if not pending or time.monotonic() - T0 > DEADLINE:
            break
        log(f"{len(pending)} of {len(panels) + len(rules)} queries without data yet; again in 3 s")
        time.sleep(3)
    stop_stream.set()

    # The suite's names only (Prometheus scrapes itself too, with process_* of its own).
    names = set(prom.get("/api/v1/label/__name__/values",
                         **{"match[]": '{job="sunlight"}'})["data"])
    wanted = {}
    for where, expr in panels + rules:
        for name in promql.metric_names(expr):
            wanted.setdefault(name, []).append(where)
    synthetic = {"ALERTS", "ALERTS_FOR_STATE"}
    missing = {n: w for n, w in wanted.items() if n not in names and n not in synthetic}
    lint(metrics, tmp)

    log(f"{len(panels)} panel queries, {len(rules)} alert rules; "
        f"{len(pending)} without data; {len(checker.nan)} returned only NaN (histograms "
        "with no observation in the window)")
    for expr in sorted(checker.nan):
        print(f"    NaN only: {expr}")
    # A healthy suite under a little load: an alert condition true now is worth a look.
    for where in sorted(true_now):
        print(f"    condition true now (it would fire if it lasted its for:): {where}")
    print(f"    e-mail server: {smtp.messages} messages taken, {smtp.refused} recipients refused")
    if missing:
        print(f"\nMetric names the suite did not expose ({len(missing)}):")
        for name in sorted(missing):
            print(f"    {name}    (read by {', '.join(sorted(set(missing[name])))})")
    if pending:
        print(f"\nQueries without data ({len(pending)}):")
        for where, (expr, problems) in sorted(pending.items()):
            print(f"  {where}: {expr}")
            for p in problems:
                print(f"      {p}")
        smtp.close()
        return 1
    smtp.close()
    log("PASS: every panel query and every alert rule has data")
    return 0


def restart_supervision_ahead(rest, token, case_id, start, procs):
    """Restarts supervision with its clock ahead (--clock_offset, as ./tools/run's demo does),
    so that its clock reaches `case_id`'s yellow instant a few seconds later: the transitions
    of the cases accepted around it then fire during the test (the fire delay histogram).
    Returns the offset in seconds."""
    def yellow_at():
        _, body = rest.call("GET", f"/v1/cases/{urllib.parse.quote(case_id)}/clocks", token,
                            expect=(200, 404))
        for entry in body.get("clocks", []):
            clock = entry.get("clock", {})
            if clock.get("kind") == "CLOCK_KIND_CASE" and clock.get("yellow_at"):
                return datetime.datetime.fromisoformat(
                    clock["yellow_at"].replace("Z", "+00:00")).timestamp()
        return None
    at = wait_for("the first case's clock in supervision", yellow_at, 15, procs["supervision"])
    offset = int(at - time.time() - 6)
    procs["supervision"].stop(10)
    start("supervision", [f"--clock_offset={offset}s"], "supervision-ahead")
    wait_for("the gateway to reach supervision again",
             lambda: rest.call("GET", "/v1/board", token, expect=())[0] == 200, 15,
             procs["supervision"], 0.2)
    return offset


def rule_health(prom, names):
    """{where: problem} for rules of ours Prometheus has not evaluated cleanly."""
    out = {}
    found = set()
    for group in prom.get("/api/v1/rules")["data"]["groups"]:
        for rule in group["rules"]:
            found.add(rule["name"])
            if rule["name"] in names and (rule.get("health") != "ok" or rule.get("lastError")):
                out[f"rule {rule['name']}"] = (f"health {rule.get('health')!r}, lastError "
                                               f"{rule.get('lastError')!r}")
    for name in names - found:
        out[f"rule {name}"] = "not loaded by Prometheus"
    return out


def lint(metrics, tmp):
    """promtool check metrics of every service's /metrics (printed: conventions, not a
    failure); each is kept as metrics-<service>.txt in `tmp` (SUNLIGHT_KEEP_TMP=1)."""
    for name, port in metrics.items():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                text = r.read()
        except OSError as e:
            print(f"    lint {name}: /metrics unreadable: {e}")
            continue
        with open(os.path.join(tmp, f"metrics-{name}.txt"), "wb") as f:
            f.write(text)
        result = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True)
        out = (result.stdout + result.stderr).decode("utf-8", "replace").strip()
        if out:
            print(f"    promtool check metrics, {name}:")
            for line in out.splitlines():
                print(f"      {line}")


def main():
    tmp = tempfile.mkdtemp(prefix="sunlight-observability-")
    code = 1
    try:
        code = run(tmp)
    except Failure as e:
        print(f"FAIL: {e}")
    finally:
        for proc in ALL:  # SIGTERM to all at once: each service takes a moment to stop
            if proc.alive():
                proc.p.terminate()
        for proc in reversed(ALL):
            proc.stop(5)
        if code != 0:
            for proc in ALL:
                if proc.name in SERVICES + ["prometheus"]:
                    print(f"--- {proc.name} (log tail)\n{proc.tail(8)}")
        if os.environ.get("SUNLIGHT_KEEP_TMP") == "1":
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    log(f"done ({'pass' if code == 0 else 'FAIL'})")
    return code


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
