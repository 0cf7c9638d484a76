#!/usr/bin/env python3
# A provincial (or city) platform's client of the provincial exchange
# (sunlight.exchange.v1.Exchange, gRPC over mutual TLS), independent of the C++ code: it only
# shares the .proto files, from which it generates its Python stubs with protoc at start-up
# (or uses --stubs DIR made by generate_stubs()).
#
#   python3 tests/exchange/exchange_client.py --target=127.0.0.1:7443 \
#       --ca=ca.pem --cert=zj.pem --key=zj.key --state=/var/lib/zj-exchange
#
# It follows Subscribe and keeps, in --state DIR:
#   records.jsonl  every record received, one JSON object a line (position, record_id, version,
#                  source_stream, source_sequence, event as proto JSON, raw: the serialized
#                  ExchangeRecord in base64), appended in batches, flushed and fsynced;
#   position       the last position stored, replaced atomically only after its records are
#                  durable, so that after being killed the client resumes with
#                  Subscribe(after_position=<position>) and loses nothing;
#   stats.json     counters of the last run (informational, not durable).
# Records are upserted by record_id: a record whose id is already stored replaces it (the newer
# line wins when the journal is read back); such replacements are counted and reported.
# While the exchange is unavailable it retries with backoff. SIGTERM or SIGINT: it stops
# cleanly (exit 0). Exit 3 when the exchange refuses the certificate (UNAUTHENTICATED or
# PERMISSION_DENIED): retrying cannot help.
#
# Needs grpcio and protobuf (Debian: python3-grpcio python3-protobuf) and protoc with
# grpc_python_plugin (protobuf-compiler protobuf-compiler-grpc). When the interpreter running
# it has no grpc module it re-runs itself with /usr/bin/python3, where Debian installs them.
import os
import sys


def ensure_grpc():
    """Re-runs the running script with /usr/bin/python3 when this interpreter has no grpc."""
    try:
        import grpc  # noqa: F401
        import google.protobuf  # noqa: F401
    except ImportError:
        system = "/usr/bin/python3"
        if (os.path.exists(system) and os.path.realpath(sys.executable) != os.path.realpath(system)
                and not os.environ.get("SUNLIGHT_PYTHON_REEXEC")):
            os.environ["SUNLIGHT_PYTHON_REEXEC"] = "1"
            os.execv(system, [system] + sys.argv)
        raise


if __name__ == "__main__":
    ensure_grpc()

import argparse  # noqa: E402
import base64  # noqa: E402
import glob  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import queue  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

DEFAULT_PROTO_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "proto")
GRPC_PYTHON_PLUGIN = "/usr/bin/grpc_python_plugin"


def generate_stubs(proto_root, out_dir):
    """Generates Python messages and gRPC stubs for every sunlight .proto into out_dir."""
    files = sorted(os.path.relpath(p, proto_root)
                   for p in glob.glob(os.path.join(proto_root, "sunlight", "**", "*.proto"),
                                      recursive=True))
    if not files:
        raise RuntimeError(f"no .proto files under {proto_root}/sunlight")
    plugin = shutil.which("grpc_python_plugin") or GRPC_PYTHON_PLUGIN
    os.makedirs(out_dir, exist_ok=True)
    subprocess.run(["protoc", "-I", proto_root, f"--python_out={out_dir}",
                    f"--grpc_out={out_dir}", f"--plugin=protoc-gen-grpc={plugin}"] + files,
                   check=True)
    return out_dir


class Stubs:
    """The generated modules, e.g. stubs.exchange_pb2, stubs.exchange_pb2_grpc."""


def load_stubs(stub_dir):
    """Imports every generated module (so that Any payloads resolve) and returns them."""
    if stub_dir not in sys.path:
        sys.path.insert(0, stub_dir)
    stubs = Stubs()
    for path in sorted(glob.glob(os.path.join(stub_dir, "sunlight", "*", "v1", "*_pb2*.py"))):
        rel = os.path.relpath(path, stub_dir)[:-3]
        module = importlib.import_module(rel.replace(os.sep, "."))
        setattr(stubs, os.path.basename(rel), module)
    if not hasattr(stubs, "exchange_pb2_grpc"):
        raise RuntimeError(f"no exchange stubs in {stub_dir}")
    return stubs


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def secure_channel(target, ca, cert=None, key=None):
    import grpc
    credentials = grpc.ssl_channel_credentials(
        root_certificates=read_file(ca),
        private_key=read_file(key) if key else None,
        certificate_chain=read_file(cert) if cert else None)
    options = [("grpc.initial_reconnect_backoff_ms", 200),
               ("grpc.min_reconnect_backoff_ms", 200),
               ("grpc.max_reconnect_backoff_ms", 2000),
               ("grpc.max_receive_message_length", 64 * 1024 * 1024)]
    return grpc.secure_channel(target, credentials, options)


def record_to_json(stubs, record):
    from google.protobuf import json_format
    try:
        event = json_format.MessageToDict(record.event, preserving_proto_field_name=True)
    except Exception as e:  # an Any payload of a type these protos do not know
        event = {"unreadable": str(e)}
    return {
        "position": record.position,
        "record_id": record.record_id,
        "version": record.version,
        "source_stream": record.source_stream,
        "source_sequence": record.source_sequence,
        "event": event,
        "raw": base64.b64encode(record.SerializeToString()).decode("ascii"),
    }


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """records.jsonl + position in the state directory."""

    def __init__(self, state_dir, log):
        self.dir = state_dir
        self.log = log
        os.makedirs(state_dir, exist_ok=True)
        self.records_path = os.path.join(state_dir, "records.jsonl")
        self.position_path = os.path.join(state_dir, "position")
        self.ids = {}  # record_id -> (position, version) of the line that wins
        self.lines = 0
        self.replacements = 0
        self.anomalies = 0  # records whose position was not the stored position + 1
        journal_max = self._load_records()
        stored = self._load_position()
        if stored > journal_max:
            raise RuntimeError(f"{self.position_path} says {stored} but {self.records_path} "
                               f"ends at {journal_max}: the journal lost records")
        self.position = max(stored, journal_max)
        if self.position != stored:
            # Killed after the records were durable but before the position was: the records
            # are the truth.
            self.log(f"journal ends at {journal_max}, position file said {stored}: resuming "
                     f"after {journal_max}")
            self._write_position()
        self.records = open(self.records_path, "ab")

    def _load_records(self):
        if not os.path.exists(self.records_path):
            return 0
        data = read_file(self.records_path)
        end = data.rfind(b"\n") + 1
        if end != len(data):
            # A batch cut short by a kill: its records were never acknowledged by the position.
            self.log(f"dropping a torn tail of {len(data) - end} bytes from {self.records_path}")
            with open(self.records_path, "r+b") as f:
                f.truncate(end)
                f.flush()
                os.fsync(f.fileno())
            data = data[:end]
        top = 0
        for n, line in enumerate(data.splitlines(), 1):
            try:
                record = json.loads(line)
            except ValueError as e:
                raise RuntimeError(f"{self.records_path}:{n}: {e}") from e
            self._index(record["record_id"], record["position"], record["version"])
            top = max(top, record["position"])
        return top

    def _load_position(self):
        try:
            return int(read_file(self.position_path).decode().strip() or "0")
        except FileNotFoundError:
            return 0

    def _index(self, record_id, position, version):
        if record_id in self.ids:
            self.replacements += 1
        self.ids[record_id] = (position, version)
        self.lines += 1

    def _write_position(self):
        tmp = self.position_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{self.position}\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.position_path)
        fsync_dir(self.dir)

    def append(self, stubs, records):
        """Stores records durably, then the new position. Returns notes on replacements."""
        notes = []
        out = []
        for record in records:
            if record.position != self.position + 1:
                self.anomalies += 1
                notes.append(f"position {record.position} after {self.position}")
            if record.record_id in self.ids:
                old_position, old_version = self.ids[record.record_id]
                notes.append(f"replacing {record.record_id} (position {old_position} version "
                             f"{old_version}) with position {record.position} version "
                             f"{record.version}")
            self._index(record.record_id, record.position, record.version)
            self.position = max(self.position, record.position)
            out.append(json.dumps(record_to_json(stubs, record), ensure_ascii=False,
                                  separators=(",", ":")).encode("utf-8") + b"\n")
        self.records.write(b"".join(out))
        self.records.flush()
        os.fsync(self.records.fileno())
        self._write_position()
        return notes

    def close(self):
        self.records.close()


class _End:
    def __init__(self, error):
        self.error = error


class Client:
    FATAL = ("UNAUTHENTICATED", "PERMISSION_DENIED")

    def __init__(self, args, stubs):
        self.args = args
        self.stubs = stubs
        self.stop = threading.Event()
        self.call = None
        self.call_lock = threading.RLock()  # also taken by the signal handler
        self.journal = Journal(args.state, self.say)
        self.received = 0
        self.reconnects = 0
        self.started = time.monotonic()
        self.last_progress = 0.0
        self.last_progress_received = 0

    def say(self, message):
        print(f"exchange_client: {message}", flush=True)

    def request_stop(self, *_):
        self.stop.set()
        with self.call_lock:
            if self.call is not None:
                self.call.cancel()

    def write_stats(self):
        stats = {"position": self.journal.position, "received": self.received,
                 "lines": self.journal.lines, "record_ids": len(self.journal.ids),
                 "replacements": self.journal.replacements, "anomalies": self.journal.anomalies,
                 "reconnects": self.reconnects}
        tmp = os.path.join(self.args.state, "stats.json.tmp")
        with open(tmp, "w") as f:
            json.dump(stats, f)
        os.replace(tmp, os.path.join(self.args.state, "stats.json"))
        return stats

    def progress(self, force=False):
        now = time.monotonic()
        if not force and now - self.last_progress < self.args.progress_interval:
            return
        rate = (self.received - self.last_progress_received) / max(now - self.last_progress,
                                                                   1e-3)
        self.last_progress, self.last_progress_received = now, self.received
        self.say(f"position={self.journal.position} received={self.received} "
                 f"({rate:.0f}/s) replacements={self.journal.replacements} "
                 f"anomalies={self.journal.anomalies} reconnects={self.reconnects}")
        self.write_stats()

    def _read(self, call, q):
        try:
            for record in call:
                q.put(record)
            q.put(_End(None))
        except Exception as e:  # grpc.RpcError, or anything unexpected: report it
            q.put(_End(e))

    def _follow(self, channel):
        """One Subscribe call; returns the error that ended it (None: ended by the server)."""
        ex = self.stubs.exchange_pb2
        stub = self.stubs.exchange_pb2_grpc.ExchangeStub(channel)
        info = stub.GetExchangeInfo(ex.GetExchangeInfoRequest(), timeout=5)
        self.say(f"connected to {self.args.target} as {info.platform_id!r}; exchange at "
                 f"{info.last_position}; subscribe after_position={self.journal.position}")
        q = queue.Queue(maxsize=20000)
        with self.call_lock:
            if self.stop.is_set():
                return None
            call = stub.Subscribe(ex.SubscribeRequest(after_position=self.journal.position))
            self.call = call
        reader = threading.Thread(target=self._read, args=(call, q), daemon=True)
        reader.start()
        end = None
        try:
            while end is None:
                try:
                    item = q.get(timeout=0.5)
                except queue.Empty:
                    self.progress()
                    continue
                batch = []
                while True:
                    if isinstance(item, _End):
                        end = item
                        break
                    batch.append(item)
                    if len(batch) >= self.args.batch:
                        break
                    try:
                        item = q.get_nowait()
                    except queue.Empty:
                        break
                if batch:
                    for note in self.journal.append(self.stubs, batch):
                        self.say(note)
                    self.received += len(batch)
                    self.backoff = self.args.min_backoff
                    self.progress()
        finally:
            with self.call_lock:
                self.call = None
            call.cancel()
            reader.join(timeout=5)
        return end.error

    def run(self):
        import grpc
        self.backoff = self.args.min_backoff
        self.say(f"state {self.args.state}: {self.journal.lines} lines, position "
                 f"{self.journal.position}, replacements so far {self.journal.replacements}")
        while not self.stop.is_set():
            channel = secure_channel(self.args.target, self.args.ca, self.args.cert,
                                     self.args.key)
            try:
                error = self._follow(channel)
            except grpc.RpcError as e:
                error = e
            finally:
                channel.close()
            if self.stop.is_set():
                break
            if isinstance(error, grpc.RpcError):
                code = error.code().name if error.code() else "UNKNOWN"
                if code in self.FATAL:
                    self.say(f"refused: {code}: {error.details()}")
                    self.write_stats()
                    return 3
                reason = f"{code}: {error.details()}"
            elif error is not None:
                reason = f"{type(error).__name__}: {error}"
            else:
                reason = "stream ended by the server"
            self.reconnects += 1
            delay = self.backoff * (0.8 + 0.4 * random.random())
            self.say(f"{reason}; retrying in {delay:.2f}s")
            self.stop.wait(delay)
            self.backoff = min(self.backoff * 2, self.args.max_backoff)
        self.progress(force=True)
        self.journal.close()
        self.say(f"stopped at position {self.journal.position} after "
                 f"{time.monotonic() - self.started:.1f}s")
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__ or "provincial exchange client")
    parser.add_argument("--target", required=True, help="host:port of the exchange")
    parser.add_argument("--ca", required=True, help="CA certificate (PEM) of the exchange")
    parser.add_argument("--cert", required=True, help="this platform's certificate (PEM)")
    parser.add_argument("--key", required=True, help="this platform's private key (PEM)")
    parser.add_argument("--state", required=True, help="directory for records and position")
    parser.add_argument("--stubs", help="directory of generated stubs (default: generate)")
    parser.add_argument("--proto_root", default=DEFAULT_PROTO_ROOT,
                        help="where the .proto files are, to generate the stubs")
    parser.add_argument("--batch", type=int, default=2000,
                        help="most records per durable write")
    parser.add_argument("--min_backoff", type=float, default=0.2)
    parser.add_argument("--max_backoff", type=float, default=3.0)
    parser.add_argument("--progress_interval", type=float, default=1.0,
                        help="seconds between progress lines")
    args = parser.parse_args()

    generated = None
    stub_dir = args.stubs
    if not stub_dir:
        generated = tempfile.mkdtemp(prefix="exchange-stubs-")
        stub_dir = generate_stubs(args.proto_root, generated)
    try:
        stubs = load_stubs(stub_dir)
        client = Client(args, stubs)
        signal.signal(signal.SIGTERM, client.request_stop)
        signal.signal(signal.SIGINT, client.request_stop)
        return client.run()
    finally:
        if generated:
            shutil.rmtree(generated, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
