#!/usr/bin/python3
"""Checks the alert rules beyond what promtool checks (ctest: observability_rules_coverage).

  check_rules.py [SOURCE_DIR]

For every alert rule in deploy/prometheus/rules/*.yml: a `for:` duration, a severity label
(critical or warning), the annotations summary, summary_zh, description and runbook; a unit
test in tests/observability/alerts_test.yml where it fires and one where it does not; a
paragraph under its name in docs/operations.md (the runbook). And no test of an alert that
does not exist. Exit 0 when all hold; otherwise every problem is printed.
"""
import glob
import os
import sys

import yaml

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEVERITIES = {"critical", "warning"}
ANNOTATIONS = ("summary", "summary_zh", "description", "runbook")


def main():
    problems = []
    rules = {}
    for path in sorted(glob.glob(os.path.join(SRC, "deploy", "prometheus", "rules", "*.yml"))):
        with open(path, encoding="utf-8") as f:
            for group in yaml.safe_load(f)["groups"]:
                for rule in group["rules"]:
                    if "alert" not in rule:
                        continue
                    name = rule["alert"]
                    if name in rules:
                        problems.append(f"{name}: defined twice")
                    rules[name] = rule
    if not rules:
        problems.append("no alert rules in deploy/prometheus/rules/")
    for name, rule in rules.items():
        if not rule.get("for"):
            problems.append(f"{name}: no for:")
        severity = rule.get("labels", {}).get("severity")
        if severity not in SEVERITIES:
            problems.append(f"{name}: severity {severity!r}, want one of {sorted(SEVERITIES)}")
        for key in ANNOTATIONS:
            if not rule.get("annotations", {}).get(key):
                problems.append(f"{name}: no {key} annotation")

    with open(os.path.join(SRC, "tests", "observability", "alerts_test.yml"),
              encoding="utf-8") as f:
        tests = yaml.safe_load(f)
    firing, quiet = set(), set()
    for test in tests["tests"]:
        for check in test.get("alert_rule_test", []):
            name = check["alertname"]
            if name not in rules:
                problems.append(f"alerts_test.yml tests {name}, which is no rule")
            (firing if check.get("exp_alerts") else quiet).add(name)
    for name in rules:
        if name not in firing:
            problems.append(f"{name}: no unit test where it fires")
        if name not in quiet:
            problems.append(f"{name}: no unit test where it does not fire")

    try:
        with open(os.path.join(SRC, "docs", "operations.md"), encoding="utf-8") as f:
            operations = f.read()
    except FileNotFoundError:
        operations = ""
    for name in rules:
        if f"`{name}`" not in operations:
            problems.append(f"{name}: not described in docs/operations.md (as `{name}`)")

    for p in problems:
        print(f"PROBLEM: {p}")
    print(f"{len(rules)} alert rules, {len(firing & quiet)} tested firing and not firing, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
