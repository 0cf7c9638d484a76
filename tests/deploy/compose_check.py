#!/usr/bin/python3
"""Offline check of docker-compose.yml (ctest compose_config_valid).

  tests/deploy/compose_check.py [--compose=docker-compose.yml]

No container engine is needed, and none is used. It checks that:
- `docker-compose config -q` (Debian's docker-compose) accepts the file, without warnings;
- the suite is all there: every service, the gateway, the secrets job and Prometheus;
- every container runs as a non-root user, read-only, without capabilities or privilege
  escalation; only the gateway publishes ports, and only 8080 (HTTPS) and 7010 (exchange);
- the backends are on the internal network only, and each service shares a network with the
  services its flags name (host:port, a service's --listen port);
- each service's data directory is on a named volume, its secrets volume is mounted at
  /etc/sunlight and written by the secrets job, and every file its flags and health check name
  under /etc/sunlight is one that deploy/dev-secrets makes for it (run here, into a scratch
  folder); each service trusts the principal keys of exactly the services whose flags name it;
- Prometheus' configuration passes `promtool check config` and scrapes each service's
  metrics port.
Prints each problem and exits 1 if there is any.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUITE = ["intake", "workflow", "supervision", "scoring", "notify", "video", "gateway"]
PUBLIC = {8080, 7010}

problems = []


def problem(where, message):
    problems.append(f"{where}: {message}")


def flag_values(words, name):
    prefix = f"--{name}="
    return [w[len(prefix):] for w in words if w.startswith(prefix)]


def port_of(address):
    return int(address.rsplit(":", 1)[1])


def published_target(port):
    """The container port of a published port, long syntax or short (127.0.0.1:8080:8080/tcp)."""
    if isinstance(port, dict):
        return int(port["target"])
    return int(str(port).split("/")[0].rsplit(":", 1)[1])


def mount(volume):
    """{source, target, read_only, named} of a volume, long syntax or short (src:target:ro)."""
    if isinstance(volume, dict):
        return {"source": volume.get("source"), "target": volume["target"],
                "read_only": bool(volume.get("read_only")), "named": volume.get("type") == "volume"}
    parts = str(volume).split(":")
    mode = parts[2] if len(parts) > 2 else "rw"
    source = parts[0] if len(parts) > 1 else None
    return {"source": source, "target": parts[1] if len(parts) > 1 else parts[0],
            "read_only": "ro" in mode.split(","),
            "named": bool(source) and not source.startswith(("/", "."))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--compose", default=os.path.join(REPO, "docker-compose.yml"))
    args = parser.parse_args()
    compose = ["docker-compose", "--project-directory", REPO, "-f", args.compose]

    quiet = subprocess.run(compose + ["config", "-q"], capture_output=True, text=True)
    if quiet.returncode != 0 or quiet.stderr.strip():
        problem("docker-compose config -q", (quiet.stderr or quiet.stdout).strip() or "failed")
        return
    resolved = subprocess.run(compose + ["config"], capture_output=True, text=True, check=True)
    config = yaml.safe_load(resolved.stdout)
    services = config.get("services", {})
    networks = config.get("networks", {})

    for name in SUITE + ["secrets", "prometheus"]:
        if name not in services:
            problem(name, "not in the compose file")
    for name, s in services.items():
        user = str(s.get("user", ""))
        if not user or user.split(":")[0] in ("0", "root"):
            problem(name, f"runs as {user or 'the image user, unchecked'}; a non-root uid is required")
        if s.get("read_only") is not True:
            problem(name, "root file system is writable")
        if "ALL" not in (s.get("cap_drop") or []):
            problem(name, "keeps capabilities")
        if "no-new-privileges:true" not in (s.get("security_opt") or []):
            problem(name, "may gain privileges")
        for port in s.get("ports") or []:
            target = published_target(port)
            if name != "gateway" or target not in PUBLIC:
                problem(name, f"publishes port {target}")
    published = {published_target(p) for p in services.get("gateway", {}).get("ports") or []}
    if published != PUBLIC:
        problem("gateway", f"publishes {sorted(published)}, not {sorted(PUBLIC)}")
    if not networks.get("backend", {}).get("internal"):
        problem("networks", "backend is not internal")

    def nets(name):
        n = services.get(name, {}).get("networks") or {"default": None}
        return set(n if isinstance(n, (list, dict)) else [])

    listen = {}
    commands = {}
    for name in SUITE:
        s = services.get(name)
        if not s:
            continue
        command = s.get("command") or []
        commands[name] = command
        grpc = flag_values(command, "listen")
        if len(grpc) != 1:
            problem(name, "no --listen")
            continue
        listen[name] = port_of(grpc[0])
        if nets(name) - {"backend"} and name not in ("gateway", "notify", "video"):
            problem(name, f"is on {sorted(nets(name))}; a backend needs no way out")
    if nets("prometheus") != {"backend"}:
        problem("prometheus", f"is on {sorted(nets('prometheus'))}, not backend only")

    # Connections the flags make: --X=host:port naming a service of the file.
    callers = {name: set() for name in SUITE}
    for name, command in commands.items():
        for word in command:
            m = re.fullmatch(r"--([a-z_]+)=([a-z0-9-]+):(\d+)", word)
            if not m or m.group(2) in ("0.0.0.0", "127.0.0.1", "localhost"):
                continue
            host, port = m.group(2), int(m.group(3))
            if host not in listen or listen[host] != port:
                problem(name, f"{word} names no service's gRPC port")
                continue
            if not nets(name) & nets(host):
                problem(name, f"{word}: shares no network with {host}")
            callers[host].add(name)

    # Volumes: data on a named volume; secrets written by the job, mounted at /etc/sunlight.
    job_mounts = {}
    for v in services.get("secrets", {}).get("volumes") or []:
        job_mounts[mount(v)["target"]] = mount(v)["source"]
    for name, command in commands.items():
        volumes = services[name].get("volumes") or []
        mounts = {mount(v)["target"]: mount(v) for v in volumes}
        for data_dir in flag_values(command, "data_dir"):
            parent = os.path.dirname(data_dir)
            if not mounts.get(parent, {}).get("named"):
                problem(name, f"--data_dir={data_dir}: {parent} is not a named volume")
        secrets = mounts.get("/etc/sunlight")
        if not secrets or not secrets.get("read_only"):
            problem(name, "no read-only secrets volume at /etc/sunlight")
        elif job_mounts.get(f"/var/lib/sunlight-secrets/{name}") != secrets.get("source"):
            problem(name, f"the secrets job does not write its volume {secrets.get('source')}")

    # The files the flags and health checks name exist in what deploy/dev-secrets makes.
    scratch = tempfile.mkdtemp(prefix="sunlight-compose-check-")
    try:
        made = subprocess.run([os.path.join(REPO, "deploy/dev-secrets"), scratch],
                              capture_output=True, text=True)
        if made.returncode != 0:
            problem("deploy/dev-secrets", made.stderr.strip())
            return
        for name, command in commands.items():
            health = (services[name].get("healthcheck") or {}).get("test") or []
            if "/opt/sunlight/bin/grpc-health-check" not in health:
                problem(name, "no gRPC health check")
            else:
                if flag_values(health, "addr") != [f"127.0.0.1:{listen.get(name)}"]:
                    problem(name, "the health check asks another port")
                if flag_values(health, "server_name") != [name]:
                    problem(name, "the health check expects another server name")
            for word in command + health:
                m = re.fullmatch(r"--[a-z_]+=/etc/sunlight/(.+)", word)
                if m and not os.path.exists(os.path.join(scratch, name, m.group(1))):
                    problem(name, f"{word}: deploy/dev-secrets makes no such file for it")
            keys = os.path.join(scratch, name, "keys")
            trusted = {f[:-4] for f in os.listdir(keys) if f.endswith(".pub")} if os.path.isdir(keys) else set()
            for caller in sorted(callers[name] - trusted):
                problem(name, f"does not trust {caller}.pub, though {caller} calls it")
            # (Keys of people's tools, such as an operator's CLI, are not services.)
            for extra in sorted((trusted & set(SUITE)) - callers[name]):
                problem(name, f"trusts {extra}.pub, though {extra} does not call it")
            if not os.path.exists(os.path.join(keys, f"{name}.key")):
                problem(name, f"no {name}.key of its own")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    # Prometheus: a valid configuration scraping each service's metrics port.
    prometheus = services.get("prometheus", {})
    config_file = next(iter(flag_values(prometheus.get("command") or [], "config.file")), None)
    folder = next((m for m in map(mount, prometheus.get("volumes") or [])
                   if config_file and config_file.startswith(m["target"] + "/")), None)
    if not folder or folder["named"]:
        problem("prometheus", "its --config.file is in no folder mounted from the repository")
        return
    host_file = os.path.join(folder["source"], os.path.relpath(config_file, folder["target"]))
    promtool = shutil.which("promtool")
    if not promtool:
        problem("prometheus", "promtool not found (./tools/setup installs Debian's prometheus)")
    else:
        checked = subprocess.run([promtool, "check", "config", host_file], capture_output=True, text=True)
        if checked.returncode != 0:
            problem(host_file, (checked.stdout + checked.stderr).strip())
    with open(host_file) as f:
        scrape = yaml.safe_load(f)
    targets = {t for job in scrape.get("scrape_configs", [])
               for sc in job.get("static_configs", []) for t in sc.get("targets", [])}
    for name, command in commands.items():
        for metrics in flag_values(command, "metrics_listen"):
            if f"{name}:{port_of(metrics)}" not in targets:
                problem(name, f"its metrics ({name}:{port_of(metrics)}) are not scraped")
    for target in sorted(targets):
        host = target.rsplit(":", 1)[0]
        if host != "localhost" and host not in commands:
            problem(host_file, f"target {target} is no service")


if __name__ == "__main__":
    main()
    if problems:
        for p in problems:
            print(f"FAIL {p}")
        print(f"compose-check: {len(problems)} problem(s)")
        sys.exit(1)
    print("compose-check: docker-compose.yml valid (docker-compose config, users, ports, "
          "networks, volumes, secrets, trust, health checks, Prometheus)")
