// Checks that the rendered manifests agree with the server itself:
// - every ConfigMap key is a WERSA_* variable that `wersa-server --help` lists;
// - the container ports are the server's default --port and --metrics_port,
//   and the ConfigMap's WERSA_PORT / WERSA_METRICS_PORT, where set, match;
// - gRPC probes use the gRPC port and a health service the server registers
//   ("" or the package.service of proto/wersa/v1/classifier.proto); HTTP
//   probes use the metrics port and a path server/metrics_http.cc serves;
// - Services and the ServiceMonitor name container ports that exist;
// - the HPA's Pods metrics are metrics server/metrics.cc defines;
// - terminationGracePeriodSeconds > preStop sleep + the drain timeout
//   (WERSA_DRAIN_TIMEOUT, else the --drain_timeout default) + 1 s shutdown.
//
//   node check_manifests_server.mjs KUBECTL NODE_MODULES WERSA_SERVER REPO_ROOT KUSTOMIZATION_DIR...
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [kubectl, nodeModules, server, root, ...dirs] = process.argv.slice(2);
if (!kubectl || !nodeModules || !server || !root || dirs.length === 0) {
  console.error("usage: check_manifests_server.mjs KUBECTL NODE_MODULES WERSA_SERVER REPO_ROOT KUSTOMIZATION_DIR...");
  process.exit(2);
}
const YAML = await import(pathToFileURL(path.join(nodeModules, "yaml/dist/index.js")).href);

// The server's flags, defaults and variables, from --help.
const help = execFileSync(server, ["--help"], { encoding: "utf8", timeout: 30000 });
const flags = {};
for (const m of help.matchAll(/--(\w+) \(default ([^)]*)\)\n\s+.*\[(WERSA_\w+)\]/g))
  flags[m[3]] = { flag: m[1], default: m[2] };
if (!flags.WERSA_PORT || !flags.WERSA_METRICS_PORT || !flags.WERSA_DRAIN_TIMEOUT)
  throw new Error(`could not read the flags from ${server} --help:\n${help}`);
const proto = fs.readFileSync(path.join(root, "proto/wersa/v1/classifier.proto"), "utf8");
const healthServices = new Set(["",
  `${proto.match(/^package\s+([\w.]+);/m)[1]}.${proto.match(/^service\s+(\w+)/m)[1]}`]);
const httpSource = fs.readFileSync(path.join(root, "server/metrics_http.cc"), "utf8");
const httpPaths = new Set([...httpSource.matchAll(/\.Get\("([^"]+)"/g)].map((m) => m[1]));
const metricsSource = fs.readFileSync(path.join(root, "server/metrics.cc"), "utf8");

function seconds(duration) {  // absl durations as the server takes them: 30s, 1m, 500ms
  let total = 0;
  const units = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9 };
  for (const m of duration.matchAll(/([\d.]+)(ms|us|ns|h|m|s)/g)) total += parseFloat(m[1]) * units[m[2]];
  return total;
}

let failures = 0;
const fail = (where, message) => { console.error(`${where}: ${message}`); failures++; };

for (const dir of dirs) {
  const rendered = execFileSync(kubectl, ["kustomize", dir], {
    encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60000 });
  const objects = YAML.parseAllDocuments(rendered).map((d) => d.toJS()).filter(Boolean);
  const byKind = (kind) => objects.filter((o) => o.kind === kind);
  const env = {};
  for (const cm of byKind("ConfigMap")) {
    for (const [key, value] of Object.entries(cm.data ?? {})) {
      if (!flags[key]) fail(`${dir}: ConfigMap ${cm.metadata.name}`, `${key} is not a variable of wersa-server --help`);
      env[key] = String(value);
    }
  }
  const grpcPort = Number(env.WERSA_PORT ?? flags.WERSA_PORT.default);
  const metricsPort = Number(env.WERSA_METRICS_PORT ?? flags.WERSA_METRICS_PORT.default);
  if (grpcPort !== Number(flags.WERSA_PORT.default)) fail(dir, `WERSA_PORT ${grpcPort} is not the server's default ${flags.WERSA_PORT.default}`);
  if (metricsPort !== Number(flags.WERSA_METRICS_PORT.default)) fail(dir, `WERSA_METRICS_PORT ${metricsPort} is not the server's default ${flags.WERSA_METRICS_PORT.default}`);
  const drain = seconds(env.WERSA_DRAIN_TIMEOUT ?? flags.WERSA_DRAIN_TIMEOUT.default);

  const deployments = byKind("Deployment");
  if (deployments.length !== 1) fail(dir, `expected one Deployment, found ${deployments.length}`);
  const portNames = {};
  for (const d of deployments) {
    const spec = d.spec.template.spec;
    const c = spec.containers.find((x) => x.name === "wersa-server");
    if (!c) { fail(dir, "no wersa-server container"); continue; }
    const where = `${dir}: Deployment ${d.metadata.name}`;
    for (const p of c.ports ?? []) portNames[p.name] = p.containerPort;
    if (portNames.grpc !== grpcPort) fail(where, `container port grpc is ${portNames.grpc}, the server listens on ${grpcPort}`);
    if (portNames.metrics !== metricsPort) fail(where, `container port metrics is ${portNames.metrics}, the server serves HTTP on ${metricsPort}`);
    const cmRefs = (c.envFrom ?? []).map((e) => e.configMapRef?.name);
    for (const cm of byKind("ConfigMap"))
      if (!cmRefs.includes(cm.metadata.name)) fail(where, `ConfigMap ${cm.metadata.name} is not used through envFrom`);
    for (const kind of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      const probe = c[kind];
      if (!probe) { fail(where, `no ${kind}`); continue; }
      if (probe.grpc) {
        if (probe.grpc.port !== grpcPort) fail(where, `${kind} checks gRPC port ${probe.grpc.port}, not ${grpcPort}`);
        if (!healthServices.has(probe.grpc.service ?? "")) fail(where, `${kind} asks for health service '${probe.grpc.service}', which the server does not register`);
      } else if (probe.httpGet) {
        const port = typeof probe.httpGet.port === "string" ? portNames[probe.httpGet.port] : probe.httpGet.port;
        if (port !== metricsPort) fail(where, `${kind} GETs port ${probe.httpGet.port}, not the metrics port ${metricsPort}`);
        if (!httpPaths.has(probe.httpGet.path)) fail(where, `${kind} GETs ${probe.httpGet.path}, which the server does not serve (${[...httpPaths]})`);
      } else fail(where, `${kind} is neither grpc nor httpGet`);
    }
    if (c.readinessProbe?.grpc && !c.readinessProbe.grpc.service) fail(where, "readinessProbe should ask for the classifier service, which turns NOT_SERVING on drain");
    const preStop = c.lifecycle?.preStop?.exec?.command;
    const sleep = preStop && preStop[0] === "sleep" ? Number(preStop[1]) : 0;
    const grace = spec.terminationGracePeriodSeconds ?? 30;
    if (!(grace > sleep + drain + 1))
      fail(where, `terminationGracePeriodSeconds ${grace} must exceed preStop ${sleep} s + drain ${drain} s + 1 s`);
    console.log(`${where}: ports ${grpcPort}/${metricsPort}, grace ${grace} s > ${sleep} + ${drain} + 1 s`);
  }
  for (const s of byKind("Service"))
    for (const p of s.spec.ports)
      if (typeof p.targetPort === "string" ? !(p.targetPort in portNames) : ![grpcPort, metricsPort].includes(p.targetPort))
        fail(`${dir}: Service ${s.metadata.name}`, `targetPort ${p.targetPort} is no container port`);
  for (const sm of byKind("ServiceMonitor"))
    for (const e of sm.spec.endpoints) {
      const svc = byKind("Service").find((s) => s.spec.ports.some((p) => p.name === e.port));
      if (!svc) fail(`${dir}: ServiceMonitor`, `no Service has a port named ${e.port}`);
      else if (svc.spec.ports.find((p) => p.name === e.port).port !== metricsPort) fail(`${dir}: ServiceMonitor`, `port ${e.port} is not the metrics port`);
      if (e.path && !httpPaths.has(e.path)) fail(`${dir}: ServiceMonitor`, `path ${e.path} is not served`);
    }
  for (const h of byKind("HorizontalPodAutoscaler"))
    for (const m of h.spec.metrics.filter((x) => x.type === "Pods"))
      if (!metricsSource.includes(`"${m.pods.metric.name}"`)) fail(`${dir}: HPA`, `metric ${m.pods.metric.name} is not defined in server/metrics.cc`);
}
if (failures > 0) { console.error(`${failures} problem(s)`); process.exit(1); }
console.log("the manifests agree with the server");
