#!/usr/bin/env bash
# usage: openapi_lint.sh GATEWAY_BINARY LINT_DIR
# Starts the gateway (--insecure_development, ports chosen by the system, a scratch store),
# fetches GET /v1/openapi.json and lints it with LINT_DIR's redocly and redocly.yaml (the
# recommended rules): any error or warning fails. Then checks that the check can fail: a copy of the
# document with an operation id that is not URL-safe and no servers must not pass.
set -euo pipefail
gateway=$1
lint_dir=$2
redocly=$lint_dir/node_modules/.bin/redocly
if [ ! -x "$redocly" ]; then
  echo "openapi_lint: $redocly is missing: run ./tools/setup (npm ci in $lint_dir)" >&2
  exit 1
fi
# Offline: no usage data sent, no update check.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true REDOCLY_SUPPRESS_NOTIFICATIONS=true

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

"$gateway" --insecure_development=true --listen=127.0.0.1:0 --metrics_listen= \
  --http_listen=127.0.0.1:0 --http_port_file="$work/http_port" --data_dir="$work/data" \
  --sync_writes=false --console_dir= >"$work/gateway.log" 2>&1 &
pid=$!
for _ in $(seq 300); do
  [ -s "$work/http_port" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "openapi_lint: the gateway exited:" >&2
    cat "$work/gateway.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ ! -s "$work/http_port" ]; then
  echo "openapi_lint: the gateway wrote no HTTP port in 30 s:" >&2
  cat "$work/gateway.log" >&2
  exit 1
fi
curl -fsS --max-time 30 -o "$work/openapi.json" "http://127.0.0.1:$(cat "$work/http_port")/v1/openapi.json"
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=""

lint() {
  node "$redocly" lint --config "$lint_dir/redocly.yaml" --max-problems 1000 "$@"
}

echo "openapi_lint: the gateway's document"
lint "$work/openapi.json"
# Warnings fail too: fix them, or turn their rule off in redocly.yaml with the reason.
lint --format=json "$work/openapi.json" >"$work/lint.json" 2>/dev/null || true
warnings=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).totals.warnings)' "$work/lint.json")
if [ "$warnings" != 0 ]; then
  echo "openapi_lint: $warnings warnings (above)" >&2
  exit 1
fi

# A document with errors must fail the check.
node -e '
  const fs = require("fs");
  const doc = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  delete doc.servers;
  const [path] = Object.keys(doc.paths);
  const [method] = Object.keys(doc.paths[path]);
  doc.paths[path][method].operationId = method.toUpperCase() + " " + path;
  fs.writeFileSync(process.argv[2], JSON.stringify(doc));
' "$work/openapi.json" "$work/broken.json"
echo "openapi_lint: a broken copy (must fail)"
if lint "$work/broken.json" >"$work/broken.log" 2>&1; then
  cat "$work/broken.log"
  echo "openapi_lint: a document with errors passed the check" >&2
  exit 1
fi
for rule in operation-operationId-url-safe no-empty-servers; do
  if ! grep -q "$rule" "$work/broken.log"; then
    cat "$work/broken.log"
    echo "openapi_lint: the broken copy was not reported for $rule" >&2
    exit 1
  fi
done
echo "openapi_lint: ok (the document passes; a broken copy fails)"
