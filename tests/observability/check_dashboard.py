#!/usr/bin/python3
"""Checks the Grafana provisioning in deploy/grafana/ offline (ctest: observability_dashboard).

  check_dashboard.py [SOURCE_DIR]

- the provisioning files parse; the data source is Prometheus with the uid the dashboards use,
  the dashboard provider reads files;
- every dashboard JSON parses, has a uid and a title; panel ids are unique; every panel other
  than a row has a gridPos inside the 24 columns, not overlapping another, the provisioned
  data source, and at least one target, each with a refId (unique in the panel) and a
  non-empty expr;
- every expr (dashboard variables expanded as Grafana would: $service to .*,
  $__rate_interval to 1m) is valid PromQL: they are written as recording rules to a temporary
  file and checked with promtool check rules.

The live test (live_metrics_test.py) imports panel_queries() and expand() from here.
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_DEFAULT = os.path.dirname(os.path.dirname(HERE))
PROMTOOL = os.environ.get("PROMTOOL", "/usr/bin/promtool")


def dashboards(src):
    return sorted(glob.glob(os.path.join(src, "deploy", "grafana", "dashboards", "*.json")))


def expand(expr, rate_interval="1m"):
    """The query Grafana sends with every value of $service and the given rate interval."""
    for name, value in (("${service}", ".*"), ("$service", ".*"),
                        ("${__rate_interval}", rate_interval), ("$__rate_interval", rate_interval),
                        ("${__interval}", rate_interval), ("$__interval", rate_interval),
                        ("$__range", rate_interval)):
        expr = expr.replace(name, value)
    return expr


def panel_queries(src):
    """[(dashboard file, panel title, refId, expr as written)] of every panel target."""
    out = []
    for path in dashboards(src):
        with open(path, encoding="utf-8") as f:
            board = json.load(f)
        for panel in all_panels(board):
            if panel.get("type") == "row":
                continue
            for target in panel.get("targets", []):
                out.append((os.path.basename(path), panel.get("title", ""), target.get("refId", ""),
                            target.get("expr", "")))
    return out


def all_panels(board):
    for panel in board.get("panels", []):
        yield panel
        for inner in panel.get("panels", []) or []:  # panels of a collapsed row
            yield inner


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else SRC_DEFAULT
    problems = []
    grafana = os.path.join(src, "deploy", "grafana")

    uids = set()
    for path in glob.glob(os.path.join(grafana, "provisioning", "datasources", "*.yml")):
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for ds in doc.get("datasources", []):
            if ds.get("type") != "prometheus":
                problems.append(f"{path}: data source {ds.get('name')} is not prometheus")
            if not ds.get("uid") or not ds.get("url"):
                problems.append(f"{path}: data source {ds.get('name')} without uid or url")
            uids.add(ds.get("uid"))
    if not uids:
        problems.append("no data source in deploy/grafana/provisioning/datasources/")
    providers = []
    for path in glob.glob(os.path.join(grafana, "provisioning", "dashboards", "*.yml")):
        with open(path, encoding="utf-8") as f:
            providers += yaml.safe_load(f).get("providers", [])
    if not any(p.get("type") == "file" and p.get("options", {}).get("path") for p in providers):
        problems.append("no file dashboard provider in deploy/grafana/provisioning/dashboards/")

    exprs = []
    if not dashboards(src):
        problems.append("no dashboard in deploy/grafana/dashboards/")
    for path in dashboards(src):
        name = os.path.basename(path)
        try:
            with open(path, encoding="utf-8") as f:
                board = json.load(f)
        except ValueError as e:
            problems.append(f"{name}: not JSON: {e}")
            continue
        if not board.get("uid") or not board.get("title"):
            problems.append(f"{name}: no uid or title")
        ids = set()
        cells = {}
        count = 0
        for panel in all_panels(board):
            title = panel.get("title", "?")
            pid = panel.get("id")
            if pid in ids:
                problems.append(f"{name}: panel id {pid} twice")
            ids.add(pid)
            g = panel.get("gridPos", {})
            if not all(isinstance(g.get(k), int) for k in "hwxy") or g["x"] + g["w"] > 24:
                problems.append(f"{name}: panel {title!r}: gridPos {g}")
            else:
                for x in range(g["x"], g["x"] + g["w"]):
                    for y in range(g["y"], g["y"] + g["h"]):
                        if (x, y) in cells and not panel.get("collapsed"):
                            problems.append(f"{name}: panel {title!r} overlaps {cells[(x, y)]!r}")
                            break
                        cells[(x, y)] = title
                    else:
                        continue
                    break
            if panel.get("type") == "row":
                continue
            count += 1
            if (panel.get("datasource") or {}).get("uid") not in uids:
                problems.append(f"{name}: panel {title!r}: data source {panel.get('datasource')}, "
                                f"want uid in {sorted(uids)}")
            targets = panel.get("targets") or []
            if not targets:
                problems.append(f"{name}: panel {title!r} has no target")
            refs = set()
            for target in targets:
                ref = target.get("refId")
                if not ref or ref in refs:
                    problems.append(f"{name}: panel {title!r}: refId {ref!r} missing or twice")
                refs.add(ref)
                if not (target.get("expr") or "").strip():
                    problems.append(f"{name}: panel {title!r} target {ref}: no expr")
                else:
                    exprs.append((f"{name}: {title} [{ref}]", target["expr"]))
        for a in board.get("annotations", {}).get("list", []):
            if a.get("expr"):
                exprs.append((f"{name}: annotation {a.get('name')}", a["expr"]))
        for v in board.get("templating", {}).get("list", []):
            q = v.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            if q and q.startswith("label_values(") and q.endswith(")"):
                inner = q[len("label_values("):-1].rsplit(",", 1)[0]
                exprs.append((f"{name}: variable {v.get('name')}", inner))
        print(f"{name}: {count} panels, {len(exprs)} queries")

    # PromQL syntax, by promtool: each query a recording rule.
    with tempfile.TemporaryDirectory() as tmp:
        rules = os.path.join(tmp, "dashboard-queries.yml")
        with open(rules, "w", encoding="utf-8") as f:
            yaml.safe_dump({"groups": [{"name": "dashboard", "rules": [
                {"record": f"dashboard:query_{i}", "expr": expand(e)}
                for i, (_, e) in enumerate(exprs)]}]}, f, allow_unicode=True)
        r = subprocess.run([PROMTOOL, "check", "rules", rules], capture_output=True, text=True)
        if r.returncode != 0:
            out = r.stdout + r.stderr
            problems.append(f"promtool check rules of the dashboard's queries:\n{out}")
            for i in sorted({int(n) for n in re.findall(r'"dashboard:query_(\d+)"', out)}):
                problems.append(f"  {exprs[i][0]}: {exprs[i][1]}")

    for p in problems:
        print(f"PROBLEM: {p}")
    print(f"{len(exprs)} queries checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
