#!/usr/bin/env python3
# End-to-end test of the provincial exchange (sunlight.exchange.v1.Exchange, gRPC over mutual
# TLS, served by the gateway) with the independent platform client exchange_client.py.
#
#   python3 tests/exchange/exchange_e2e_test.py        # exit 0 = pass
#
# Environment: SUNLIGHT_BUILD_DIR (default <source>/build: the built binaries),
# SUNLIGHT_SOURCE_DIR (default: the repository holding this file), SUNLIGHT_EXCHANGE_LOAD
# (seconds of load, default 20), SUNLIGHT_KEEP_TMP=1 keeps the temporary directory.
# Needs openssl, protoc + grpc_python_plugin, python3-grpcio and python3-protobuf (Debian; see
# tools/setup). Python stubs are generated into the temporary directory, never committed.
#
# What it does, on port 0 everywhere, in a temporary directory:
#  1. a test CA (openssl), the exchange's server certificate (SAN localhost, 127.0.0.1),
#     client certificates of two registered platforms, one with an unregistered CN, and one
#     from another, untrusted CA;
#  2. intake, workflow, supervision and the gateway with the exchange, secured as in
#     production: each with its own principal key (tools/dev-keys) and certificate of the
#     suite's CA (tools/dev-ca) for mutual TLS; the test and the load tool call intake
#     directly as the gateway would, signing each call's principal with the gateway's key;
#  3. catalogue push-down (PushItem twice: each push is staged, intake unchanged, until the
#     administrator approves it over REST; then the version reaches intake; an item not on
#     the platform's list is refused) and refusals (no client certificate, untrusted CA,
#     unregistered CN: every call fails fast, no record leaks, no item is pushed; the client
#     gives up with exit 3 on the unregistered certificate);
#  4. sunlight_load --mode=intake for 20 s while exchange_client.py follows the exchange; the
#     client is SIGKILLed and restarted (it resumes from its stored position), then the gateway
#     is SIGKILLed and restarted on the same port (the client reconnects by itself);
#  5. once everything is quiet and the client has caught up: positions exactly 1..N (N = the
#     exchange's last position), no position or record id twice, each stream's source
#     sequences exactly 1..last (last = that service's own GetStreamInfo), records consistent
#     (record_id, version, event), no unmasked ID number or phone number anywhere;
#  6. a summary; everything it started is killed, also on failure.
import os
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import exchange_client  # noqa: E402  (re-runs this script under Debian's python3 if needed)

if __name__ == "__main__":
    exchange_client.ensure_grpc()

import base64  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
xc = exchange_client

SRC = os.environ.get("SUNLIGHT_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("SUNLIGHT_BUILD_DIR") or os.path.join(SRC, "build")
LOAD_SECONDS = int(os.environ.get("SUNLIGHT_EXCHANGE_LOAD", "20"))
STREAMS = ("intake", "workflow", "supervision")
# The applicant of every case sunlight_load submits (tools/loadgen/load_generator.cc).
ID_NUMBER = "110101199003071234"
PHONE = "13812345678"
BIRTH_DATE = ID_NUMBER[6:14]  # the part of an ID number that masking must hide
PLATFORM_CN, PLATFORM_ID = "zj-province", "zj-province"
SECOND_CN, SECOND_ID = "hz-exchange-client", "hangzhou"
PUSHED_CODE = "ZJ-001"
# Every department whose records the platform receives: the demo catalogue's and the load's.
DEPARTMENTS = ["market", "health", "planning", "fire", "bench"]
ADMIN, ADMIN_PASSWORD = "exchange-e2e-admin", "e2e-" + secrets.token_hex(12)

T0 = time.monotonic()


def log(message):
    print(f"[{time.monotonic() - T0:6.1f}s] {message}", flush=True)


class Failure(Exception):
    pass


# ------------------------------------------------------------------------------ processes

class Proc:
    def __init__(self, name, argv, tmp, log_name=None):
        self.name, self.argv = name, argv
        self.log_path = os.path.join(tmp, f"{log_name or name}.log")
        self.p = None

    def start(self):
        with open(self.log_path, "ab") as out:
            self.p = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL)
        ALL.append(self)
        return self

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def kill(self):
        if self.alive():
            self.p.kill()
        if self.p is not None:
            self.p.wait(10)

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
        if self.alive():
            self.p.terminate()
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(10)
        return self.p.returncode if self.p is not None else None

    def text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def tail(self, n=25):
        return "\n".join(f"    {self.name}| {line}" for line in self.text().splitlines()[-n:])


ALL = []


def wait_port_file(path, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise Failure(f"{proc.name} exited with {proc.p.returncode} before writing {path}\n"
                          f"{proc.tail()}")
        try:
            with open(path) as f:
                text = f.read().strip()
            if text.isdigit() and int(text) > 0:
                return int(text)
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    raise Failure(f"{proc.name}: no port in {path} after {timeout}s\n{proc.tail()}")


def remove(*paths):
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


# ------------------------------------------------------------------------------ certificates

OPENSSL_CNF = """\
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
authorityKeyIdentifier = keyid
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
"""


def openssl(*args):
    result = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise Failure(f"openssl {' '.join(args)}: {result.stderr.strip()}")


def make_ca(d, name, cn, cnf):
    key, pem = os.path.join(d, f"{name}.key"), os.path.join(d, f"{name}.pem")
    openssl("req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-keyout", key, "-out", pem, "-days", "2",
            "-subj", f"/O=Sunlight test/CN={cn}", "-config", cnf, "-extensions", "ca")
    return pem, key


def make_leaf(d, name, cn, ca, extensions, cnf, org="Sunlight test"):
    key, csr, pem = (os.path.join(d, f"{name}.{ext}") for ext in ("key", "csr", "pem"))
    openssl("req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-keyout", key, "-out", csr, "-subj", f"/O={org}/CN={cn}", "-config", cnf)
    openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-set_serial",
            "0x" + secrets.token_hex(8), "-days", "2", "-out", pem, "-extfile", cnf,
            "-extensions", extensions)
    return pem, key


def make_pki(d):
    os.makedirs(d)
    cnf = os.path.join(d, "openssl.cnf")
    with open(cnf, "w") as f:
        f.write(OPENSSL_CNF)
    ca = make_ca(d, "ca", "Sunlight Test Exchange CA", cnf)
    other_ca = make_ca(d, "other-ca", "Somebody Else's CA", cnf)
    return {
        "ca": ca,
        "server": make_leaf(d, "server", "localhost", ca, "server", cnf),
        "platform": make_leaf(d, "platform", PLATFORM_CN, ca, "client", cnf),
        "second": make_leaf(d, "second", SECOND_CN, ca, "client", cnf),
        "unregistered": make_leaf(d, "unregistered", "unknown-city", ca, "client", cnf),
        # The registered platform's CN in another subject, from the trusted CA: a CN alone
        # identifies nobody.
        "same-cn": make_leaf(d, "same-cn", PLATFORM_CN, ca, "client", cnf, org="Somebody else"),
        # Same CN as the registered platform, but signed by a CA the exchange does not trust.
        "untrusted": make_leaf(d, "untrusted", PLATFORM_CN, other_ca, "client", cnf),
    }


# ------------------------------------------------------------------------------ journal

def read_journal(path):
    """The client's records.jsonl, complete lines only: [(line text, record dict)]."""
    out = []
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return out
    data = data[:data.rfind(b"\n") + 1]
    for line in data.splitlines():
        text = line.decode("utf-8")
        out.append((text, json.loads(text)))
    return out


class JournalFollower:
    """Reads the journal incrementally: per-stream maximum source sequence."""

    def __init__(self, path):
        self.path, self.offset = path, 0
        self.max_sequence = {s: 0 for s in STREAMS}
        self.lines = 0

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return
        data = data[:data.rfind(b"\n") + 1]
        self.offset += len(data)
        for line in data.splitlines():
            record = json.loads(line)
            stream = record["source_stream"]
            self.max_sequence[stream] = max(self.max_sequence.get(stream, 0),
                                            record["source_sequence"])
            self.lines += 1


def read_position(state):
    try:
        with open(os.path.join(state, "position")) as f:
            return int(f.read().strip() or "0")
    except FileNotFoundError:
        return 0


# ------------------------------------------------------------------------------ the test

class Test:
    def __init__(self, tmp):
        self.tmp = tmp
        self.summary = {}
        self.timings = {}
        self.problems = []

    def problem(self, message):
        log(f"PROBLEM: {message}")
        self.problems.append(message)

    def p(self, *parts):
        return os.path.join(self.tmp, *parts)

    # -- services

    def common(self, name):
        return ["--listen=127.0.0.1:0", "--metrics_listen=", f"--data_dir={self.p(name)}",
                "--sync_writes=false", f"--port_file={self.p(name + '.port')}"] + self.secured(name)

    def secured(self, name):
        """The flags that secure a service: its key directory and its certificate."""
        ca = self.suite_ca
        data_key = {"intake": [f"--data_key_file={self.key_dir}/intake-data.key"],
                    "gateway": [f"--token_key_file={self.key_dir}/gateway-token.key",
                                f"--audit_key_file={self.key_dir}/gateway-audit.key"]}.get(name, [])
        return data_key + [f"--key_dir={self.key_dir}", f"--tls_cert_file={ca}/{name}.crt",
                           f"--tls_key_file={ca}/{name}.key", f"--tls_ca_file={ca}/ca.crt"]

    def make_suite_secrets(self):
        self.key_dir, self.suite_ca = self.p("keys"), self.p("suite-ca")
        names = ["intake", "workflow", "supervision", "gateway"]
        subprocess.run([os.path.join(SRC, "tools", "dev-keys"), self.key_dir] + names, check=True)
        subprocess.run([os.path.join(SRC, "tools", "dev-ca"), self.suite_ca] + names, check=True,
                       stdout=subprocess.DEVNULL)
        from cryptography.hazmat.primitives import serialization
        with open(os.path.join(self.key_dir, "gateway.key"), "rb") as f:
            self.gateway_key = serialization.load_pem_private_key(f.read(), password=None)

    def principal(self, audience, request, user="exchange-e2e", role="administrator"):
        """Call metadata with a principal for `request`'s method of `audience`, signed as the
        gateway signs it (Ed25519 over the serialized sunlight.auth.v1.Principal)."""
        p = self.stubs.principal_pb2.Principal(
            user_id=user, role=role, issuer="gateway", audience=audience,
            method=type(request).DESCRIPTOR.full_name, id=secrets.token_hex(16))
        now = int(time.time())
        p.issued_at.FromSeconds(now)
        p.expires_at.FromSeconds(now + 30)
        payload = p.SerializeToString()

        def b64(data):
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
        return [("x-sunlight-principal", f"{b64(payload)}.{b64(self.gateway_key.sign(payload))}")]

    def start_service(self, name, args):
        binary = os.path.join(BUILD, "services", name, name)
        if not os.access(binary, os.X_OK):
            raise Failure(f"no binary {binary} (set SUNLIGHT_BUILD_DIR)")
        proc = Proc(name, [binary] + self.common(name) + args, self.tmp).start()
        port = wait_port_file(self.p(name + ".port"), proc)
        log(f"{name} serving on 127.0.0.1:{port}")
        return proc, port

    def gateway_argv(self, exchange_listen):
        pki = self.pki
        return [os.path.join(BUILD, "services", "gateway", "gateway")] + self.common("gateway") + [
            "--http_listen=127.0.0.1:0", f"--http_port_file={self.p('http.port')}",
            f"--intake=127.0.0.1:{self.ports['intake']}",
            f"--workflow=127.0.0.1:{self.ports['workflow']}",
            f"--supervision=127.0.0.1:{self.ports['supervision']}",
            f"--console_dir={os.path.join(SRC, 'services', 'gateway', 'console')}",
            f"--exchange_listen={exchange_listen}",
            f"--exchange_port_file={self.p('exchange.port')}",
            f"--exchange_cert_file={pki['server'][0]}", f"--exchange_key_file={pki['server'][1]}",
            f"--exchange_ca_file={pki['ca'][0]}", f"--platforms_file={self.p('platforms.jsonl')}",
            f"--users_file={self.p('users.jsonl')}"]

    def start_gateway(self, exchange_listen, log_name):
        remove(self.p("gateway.port"), self.p("exchange.port"), self.p("http.port"))
        proc = Proc("gateway", self.gateway_argv(exchange_listen), self.tmp, log_name).start()
        wait_port_file(self.p("gateway.port"), proc)
        port = wait_port_file(self.p("exchange.port"), proc)
        return proc, port

    def start_client(self, log_name):
        pem, key = self.pki["platform"]
        argv = [sys.executable, os.path.join(HERE, "exchange_client.py"),
                f"--target=127.0.0.1:{self.exchange_port}", f"--ca={self.pki['ca'][0]}",
                f"--cert={pem}", f"--key={key}", f"--state={self.state}",
                f"--stubs={self.stub_dir}", "--progress_interval=2"]
        return Proc("client", argv, self.tmp, log_name).start()

    # -- gRPC helpers

    def exchange(self, who):
        import grpc
        ca = self.pki["ca"][0]
        if who is None:  # no client certificate at all
            credentials = grpc.ssl_channel_credentials(root_certificates=xc.read_file(ca))
            channel = grpc.secure_channel(f"127.0.0.1:{self.exchange_port}", credentials)
        else:
            pem, key = self.pki[who]
            channel = xc.secure_channel(f"127.0.0.1:{self.exchange_port}", ca, pem, key)
        return channel, self.stubs.exchange_pb2_grpc.ExchangeStub(channel)

    def service(self, name):
        """A mutual-TLS channel to a service, with the gateway's certificate."""
        ca = self.suite_ca
        return xc.secure_channel(f"127.0.0.1:{self.ports[name]}", f"{ca}/ca.crt",
                                 f"{ca}/gateway.crt", f"{ca}/gateway.key")

    def stream_info(self):
        out = {}
        for name in STREAMS:
            with self.service(name) as channel:
                stub = self.stubs.events_pb2_grpc.EventStreamStub(channel)
                request = self.stubs.events_pb2.GetStreamInfoRequest()
                info = stub.GetStreamInfo(request, timeout=5,
                                          metadata=self.principal(name, request))
                if info.stream and info.stream != name:
                    self.problem(f"{name}'s GetStreamInfo names stream {info.stream!r}")
                out[name] = info.last_sequence
        return out

    def exchange_info(self, who="platform"):
        channel, stub = self.exchange(who)
        with channel:
            return stub.GetExchangeInfo(self.stubs.exchange_pb2.GetExchangeInfoRequest(), timeout=5)

    # -- steps

    def seed_departments(self):
        iv1 = self.stubs.intake_pb2
        with open(os.path.join(SRC, "deploy", "demo", "catalogue.json")) as f:
            self.catalogue = json.load(f)
        with self.service("intake") as channel:
            stub = self.stubs.intake_pb2_grpc.IntakeStub(channel)
            for department in self.catalogue["departments"]:
                request = iv1.UpsertDepartmentRequest()
                request.actor.id = "exchange-e2e"
                request.actor.role = "administrator"
                request.department.department_id = department["departmentId"]
                request.department.name = department["name"]
                stub.UpsertDepartment(request, timeout=5,
                                      metadata=self.principal("intake", request))

    def definition(self, code, name_suffix):
        from google.protobuf import json_format
        item = next(i for i in self.catalogue["items"] if i["itemCode"] == "GT-001")
        definition = json_format.ParseDict(item, self.stubs.intake_pb2.ItemDefinition())
        definition.item_code = code
        definition.name = f"{definition.name} {name_suffix}"
        return definition

    def intake_item(self, code):
        """(version, name) of the latest version of an item in intake; None when not found."""
        import grpc
        with self.service("intake") as channel:
            stub = self.stubs.intake_pb2_grpc.IntakeStub(channel)
            try:
                request = self.stubs.intake_pb2.GetItemRequest(item_code=code)
                item = stub.GetItem(request, timeout=5,
                                    metadata=self.principal("intake", request))
            except grpc.RpcError as e:
                if e.code() == grpc.StatusCode.NOT_FOUND:
                    return None
                raise
        return item.version, item.definition.name

    def rest(self, method, path, body=None, token=None):
        """(status, JSON body) of a call to the gateway's REST API (plain HTTP in this test)."""
        import urllib.error
        import urllib.request
        with open(self.p("http.port")) as f:
            port = int(f.read().strip())
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json",
                     **({"Authorization": f"Bearer {token}"} if token else {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def push_items(self):
        import grpc
        ex = self.stubs.exchange_pb2
        status, login = self.rest("POST", "/v1/login",
                                  {"user_id": ADMIN, "password": ADMIN_PASSWORD})
        if status != 200:
            raise Failure(f"the administrator cannot log in: {status} {login}")
        token = login["token"]
        channel, stub = self.exchange("platform")
        versions = []
        with channel:
            # An item not on the platform's list: refused, nothing staged.
            try:
                stub.PushItem(ex.PushItemRequest(
                    definition=self.definition("ZJ-NOT-LISTED", "(not listed)")), timeout=10)
                self.problem("PushItem of an item not on the platform's list succeeded")
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.PERMISSION_DENIED:
                    self.problem(f"PushItem of an item not on the list: {e.code().name}")
            for n, suffix in enumerate(("(浙江省下发 pushed by zj-province)",
                                        "(浙江省下发 v2, name bumped)"), 1):
                definition = self.definition(PUSHED_CODE, suffix)
                before = self.intake_item(PUSHED_CODE)
                started = time.monotonic()
                response = stub.PushItem(ex.PushItemRequest(definition=definition), timeout=10)
                self.timings[f"push_item_{n}_s"] = time.monotonic() - started
                if response.item_code != PUSHED_CODE or not response.push_id:
                    self.problem(f"PushItem answered {response}")
                if self.intake_item(PUSHED_CODE) != before:
                    self.problem(f"PushItem #{n} reached intake before its approval")
                status, staged = self.rest("GET", "/v1/exchange/pushes", token=token)
                ids = [p["push_id"] for p in staged.get("pushes", [])]
                if status != 200 or ids != [response.push_id]:
                    self.problem(f"staged pushes after PushItem #{n}: {status} {staged}")
                status, approved = self.rest(
                    "POST", f"/v1/exchange/pushes/{response.push_id}:approve", {}, token)
                version = approved.get("published_version", 0)
                if status != 200 or approved.get("state") != "PUSH_STATE_APPROVED":
                    self.problem(f"approving {response.push_id}: {status} {approved}")
                in_intake = self.intake_item(PUSHED_CODE)
                if in_intake != (version, definition.name):
                    self.problem(f"after approving push #{n} (version {version}, name "
                                 f"{definition.name!r}) intake has {in_intake}")
                versions.append(version)
        if len(versions) == 2 and versions[1] != versions[0] + 1:
            self.problem(f"two pushes of {PUSHED_CODE} gave versions {versions}")
        self.summary["pushed_versions"] = versions
        log(f"PushItem {PUSHED_CODE}: versions {versions}, reached intake")

    def refusals(self):
        import grpc
        ex = self.stubs.exchange_pb2
        deadline = 5.0
        cases = [("no client certificate", None, None),
                 ("certificate from an untrusted CA", "untrusted", None),
                 ("trusted certificate, unregistered CN", "unregistered",
                  (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)),
                 ("trusted certificate, a platform's CN in another subject", "same-cn",
                  (grpc.StatusCode.PERMISSION_DENIED,))]
        results = []
        for n, (label, who, want) in enumerate(cases, 1):
            channel, stub = self.exchange(who)
            code_for_push = f"ZJ-REFUSED-{n}"
            with channel:
                for rpc in ("GetExchangeInfo", "Subscribe", "PushItem"):
                    started = time.monotonic()
                    received = 0
                    try:
                        if rpc == "GetExchangeInfo":
                            stub.GetExchangeInfo(ex.GetExchangeInfoRequest(), timeout=deadline)
                        elif rpc == "Subscribe":
                            for _ in stub.Subscribe(ex.SubscribeRequest(after_position=0),
                                                    timeout=deadline):
                                received += 1
                        else:
                            stub.PushItem(ex.PushItemRequest(
                                definition=self.definition(code_for_push, "(refused)")),
                                timeout=deadline)
                        code = grpc.StatusCode.OK
                    except grpc.RpcError as e:
                        code = e.code()
                    elapsed = time.monotonic() - started
                    results.append(f"{label}: {rpc} -> {code.name} in {elapsed * 1000:.0f} ms"
                                   + (f", {received} records" if received else ""))
                    if code == grpc.StatusCode.OK:
                        self.problem(f"{label}: {rpc} succeeded")
                    elif code == grpc.StatusCode.DEADLINE_EXCEEDED or elapsed > deadline - 1:
                        self.problem(f"{label}: {rpc} did not fail fast ({code.name} after "
                                     f"{elapsed:.1f}s)")
                    elif want and code not in want:
                        self.problem(f"{label}: {rpc} failed with {code.name}, want one of "
                                     f"{[c.name for c in want]}")
                    if received:
                        self.problem(f"{label}: Subscribe returned {received} records")
            if self.intake_item(code_for_push) is not None:
                self.problem(f"{label}: the refused PushItem of {code_for_push} reached intake")
        # The client itself gives up at once on a refused certificate (exit 3), storing nothing.
        state = self.p("refused-client-state")
        pem, key = self.pki["unregistered"]
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, os.path.join(HERE, "exchange_client.py"),
             f"--target=127.0.0.1:{self.exchange_port}", f"--ca={self.pki['ca'][0]}",
             f"--cert={pem}", f"--key={key}", f"--state={state}", f"--stubs={self.stub_dir}"],
            capture_output=True, text=True, timeout=30)
        results.append(f"exchange_client.py with the unregistered certificate: exit "
                       f"{result.returncode} in {time.monotonic() - started:.1f}s")
        if result.returncode != 3 or read_journal(os.path.join(state, "records.jsonl")):
            self.problem(f"exchange_client.py with an unregistered certificate: exit "
                         f"{result.returncode}, want 3 and nothing stored:\n{result.stdout}")
        for line in results:
            log(f"  refused: {line}")
        self.summary["refusals"] = results

    def check_intake_stream_sealed(self):
        """(sequence of the first event with the ID number in clear or None, number of events
        whose applicant is sealed): intake keeps personal data sealed, in its stream too."""
        import grpc
        clear, sealed = None, 0
        with self.service("intake") as channel:
            stub = self.stubs.events_pb2_grpc.EventStreamStub(channel)
            request = self.stubs.events_pb2.SubscribeRequest(from_sequence=1)
            call = stub.Subscribe(request, timeout=10,
                                  metadata=self.principal("intake", request))
            try:
                for event in call:
                    data = event.SerializeToString()
                    if ID_NUMBER.encode() in data and clear is None:
                        clear = event.sequence
                    if event.type == "intake.case.submitted":
                        payload = self.stubs.intake_pb2.CaseSubmitted()
                        event.payload.Unpack(payload)
                        sealed += bool(payload.case.applicant.sealed_personal_data)
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                    raise
            finally:
                call.cancel()
        return clear, sealed

    def wait_until_caught_up(self, follower, timeout=90):
        """Client position == exchange last position == everything the services committed, and
        nothing moves for 3 s."""
        started = time.monotonic()
        stable_since, last = None, None
        while True:
            follower.poll()
            try:
                info = self.exchange_info()
                streams = self.stream_info()
                position = read_position(self.state)
                snapshot = (info.last_position, tuple(sorted(streams.items())), position)
                done = (position == info.last_position
                        and all(follower.max_sequence[s] == streams[s] for s in STREAMS))
            except Exception as e:  # noqa: BLE001 — report what was seen at the deadline
                snapshot, done = (None, str(e)), False
            if done and snapshot == last:
                if stable_since is None:
                    stable_since = time.monotonic()
                elif time.monotonic() - stable_since >= 3:
                    self.timings["catch_up_s"] = time.monotonic() - started
                    return info.last_position, streams
            else:
                stable_since = None
            last = snapshot
            if time.monotonic() - started > timeout:
                raise Failure(f"not caught up after {timeout}s: exchange/streams/client = "
                              f"{snapshot}; journal per stream {follower.max_sequence}")
            time.sleep(0.5)

    def verify(self, last_position, streams):
        ex = self.stubs.exchange_pb2
        entries = read_journal(os.path.join(self.state, "records.jsonl"))
        by_position, positions_of_id = {}, {}
        resent = 0
        examples = {}

        def bad(kind, message):
            examples.setdefault(kind, [])
            if len(examples[kind]) < 5:
                examples[kind].append(message)

        leaks = masked_applicants = 0
        for text, record in entries:
            raw = base64.b64decode(record["raw"])
            decoded = ex.ExchangeRecord.FromString(raw)
            if '"id_number"' in text:
                masked_applicants += 1
            for secret in (ID_NUMBER, PHONE, BIRTH_DATE):
                if secret in text or secret.encode() in raw:
                    leaks += 1
                    bad("unmasked", f"position {record['position']} contains {secret}")
            position, record_id = record["position"], record["record_id"]
            stream, sequence = record["source_stream"], record["source_sequence"]
            if (decoded.position, decoded.record_id, decoded.source_stream,
                    decoded.source_sequence, decoded.version) != (
                    position, record_id, stream, sequence, record["version"]):
                bad("journal", f"position {position}: JSON and raw record differ")
            if stream == "audit":  # the gateway's audit checkpoints (every minute)
                if decoded.event.type != "gateway.audit.checkpoint":
                    bad("audit", f"position {position}: audit record of type {decoded.event.type}")
                self.summary["audit_checkpoints"] = self.summary.get("audit_checkpoints", 0) + 1
                if position in by_position:
                    resent += 1
                by_position[position] = record
                positions_of_id.setdefault(record_id, set()).add(position)
                continue
            if stream not in STREAMS:
                bad("stream", f"position {position}: source_stream {stream!r}")
            if record_id != f"{stream}/{sequence}":
                bad("record_id", f"position {position}: record_id {record_id!r} for "
                                 f"{stream}/{sequence}")
            event = decoded.event
            if event.stream != stream or event.sequence != sequence:
                bad("event", f"position {position} ({record_id}): event is "
                             f"{event.stream}/{event.sequence}")
            want_version = event.case_version or 1
            if record["version"] != want_version:
                bad("version", f"position {position} ({record_id}): version "
                               f"{record['version']}, event case_version {event.case_version}")
            if position in by_position:
                if by_position[position]["record_id"] != record_id:
                    bad("position", f"position {position} held {by_position[position]['record_id']}"
                                    f" and {record_id}")
                else:
                    resent += 1
            by_position[position] = record
            positions_of_id.setdefault(record_id, set()).add(position)

        lines = len(entries)
        replacements = lines - len(positions_of_id)
        doubled = {i: sorted(p) for i, p in positions_of_id.items() if len(p) > 1}
        for record_id, ps in list(doubled.items())[:5]:
            bad("duplicate", f"{record_id} relayed at positions {ps}")
        positions = sorted(by_position)
        want = list(range(1, last_position + 1))
        if positions != want:
            missing = sorted(set(want) - set(positions))
            extra = sorted(set(positions) - set(want))
            bad("positions", f"{len(positions)} distinct positions, want 1..{last_position}; "
                             f"missing {missing[:10]}{'...' if len(missing) > 10 else ''}, "
                             f"beyond {extra[:10]}")
        per_stream = {}
        for stream in STREAMS:
            seqs = sorted(r["source_sequence"] for r in by_position.values()
                          if r["source_stream"] == stream)
            per_stream[stream] = len(seqs)
            if seqs != list(range(1, streams[stream] + 1)):
                missing = sorted(set(range(1, streams[stream] + 1)) - set(seqs))
                bad("sequences", f"{stream}: {len(seqs)} records, distinct {len(set(seqs))}, "
                                 f"max {seqs[-1] if seqs else 0}, service last "
                                 f"{streams[stream]}; missing {missing[:10]}")
            if streams[stream] == 0:
                bad("sequences", f"{stream} produced no event under load")
        # Every replacement must be the very same record sent again (a client killed between its
        # records and its position); at most one per client kill.
        if replacements != resent:
            bad("replacements", f"{replacements} replacements, of which only {resent} were the "
                                f"same position sent again")
        if replacements > self.client_kills:
            bad("replacements", f"{replacements} replacements for {self.client_kills} client "
                                f"kill(s)")
        if not any(PUSHED_CODE.encode() in base64.b64decode(r["raw"])
                   for r in by_position.values() if r["source_stream"] == "intake"):
            bad("push", f"no intake record mentions the pushed item {PUSHED_CODE}")

        if masked_applicants == 0:
            bad("unmasked", "no record carries an applicant's id_number at all (payloads not "
                            "relayed or not decodable?)")
        self.summary.update({
            "journal_lines": lines, "distinct_positions": len(positions),
            "last_position": last_position, "records_per_stream": per_stream,
            "service_last_sequence": streams, "replacements": replacements,
            "resent_same_position": resent, "records_with_masked_id_number": masked_applicants,
            "unmasked_leaks": leaks})
        for kind, messages in examples.items():
            for message in messages:
                self.problem(f"{kind}: {message}")

    def wait_for(self, condition, since, earliest, latest, client):
        """Waits until `earliest` of the load has passed and `condition` holds, or `latest`."""
        time.sleep(max(0.0, since + LOAD_SECONDS * earliest - time.monotonic()))
        while not condition() and time.monotonic() < since + LOAD_SECONDS * latest:
            if not client.alive():
                raise Failure(f"client exited ({client.p.returncode})\n{client.tail()}")
            time.sleep(0.1)

    def run(self):
        timings = self.timings
        self.pki = make_pki(self.p("pki"))
        with open(self.p("platforms.jsonl"), "w") as f:
            f.write(json.dumps({"platform_id": PLATFORM_ID,
                                "certificate_subject": f"CN={PLATFORM_CN},O=Sunlight test",
                                "departments": DEPARTMENTS, "items": [PUSHED_CODE]}) + "\n")
            f.write(json.dumps({"platform_id": SECOND_ID,
                                "certificate_subject": f"CN={SECOND_CN},O=Sunlight test",
                                "departments": ["market"]}) + "\n")
        with open(self.p("users.jsonl"), "w") as f:
            f.write(json.dumps({"user": {"user_id": ADMIN, "role": "administrator"},
                                "password": ADMIN_PASSWORD}) + "\n")
        self.make_suite_secrets()
        self.stub_dir = xc.generate_stubs(os.path.join(SRC, "proto"), self.p("stubs"))
        self.stubs = xc.load_stubs(self.stub_dir)
        self.state = self.p("client-state")
        log(f"certificates and stubs in {self.tmp}")

        started = time.monotonic()
        calendar = [f"--calendar={os.path.join(SRC, 'data', 'calendars', 'cn-mainland.json')}",
                    f"--provisional_years={datetime.date.today().year + 1}"]
        self.ports = {}
        _, self.ports["intake"] = self.start_service("intake", calendar)
        intake = f"--intake=127.0.0.1:{self.ports['intake']}"
        _, self.ports["workflow"] = self.start_service("workflow", calendar + [intake])
        _, self.ports["supervision"] = self.start_service(
            "supervision", calendar + [intake, f"--workflow=127.0.0.1:{self.ports['workflow']}",
                                       f"--alert_file={self.p('alerts.jsonl')}"])
        gateway, self.exchange_port = self.start_gateway("127.0.0.1:0", "gateway")
        timings["startup_s"] = time.monotonic() - started
        log(f"gateway serving the exchange on 127.0.0.1:{self.exchange_port}")

        info = self.exchange_info()
        if info.platform_id != PLATFORM_ID:
            self.problem(f"GetExchangeInfo names the platform {info.platform_id!r}, want "
                         f"{PLATFORM_ID!r}")
        second = self.exchange_info("second")
        if second.platform_id != SECOND_ID:
            self.problem(f"certificate CN {SECOND_CN!r} is platform {second.platform_id!r}, want "
                         f"{SECOND_ID!r}")

        self.seed_departments()
        self.push_items()
        # Refusals once the exchange has records that could leak.
        wait_until = time.monotonic() + 10
        while self.exchange_info().last_position == 0 and time.monotonic() < wait_until:
            time.sleep(0.2)
        self.refusals()

        # Load, with the client following; kill and restart the client, then the gateway.
        self.client_kills = 0
        client = self.start_client("client-1")
        load = Proc("load", [os.path.join(BUILD, "tools", "sunlight_load"), "--mode=intake",
                             f"--target=127.0.0.1:{self.ports['intake']}", "--clients=4",
                             f"--key_file={self.key_dir}/gateway.key",
                             f"--tls_cert_file={self.suite_ca}/gateway.crt",
                             f"--tls_key_file={self.suite_ca}/gateway.key",
                             f"--tls_ca_file={self.suite_ca}/ca.crt",
                             f"--duration={LOAD_SECONDS}s"], self.tmp).start()
        load_started = time.monotonic()
        log(f"load running for {LOAD_SECONDS}s; client following")
        follower = JournalFollower(os.path.join(self.state, "records.jsonl"))

        # Kill the client a quarter into the load, once it has stored something.
        self.wait_for(lambda: read_position(self.state) > 0, load_started, 0.25, 0.5, client)
        if not client.alive():
            raise Failure(f"client exited early ({client.p.returncode})\n{client.tail()}")
        client.kill()
        self.client_kills += 1
        killed_at = read_position(self.state)
        log(f"client SIGKILLed at stored position {killed_at}")
        if killed_at == 0:
            self.problem("the client had stored nothing before it was killed")
        client = self.start_client("client-2")

        # Kill the gateway past the middle of the load, once the client has resumed and stored
        # more.
        self.wait_for(lambda: read_position(self.state) > killed_at, load_started, 0.55, 0.8,
                      client)
        gateway.kill()
        down_at = time.monotonic()
        log(f"gateway SIGKILLed (client at {read_position(self.state)})")
        time.sleep(1.5)
        # The client has written all it had received by now; it can only move again through
        # the restarted gateway.
        position_at_gateway_kill = read_position(self.state)
        restarted = time.monotonic()
        gateway, port = self.start_gateway(f"127.0.0.1:{self.exchange_port}", "gateway-2")
        timings["gateway_down_s"] = time.monotonic() - down_at
        timings["gateway_restart_s"] = time.monotonic() - restarted
        if port != self.exchange_port:
            self.problem(f"the restarted gateway serves the exchange on {port}, not "
                         f"{self.exchange_port}")
        log(f"gateway restarted on the same exchange port {port}")
        reconnected = None
        while load.alive() or reconnected is None:
            if reconnected is None and read_position(self.state) > position_at_gateway_kill:
                reconnected = time.monotonic() - restarted
                log(f"client reconnected by itself {reconnected:.1f}s after the gateway was relaunched")
            if time.monotonic() - load_started > LOAD_SECONDS + 60:
                break
            if not client.alive():
                raise Failure(f"client exited ({client.p.returncode})\n{client.tail()}")
            follower.poll()
            time.sleep(0.2)
        if reconnected is None:
            self.problem("the client did not get a record after the gateway restarted")
        timings["client_reconnect_s"] = reconnected
        try:
            load.p.wait(60)
        except subprocess.TimeoutExpired:
            raise Failure("sunlight_load did not finish")
        timings["load_s"] = time.monotonic() - load_started
        load_text = load.text()
        load_line = re.search(r"intake: .*failures.*", load_text)
        self.summary["load"] = load_line.group(0) if load_line else load_text.strip()[-300:]
        log(f"load done: {self.summary['load']}")
        if load.p.returncode != 0:
            self.problem(f"sunlight_load exited with {load.p.returncode}")

        clear, sealed = self.check_intake_stream_sealed()
        if clear is not None:
            self.problem(f"intake's stream carries {ID_NUMBER} in clear (event {clear})")
        if sealed == 0:
            self.problem("no submission in intake's stream has its applicant sealed")
        self.summary["intake_events_sealed"] = sealed

        last_position, streams = self.wait_until_caught_up(follower)
        log(f"caught up: exchange at {last_position}, streams {streams}")
        code = client.stop()
        if code != 0:
            self.problem(f"the client exited with {code} on SIGTERM")
        client_2 = client.text()
        resumed = re.search(r"subscribe after_position=(\d+)", client_2)
        if not resumed or int(resumed.group(1)) < max(killed_at, 1):
            self.problem(f"the restarted client did not resume after its stored position "
                         f"{killed_at} ({resumed.group(0) if resumed else 'no subscribe line'})")
        else:
            self.summary["client_resumed_after"] = int(resumed.group(1))
        self.summary["client_reconnects"] = len(re.findall(r"retrying in", client_2))
        self.summary["client_last_line"] = (client_2.strip().splitlines() or [""])[-1]
        if self.exchange_info().last_position != last_position:
            self.problem("the exchange moved after the catch-up")

        started = time.monotonic()
        self.verify(last_position, streams)
        timings["verify_s"] = time.monotonic() - started


def main():
    tmp = tempfile.mkdtemp(prefix="exchange-e2e-")
    test = Test(tmp)
    failed = None

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    log(f"build {BUILD}, source {SRC}, tmp {tmp}")
    try:
        test.run()
    except (Failure, KeyboardInterrupt) as e:
        failed = str(e)
    except Exception as e:  # noqa: BLE001 — a crash of the test is a failure with its story
        import traceback
        failed = f"{type(e).__name__}: {e}\n{traceback.format_exc()}"
    finally:
        for proc in reversed(ALL):
            proc.kill()
    test.timings["total_s"] = time.monotonic() - T0

    print("\n==== exchange e2e summary ====")
    for key, value in test.summary.items():
        if isinstance(value, list) and value and isinstance(value[0], str):
            print(f"{key}:")
            for line in value:
                print(f"  {line}")
        else:
            print(f"{key}: {value}")
    print("timings: " + ", ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                                  for k, v in test.timings.items()))
    if failed or test.problems:
        print("\nFAILED")
        if failed:
            print(f"  {failed}")
        for problem in test.problems:
            print(f"  - {problem}")
        for proc in ALL:
            if proc.name != "load":
                print(f"--- {os.path.basename(proc.log_path)} (tail)\n{proc.tail(15)}")
        print(f"(files kept in {tmp})")
        print("0 passed, 1 failed")
        return 1
    if os.environ.get("SUNLIGHT_KEEP_TMP"):
        print(f"(files kept in {tmp})")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
