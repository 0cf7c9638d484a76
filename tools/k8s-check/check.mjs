// Offline check of the suite's Kubernetes manifests (ctest k8s_manifests_valid):
//   node tools/k8s-check/check.mjs [--kustomization=deploy/k8s] [--kubectl]
// 1. Renders the kustomization (render.mjs, the subset of kustomize it uses) in a scratch copy
//    whose secrets/ deploy/dev-secrets fills, as an operator would.
// 2. Validates every object against the Kubernetes API schema that kubernetes-models ships
//    (types, required fields, formats), and again with TypeScript against the same models'
//    declarations, which rejects what the schema lets through: fields that do not exist (a
//    typo is silently dropped by the API server) and values outside an enumeration.
// 3. Checks what the suite needs of them: every container has requests, limits and a locked
//    down security context; probes and Service ports name ports that exist; every mount,
//    Secret, ConfigMap and key a container uses exists; each StatefulSet has its headless
//    Service, volume claims and PodDisruptionBudget; the network policies let exactly the
//    connections the services' flags make (and Prometheus' scrapes), let in nothing from
//    outside but the gateway's HTTPS and exchange ports; and each service trusts the
//    principal keys of exactly those that call it.
// With --kubectl it also renders with `kubectl kustomize` and requires the same objects.
// Prints each problem and exits 1 if there is any; nothing is fetched from the network.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { parseYamlDocuments, render } from "./render.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const found = args.find((a) => a.startsWith(`--${name}=`));
  return found ? found.slice(name.length + 3) : fallback;
};
const kustomization = path.resolve(arg("kustomization", path.join(repo, "deploy/k8s")));
const problems = [];
const problem = (where, message) => problems.push(`${where}: ${message}`);
const id = (o) => `${o.kind}/${o.metadata?.name}`;

// 1. A scratch copy with development secrets (never those an operator put in secrets/).
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "sunlight-k8s-check-"));
let objects;
try {
  const copy = path.join(scratch, "k8s");
  fs.cpSync(kustomization, copy, {
    recursive: true,
    filter: (src) => path.relative(kustomization, src).split(path.sep)[0] !== "secrets",
  });
  execFileSync(path.join(repo, "deploy/dev-secrets"), [path.join(copy, "secrets")],
    { stdio: ["ignore", "ignore", "inherit"] });
  objects = render(copy);
  if (args.includes("--kubectl")) {
    const text = execFileSync("kubectl", ["kustomize", copy], { encoding: "utf8" });
    const theirs = new Map(parseYamlDocuments(text, "kubectl").map((o) => [id(o), o]));
    for (const o of objects) {
      if (!isDeepStrictEqual(o, theirs.get(id(o)))) problem(id(o), "differs from kubectl kustomize");
      theirs.delete(id(o));
    }
    for (const k of theirs.keys()) problem(k, "rendered by kubectl kustomize only");
  }

  // 2a. The API schema (kubernetes-models' validators, generated from Kubernetes' OpenAPI).
  const modelPath = (o) => {
    const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
    return `kubernetes-models/${group ? `${group}/` : ""}${version}/${o.kind}`;
  };
  for (const o of objects) {
    if (typeof o.apiVersion !== "string" || typeof o.kind !== "string") {
      problem(id(o), "no apiVersion or kind");
      continue;
    }
    let Model;
    try {
      Model = require(modelPath(o))[o.kind];
    } catch {
      problem(id(o), `no schema for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    // The API server decodes Secret data as Go does, skipping the newlines kustomize wraps
    // its base64 in; the schema's "byte" format does not, so it sees the data unwrapped.
    const object = structuredClone(o);
    if (object.kind === "Secret") {
      for (const k of Object.keys(object.data ?? {})) object.data[k] = object.data[k].replace(/[\r\n]/g, "");
    }
    try {
      new Model(object).validate();
    } catch (e) {
      problem(id(o), `schema: ${e.message}`);
    }
  }

  // 2b. Strict: the same models' TypeScript declarations (excess properties, enumerations).
  const lines = [];
  const spans = [];
  const types = new Map();
  objects.forEach((o, i) => {
    if (typeof o.kind !== "string") return;
    if (!types.has(modelPath(o))) types.set(modelPath(o), `T${types.size}`);
  });
  for (const [module, alias] of types) {
    const kind = module.slice(module.lastIndexOf("/") + 1);
    lines.push(`import type { I${kind} as ${alias} } from ${JSON.stringify(module)};`);
  }
  objects.forEach((o, i) => {
    if (typeof o.kind !== "string") return;
    const text = `export const o${i}: ${types.get(modelPath(o))} = ${JSON.stringify(o, null, 2)};`;
    spans.push({ from: lines.length + 1, to: lines.length + text.split("\n").length, o });
    lines.push(...text.split("\n"));
  });
  const ts = path.join(scratch, "ts");
  fs.mkdirSync(ts);
  fs.writeFileSync(path.join(ts, "objects.ts"), lines.join("\n") + "\n");
  fs.writeFileSync(path.join(ts, "tsconfig.json"), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, skipLibCheck: true, types: [], target: "es2020",
      module: "commonjs", moduleResolution: "node", baseUrl: here,
      paths: { "*": ["node_modules/*"] },
    },
    files: ["objects.ts"],
  }));
  try {
    execFileSync(process.execPath, [path.join(here, "node_modules/typescript/bin/tsc"), "-p", ts],
      { encoding: "utf8" });
  } catch (e) {
    const out = `${e.stdout ?? ""}${e.stderr ?? ""}`;
    let reported = 0;
    for (const line of out.split("\n")) {
      const m = /objects\.ts\((\d+),\d+\): error TS\d+: (.*)$/.exec(line);
      if (!m) continue;
      const span = spans.find((s) => +m[1] >= s.from && +m[1] <= s.to);
      const source = lines[+m[1] - 1].trim();
      problem(span ? id(span.o) : `line ${m[1]}`, `strict: ${m[2]} (at ${source})`);
      reported++;
    }
    if (!reported) problem("tsc", out || e.message);
  }
} catch (e) {
  problem(kustomization, e.message);
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}

// 3. What the suite needs of its manifests.
// (On objects the schema already refused, a check may find nothing to look at: that is a
// problem too, reported as such.)
if (objects) {
  try {
    checkSuite(objects);
  } catch (e) {
    problem("suite checks", `stopped: ${e.stack}`);
  }
}

if (problems.length) {
  for (const p of problems) console.log(`FAIL ${p}`);
  console.log(`k8s-check: ${problems.length} problem(s) in ${kustomization}`);
  process.exit(1);
}
const kinds = {};
for (const o of objects) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
const version = require("kubernetes-models/package.json").version;
console.log(`k8s-check: ${objects.length} objects valid (${Object.entries(kinds)
  .map(([k, n]) => `${n} ${k}`).join(", ")}) against kubernetes-models ${version}`);

function matches(selector, labels) {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels?.[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = labels && e.key in labels;
    const value = labels?.[e.key];
    if (e.operator === "In" && !(has && e.values.includes(value))) return false;
    if (e.operator === "NotIn" && has && e.values.includes(value)) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

function checkSuite(all) {
  const namespace = all.find((o) => o.kind === "Namespace");
  if (!namespace) problem("kustomization", "no Namespace");
  const of = (kind) => all.filter((o) => o.kind === kind);
  const byName = (kind, name) => all.find((o) => o.kind === kind && o.metadata.name === name);
  for (const o of all) {
    if (o.kind !== "Namespace" && o.metadata.namespace !== namespace?.metadata.name) {
      problem(id(o), `not in namespace ${namespace?.metadata.name}`);
    }
  }
  const workloads = all.filter((o) => ["StatefulSet", "Deployment"].includes(o.kind));
  // A pod of each workload: its labels, containers, and where its Secrets are mounted.
  const pods = workloads.map((w) => ({ w, labels: w.spec?.template?.metadata?.labels ?? {},
    spec: w.spec?.template?.spec ?? {} }));
  const portsOf = (pod) => (pod.spec.containers ?? []).flatMap((c) => c.ports ?? []);
  const resolvePort = (pod, port) => (typeof port === "number" ? port
    : portsOf(pod).find((p) => p.name === port)?.containerPort);

  for (const pod of pods) {
    const { w, spec } = pod;
    const where = id(w);
    if (!matches(w.spec.selector, pod.labels)) problem(where, "selector does not select its pods");
    const sc = spec.securityContext ?? {};
    if (sc.runAsNonRoot !== true || !(sc.runAsUser > 0)) problem(where, "pods may run as root");
    if (sc.seccompProfile?.type !== "RuntimeDefault") problem(where, "no RuntimeDefault seccomp");
    if (spec.automountServiceAccountToken !== false) problem(where, "mounts a service account token");
    const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
    for (const t of w.spec.volumeClaimTemplates ?? []) volumes.set(t.metadata.name, { claim: t });
    const used = new Set();
    for (const v of spec.volumes ?? []) {
      if (v.secret && !byName("Secret", v.secret.secretName)) {
        problem(where, `volume ${v.name}: no Secret ${v.secret.secretName}`);
      }
      if (v.configMap && !byName("ConfigMap", v.configMap.name)) {
        problem(where, `volume ${v.name}: no ConfigMap ${v.configMap.name}`);
      }
      if (v.persistentVolumeClaim && !byName("PersistentVolumeClaim", v.persistentVolumeClaim.claimName)) {
        problem(where, `volume ${v.name}: no PersistentVolumeClaim ${v.persistentVolumeClaim.claimName}`);
      }
    }
    const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
    for (const c of containers) {
      const at = `${where} container ${c.name}`;
      for (const kind of ["requests", "limits"]) {
        for (const r of ["cpu", "memory"]) {
          if (c.resources?.[kind]?.[r] === undefined) problem(at, `no ${r} ${kind}`);
        }
      }
      const csc = c.securityContext ?? {};
      if (csc.allowPrivilegeEscalation !== false) problem(at, "may escalate privileges");
      if (csc.readOnlyRootFilesystem !== true) problem(at, "root file system is writable");
      if (!(csc.capabilities?.drop ?? []).includes("ALL")) problem(at, "keeps capabilities");
      for (const m of c.volumeMounts ?? []) {
        if (!volumes.has(m.name)) problem(at, `mounts ${m.name}, which is no volume`);
        used.add(m.name);
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.configMapKeyRef;
        if (ref && !(ref.key in (byName("ConfigMap", ref.name)?.data ?? {}))) {
          problem(at, `env ${e.name}: no key ${ref.key} in ConfigMap ${ref.name}`);
        }
      }
    }
    for (const name of volumes.keys()) if (!used.has(name)) problem(where, `volume ${name} unused`);
    for (const c of spec.containers ?? []) {
      const at = `${where} container ${c.name}`;
      for (const p of ["readinessProbe", "livenessProbe"]) if (!c[p]) problem(at, `no ${p}`);
      for (const p of ["readinessProbe", "livenessProbe", "startupProbe"]) {
        const port = c[p]?.httpGet?.port ?? c[p]?.tcpSocket?.port ?? c[p]?.grpc?.port;
        if (port !== undefined && resolvePort(pod, port) === undefined) {
          problem(at, `${p} names port ${port}, which it does not have`);
        }
      }
    }
    if (w.kind === "StatefulSet") {
      const service = byName("Service", w.spec.serviceName);
      if (!service) problem(where, `no Service ${w.spec.serviceName}`);
      else if (service.spec.clusterIP !== "None") problem(where, `Service ${w.spec.serviceName} is not headless`);
      if (!(w.spec.volumeClaimTemplates ?? []).length) problem(where, "no volumeClaimTemplates");
      if (!of("PodDisruptionBudget").some((b) => matches(b.spec.selector, pod.labels))) {
        problem(where, "no PodDisruptionBudget");
      }
    }
  }
  for (const s of of("Service")) {
    const selected = pods.filter((p) => s.spec.selector && matches({ matchLabels: s.spec.selector }, p.labels));
    if (!selected.length) problem(id(s), "selects no pods");
    for (const port of s.spec.ports ?? []) {
      for (const p of selected) {
        if (resolvePort(p, port.targetPort ?? port.port) === undefined) {
          problem(id(s), `port ${port.name}: target ${port.targetPort} is no port of ${id(p.w)}`);
        }
      }
    }
  }
  for (const b of of("PodDisruptionBudget")) {
    if (!pods.some((p) => matches(b.spec.selector, p.labels))) problem(id(b), "selects no pods");
  }

  // Files: a flag naming /etc/sunlight/DIR/FILE needs FILE in the Secret mounted at
  // /run/secrets/sunlight/DIR (deploy/install-secrets copies it; ca.crl.pem goes to crl/).
  const secretFiles = (pod, dir) => {
    const init = (pod.spec.initContainers ?? []).find((c) => c.name === "install-secrets");
    const mount = init?.volumeMounts?.find((m) => m.mountPath === `/run/secrets/sunlight/${dir}`);
    const volume = (pod.spec.volumes ?? []).find((v) => v.name === mount?.name);
    const secret = volume?.secret && byName("Secret", volume.secret.secretName);
    return secret ? Object.keys(secret.data ?? {}) : null;
  };
  const serviceName = (pod) => pod.labels["app.kubernetes.io/name"];
  for (const pod of pods) {
    for (const c of pod.spec.containers ?? []) {
      const words = [...(c.command ?? []), ...(c.args ?? []),
        ...["readinessProbe", "livenessProbe", "startupProbe"].flatMap((p) => c[p]?.exec?.command ?? [])];
      for (const word of words) {
        const m = /^--[a-z_]+=\/etc\/sunlight\/([a-z]+)\/(.+)$/.exec(word);
        if (!m) continue;
        const files = secretFiles(pod, m[1]);
        const file = m[2] === "crl" ? "ca.crl.pem" : m[2];
        if (files === null) problem(`${id(pod.w)} ${word}`, `no Secret installed at /etc/sunlight/${m[1]}`);
        else if (!files.includes(file)) problem(`${id(pod.w)} ${word}`, `${file} is in no Secret`);
      }
    }
  }

  // Connections: the services' flags host:port naming a Service of the namespace, and
  // Prometheus' scrape targets.
  const connections = [];
  const servicePods = (host, port) => {
    const s = byName("Service", host);
    const sp = s?.spec.ports?.find((p) => p.port === port);
    if (!s || !sp) return [];
    return pods.filter((p) => matches({ matchLabels: s.spec.selector }, p.labels))
      .map((p) => ({ pod: p, port: resolvePort(p, sp.targetPort ?? sp.port) }));
  };
  for (const pod of pods) {
    for (const c of pod.spec.containers ?? []) {
      for (const word of [...(c.command ?? []), ...(c.args ?? [])]) {
        const m = /^--([a-z_]+)=([a-z0-9-]+):(\d+)$/.exec(word);
        if (!m || ["0.0.0.0", "127.0.0.1"].includes(m[2])) continue;
        const targets = servicePods(m[2], +m[3]);
        if (!targets.length) problem(`${id(pod.w)} ${word}`, "names no Service port of the namespace");
        for (const t of targets) connections.push({ from: pod, to: t.pod, port: t.port, why: word, grpc: true });
      }
    }
  }
  const prometheus = pods.find((p) => serviceName(p) === "prometheus");
  const scrapeConfig = prometheus && (prometheus.spec.volumes ?? [])
    .map((v) => v.configMap && byName("ConfigMap", v.configMap.name)).find(Boolean);
  if (!scrapeConfig) problem("prometheus", "no scrape configuration");
  else {
    const text = Object.values(scrapeConfig.data)[0];
    const config = YAML.parse(text);
    // promtool (Debian's prometheus, which ./tools/setup installs) on the configuration.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sunlight-k8s-prometheus-")), "prometheus.yml");
    fs.writeFileSync(file, text);
    try {
      execFileSync("promtool", ["check", "config", file], { encoding: "utf8", stdio: "pipe" });
    } catch (e) {
      problem(`ConfigMap ${scrapeConfig.metadata.name}`, `promtool check config: ${(e.stdout ?? "") + (e.stderr ?? "") || e.message}`);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
    const scraped = new Set();
    for (const job of config.scrape_configs ?? []) {
      for (const target of (job.static_configs ?? []).flatMap((s) => s.targets ?? [])) {
        const [host, port] = target.split(":");
        if (host === "localhost") continue;
        const targets = servicePods(host, +port);
        if (!targets.length) problem(`prometheus target ${target}`, "names no Service port");
        for (const t of targets) {
          connections.push({ from: prometheus, to: t.pod, port: t.port, why: `scrape ${target}` });
          scraped.add(id(t.pod.w));
        }
      }
    }
    for (const pod of pods) {
      if (pod !== prometheus && portsOf(pod).some((p) => p.name === "metrics") && !scraped.has(id(pod.w))) {
        problem(id(pod.w), "its metrics are not scraped");
      }
    }
  }

  // NetworkPolicy semantics (one namespace): a pod is isolated for a direction once a policy of
  // that type selects it; then a connection needs a rule allowing it.
  const policies = of("NetworkPolicy");
  if (!policies.some((p) => Object.keys(p.spec.podSelector ?? {}).length === 0 &&
      ["Ingress", "Egress"].every((t) => (p.spec.policyTypes ?? []).includes(t)) &&
      !(p.spec.ingress ?? []).length && !(p.spec.egress ?? []).length)) {
    problem("NetworkPolicy", "no default deny of ingress and egress");
  }
  const types = (p) => p.spec.policyTypes ?? (p.spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
  const portAllowed = (rule, pod, port) => !rule.ports?.length || rule.ports.some((rp) =>
    (rp.protocol ?? "TCP") === "TCP" && (rp.port === undefined ||
      (rp.endPort ? port >= rp.port && port <= rp.endPort : resolvePort(pod, rp.port) === port)));
  // peer: a pod of the namespace, or "outside" (anything not a pod of the namespace).
  const peerMatches = (peers, peer) => !peers?.length || peers.some((x) => (peer === "outside"
    ? Boolean(x.ipBlock || x.namespaceSelector)
    : Boolean(x.podSelector && !x.namespaceSelector && !x.ipBlock && matches(x.podSelector, peer.labels))));
  const allowed = (direction, pod, peer, port, portPod) => {
    const selecting = policies.filter((p) => types(p).includes(direction) && matches(p.spec.podSelector, pod.labels));
    if (!selecting.length) return true;
    const field = direction === "Ingress" ? "ingress" : "egress";
    const peersField = direction === "Ingress" ? "from" : "to";
    return selecting.some((p) => (p.spec[field] ?? []).some((r) =>
      peerMatches(r[peersField], peer) && portAllowed(r, portPod, port)));
  };
  const ingressAllows = (to, from, port) => allowed("Ingress", to, from, port, to);
  const egressAllows = (from, to, port) => from === "outside" || allowed("Egress", from, to, port, to);
  for (const c of connections) {
    const where = `${id(c.from.w)} -> ${id(c.to.w)}:${c.port}`;
    if (!egressAllows(c.from, c.to, c.port)) problem(where, `egress blocked by the network policies (${c.why})`);
    if (!ingressAllows(c.to, c.from, c.port)) problem(where, `ingress blocked by the network policies (${c.why})`);
  }
  // Each direction allows no more than is needed, on its own.
  for (const to of pods) {
    for (const { containerPort: port, name } of portsOf(to)) {
      for (const from of [...pods, "outside"]) {
        if (from === to) continue;
        const needed = connections.some((c) => c.from === from && c.to === to && c.port === port);
        // The gateway's HTTPS and exchange ports are public: their ingress is open to all.
        const public_ = serviceName(to) === "gateway" && ["https", "exchange"].includes(name);
        if (needed) continue;
        const where = `${from === "outside" ? "outside" : id(from.w)} -> ${id(to.w)}:${port} (${name})`;
        if (!public_ && ingressAllows(to, from, port)) problem(where, "ingress allowed though nothing needs it");
        if (from !== "outside" && egressAllows(from, to, port)) problem(where, "egress allowed though nothing needs it");
      }
    }
  }

  // Principal keys: a service trusts the .pub of each service whose flags name it and of no
  // other service (keys of people's tools, such as an operator's CLI, are not services).
  const suite = new Set(pods.map(serviceName));
  for (const to of pods) {
    const files = secretFiles(to, "keys");
    if (files === null || serviceName(to) === "prometheus") continue;
    const trusted = new Set(files.filter((f) => f.endsWith(".pub")).map((f) => f.slice(0, -4)));
    const callers = new Set(connections.filter((c) => c.to === to && c.grpc).map((c) => serviceName(c.from)));
    for (const caller of callers) {
      if (!trusted.has(caller)) problem(id(to.w), `does not trust ${caller}.pub, though ${caller} calls it`);
    }
    for (const t of trusted) {
      if (suite.has(t) && !callers.has(t)) problem(id(to.w), `trusts ${t}.pub, though ${t} does not call it`);
    }
    if (!files.includes(`${serviceName(to)}.key`)) problem(id(to.w), `no ${serviceName(to)}.key of its own`);
  }
}
