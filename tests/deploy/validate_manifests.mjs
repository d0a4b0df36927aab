// Renders each kustomization with `kubectl kustomize` and validates every
// rendered object against the Kubernetes schemas of kubernetes-models (and
// @kubernetes-models/prometheus-operator for the ServiceMonitor). An object
// of a kind neither package knows fails the test.
//
//   node validate_manifests.mjs KUBECTL NODE_MODULES KUSTOMIZATION_DIR...
import { execFileSync } from "node:child_process";
import path from "node:path";
import fs from "node:fs";
import { pathToFileURL } from "node:url";

const [kubectl, nodeModules, ...dirs] = process.argv.slice(2);
if (!kubectl || !nodeModules || dirs.length === 0) {
  console.error("usage: validate_manifests.mjs KUBECTL NODE_MODULES KUSTOMIZATION_DIR...");
  process.exit(2);
}
const load = (rel) => import(pathToFileURL(path.join(nodeModules, rel)).href);
const YAML = await load("yaml/dist/index.js");

function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com")
    return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}.js`;
  return group === ""
    ? `kubernetes-models/${version}/${kind}.js`
    : `kubernetes-models/${group}/${version}/${kind}.js`;
}

let failures = 0;
for (const dir of dirs) {
  const rendered = execFileSync(kubectl, ["kustomize", dir], {
    encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60000,
  });
  const objects = YAML.parseAllDocuments(rendered).map((d) => d.toJS()).filter(Boolean);
  if (objects.length === 0) {
    console.error(`${dir}: kubectl kustomize rendered nothing`);
    failures++;
  }
  for (const object of objects) {
    const name = `${dir}: ${object.kind} ${object.metadata?.name}`;
    const file = modulePath(object.apiVersion ?? "", object.kind ?? "");
    if (!fs.existsSync(path.join(nodeModules, file))) {
      console.error(`${name}: no schema for ${object.apiVersion} ${object.kind}`);
      failures++;
      continue;
    }
    const Model = (await load(file))[object.kind];
    try {
      new Model(object).validate();
      console.log(`${name}: valid ${object.apiVersion}`);
    } catch (error) {
      console.error(`${name}: INVALID: ${error.message}`);
      failures++;
    }
  }
}
if (failures > 0) {
  console.error(`${failures} problem(s)`);
  process.exit(1);
}
