// Renders a kustomization offline, as `kustomize build` does, for the subset of kustomize that
// deploy/k8s uses: resources (files), namespace, images, configMapGenerator, secretGenerator
// and generatorOptions, with kustomize's content-hash name suffixes and the rewriting of the
// references to generated ConfigMaps and Secrets in pod templates. Any other field of the
// kustomization is an error, so that nothing is ever silently left out of what is checked.
//
//   import { render } from "./render.mjs";
//   const objects = render("deploy/k8s");   // plain objects, in file order
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";

const SUPPORTED = new Set(["apiVersion", "kind", "namespace", "resources", "images",
  "configMapGenerator", "secretGenerator", "generatorOptions"]);
const GENERATOR_FIELDS = new Set(["name", "namespace", "behavior", "files", "literals", "type",
  "options"]);
const OPTION_FIELDS = new Set(["disableNameSuffixHash", "labels", "annotations"]);
// Kinds that have no namespace (those a suite could plausibly contain).
const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding",
  "PersistentVolume", "StorageClass", "CustomResourceDefinition", "PriorityClass",
  "IngressClass", "RuntimeClass", "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration", "APIService"]);
const POD_TEMPLATE_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
  "Job"]);

export class RenderError extends Error {}

// Parses YAML as Kubernetes does (YAML 1.1: 0440 is octal, yes/no are booleans).
export function parseYamlDocuments(text, file) {
  const docs = YAML.parseAllDocuments(text, { version: "1.1", merge: true, uniqueKeys: true });
  const objects = [];
  for (const doc of docs) {
    if (doc.errors.length) {
      throw new RenderError(`${file}: ${doc.errors.map((e) => e.message).join("; ")}`);
    }
    const value = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    objects.push(value);
  }
  return objects;
}

// Go's json.Marshal of a map: keys sorted, <, > and & (and U+2028, U+2029) escaped.
function goJson(value) {
  if (value === null || typeof value !== "object") {
    return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g,
      (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  }
  if (Array.isArray(value)) return "[" + value.map(goJson).join(",") + "]";
  const keys = Object.keys(value).sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1));
  return "{" + keys.map((k) => goJson(k) + ":" + goJson(value[k])).join(",") + "}";
}

// kustomize's hash suffix (api/hasher): sha256 of the Go JSON of kind, "name", data (and type,
// binaryData), first ten hex digits with 0, 1, 3, a and e replaced so that no bad word forms.
// Its "name" is always empty (it looks up a field literally called "metadata/name"): the same
// content under another name hashes the same, as `kubectl kustomize` shows.
function nameHash(object) {
  const m = { kind: object.kind, name: "", data: object.data ?? "" };
  if (object.kind === "Secret") m.type = object.type ?? "";
  if (object.kind === "ConfigMap" && object.binaryData) m.binaryData = object.binaryData;
  const hex = createHash("sha256").update(goJson(m)).digest("hex");
  const swap = { 0: "g", 1: "h", 3: "k", a: "m", e: "t" };
  return [...hex.slice(0, 10)].map((c) => swap[c] ?? c).join("");
}

// Secret data as kustomize writes it (api/kv): base64 in lines of 70 characters, each ending
// in a newline once there is more than one line (the hash is taken over this text).
function kustomizeBase64(bytes) {
  const encoded = Buffer.from(bytes).toString("base64");
  const lineLength = 70;
  if (Math.floor(encoded.length / lineLength) + 1 <= 1) return encoded;
  let out = "";
  for (let i = 0; i < encoded.length; i += lineLength) out += encoded.slice(i, i + lineLength) + "\n";
  return out;
}

function splitSource(source) {
  const eq = source.indexOf("=");
  return eq < 0 ? [null, source] : [source.slice(0, eq), source.slice(eq + 1)];
}

function generate(kind, spec, root, options) {
  for (const field of Object.keys(spec)) {
    if (!GENERATOR_FIELDS.has(field)) {
      throw new RenderError(`${kind} generator ${spec.name}: field ${field} is not supported`);
    }
  }
  if (!spec.name) throw new RenderError(`${kind} generator without a name`);
  if (spec.behavior && spec.behavior !== "create") {
    throw new RenderError(`${kind} generator ${spec.name}: behavior ${spec.behavior} is not supported`);
  }
  const opts = { ...options, ...(spec.options ?? {}) };
  for (const field of Object.keys(opts)) {
    if (!OPTION_FIELDS.has(field)) throw new RenderError(`generator option ${field} is not supported`);
  }
  const data = {};
  const binaryData = {};
  const put = (key, bytes, text) => {
    if (!/^[-._a-zA-Z0-9]+$/.test(key)) throw new RenderError(`${spec.name}: invalid key ${key}`);
    if (key in data || key in binaryData) throw new RenderError(`${spec.name}: key ${key} twice`);
    if (kind === "Secret") data[key] = kustomizeBase64(bytes);
    else if (text !== null) data[key] = text;
    else binaryData[key] = Buffer.from(bytes).toString("base64");
  };
  for (const source of spec.files ?? []) {
    const [key, file] = splitSource(source);
    const full = path.resolve(root, file);
    if (path.relative(root, full).startsWith("..")) {
      throw new RenderError(`${spec.name}: ${file} is outside the kustomization's folder`);
    }
    if (!fs.existsSync(full) || !fs.statSync(full).isFile()) {
      throw new RenderError(`${spec.name}: ${file}: no such file`);
    }
    const bytes = fs.readFileSync(full);
    let text = null;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      text = null;
    }
    put(key ?? path.basename(file), bytes, text);
  }
  for (const literal of spec.literals ?? []) {
    const [key, value] = splitSource(literal);
    if (key === null) throw new RenderError(`${spec.name}: literal ${literal} has no =`);
    put(key, Buffer.from(value), value);
  }
  const object = { apiVersion: "v1", kind, metadata: { name: spec.name } };
  if (spec.namespace) object.metadata.namespace = spec.namespace;
  if (opts.labels) object.metadata.labels = { ...opts.labels };
  if (opts.annotations) object.metadata.annotations = { ...opts.annotations };
  if (kind === "Secret") object.type = spec.type ?? "Opaque";
  if (Object.keys(data).length) object.data = data;
  if (Object.keys(binaryData).length) object.binaryData = binaryData;
  const hashed = !opts.disableNameSuffixHash;
  const original = spec.name;
  if (hashed) object.metadata.name = `${original}-${nameHash(object)}`;
  return { object, original };
}

function podSpecOf(object) {
  if (object.kind === "CronJob") return object.spec?.jobTemplate?.spec?.template?.spec;
  if (object.kind === "Pod") return object.spec;
  if (POD_TEMPLATE_KINDS.has(object.kind)) return object.spec?.template?.spec;
  return undefined;
}

function containersOf(podSpec) {
  return [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? []),
    ...(podSpec.ephemeralContainers ?? [])];
}

// The references kustomize's nameReference rewrites for ConfigMaps and Secrets in a pod spec.
function rewriteReferences(podSpec, renamed) {
  const rename = (kind, holder, field) => {
    if (!holder || typeof holder[field] !== "string") return;
    const name = renamed[kind].get(holder[field]);
    if (name) holder[field] = name;
  };
  for (const volume of podSpec.volumes ?? []) {
    rename("ConfigMap", volume.configMap, "name");
    rename("Secret", volume.secret, "secretName");
    for (const source of volume.projected?.sources ?? []) {
      rename("ConfigMap", source.configMap, "name");
      rename("Secret", source.secret, "name");
    }
  }
  for (const container of containersOf(podSpec)) {
    for (const env of container.env ?? []) {
      rename("ConfigMap", env.valueFrom?.configMapKeyRef, "name");
      rename("Secret", env.valueFrom?.secretKeyRef, "name");
    }
    for (const from of container.envFrom ?? []) {
      rename("ConfigMap", from.configMapRef, "name");
      rename("Secret", from.secretRef, "name");
    }
  }
  for (const secret of podSpec.imagePullSecrets ?? []) rename("Secret", secret, "name");
}

function parseImage(image) {
  const at = image.indexOf("@");
  const base = at < 0 ? image : image.slice(0, at);
  const slash = base.lastIndexOf("/");
  const colon = base.lastIndexOf(":");
  if (colon > slash) return { name: base.slice(0, colon), tag: base.slice(colon + 1) };
  return { name: base, tag: null };
}

function applyImages(podSpec, images) {
  for (const container of containersOf(podSpec)) {
    if (typeof container.image !== "string") continue;
    const { name, tag } = parseImage(container.image);
    const entry = images.find((i) => i.name === name);
    if (!entry) continue;
    const newName = entry.newName ?? name;
    if (entry.digest) container.image = `${newName}@${entry.digest}`;
    else if (entry.newTag !== undefined) container.image = `${newName}:${entry.newTag}`;
    else container.image = tag === null ? newName : `${newName}:${tag}`;
  }
}

export function render(dir) {
  const root = path.resolve(dir);
  const file = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
    .map((f) => path.join(root, f)).find((f) => fs.existsSync(f));
  if (!file) throw new RenderError(`${root}: no kustomization.yaml`);
  const docs = parseYamlDocuments(fs.readFileSync(file, "utf8"), file);
  if (docs.length !== 1) throw new RenderError(`${file}: one document expected`);
  const k = docs[0];
  for (const field of Object.keys(k)) {
    if (!SUPPORTED.has(field)) {
      throw new RenderError(`${file}: field ${field} is not supported by this renderer`);
    }
  }
  if (k.kind && k.kind !== "Kustomization") throw new RenderError(`${file}: kind ${k.kind}`);
  const objects = [];
  for (const resource of k.resources ?? []) {
    const full = path.resolve(root, resource);
    if (!fs.existsSync(full)) throw new RenderError(`resource ${resource}: no such file`);
    if (!fs.statSync(full).isFile()) {
      throw new RenderError(`resource ${resource}: only files are supported by this renderer`);
    }
    for (const object of parseYamlDocuments(fs.readFileSync(full, "utf8"), resource)) {
      if (typeof object !== "object" || Array.isArray(object)) {
        throw new RenderError(`${resource}: a document that is not an object`);
      }
      objects.push(object);
    }
  }
  const renamed = { ConfigMap: new Map(), Secret: new Map() };
  const options = k.generatorOptions ?? {};
  for (const [kind, specs] of [["ConfigMap", k.configMapGenerator], ["Secret", k.secretGenerator]]) {
    for (const spec of specs ?? []) {
      const { object, original } = generate(kind, spec, root, options);
      if (renamed[kind].has(original)) throw new RenderError(`${kind} ${original} generated twice`);
      renamed[kind].set(original, object.metadata.name);
      objects.push(object);
    }
  }
  for (const object of objects) {
    if (!object.metadata || typeof object.metadata !== "object") {
      throw new RenderError(`${object.kind ?? "an object"} without metadata`);
    }
    if (k.namespace && !CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = k.namespace;
    const podSpec = podSpecOf(object);
    if (podSpec) {
      rewriteReferences(podSpec, renamed);
      applyImages(podSpec, k.images ?? []);
    }
  }
  const seen = new Set();
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
    if (seen.has(id)) throw new RenderError(`${id} defined twice`);
    seen.add(id);
  }
  return objects;
}
