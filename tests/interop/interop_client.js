// An independent client for wersa-serve: Node's @grpc/grpc-js with
// @grpc/proto-loader reading the repository's .proto files at run time.
// Calls Classify, GetModelInfo and grpc.health.v1 Check, and prints one JSON
// object with what came back. Exits 1 on any failed call.
//
// usage: node interop_client.js HOST:PORT
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const target = process.argv[2];
const repo = path.resolve(__dirname, '..', '..');
const options = {keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true};
const api = grpc.loadPackageDefinition(protoLoader.loadSync(
    path.join(repo, 'proto', 'wersa', 'v1', 'classifier.proto'), options));
const health = grpc.loadPackageDefinition(protoLoader.loadSync(
    path.join(__dirname, 'grpc', 'health', 'v1', 'health.proto'), options));

const classifier = new api.wersa.v1.DocumentClassifier(target, grpc.credentials.createInsecure());
const checker = new health.grpc.health.v1.Health(target, grpc.credentials.createInsecure());

function call(client, method, request) {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + 30000);
    client[method](request, {deadline}, (error, response) => {
      if (error) reject(error); else resolve(response);
    });
  });
}

async function main() {
  const text = Buffer.from('kalo mine ruta vozi pesu dofa gujo be kalo mine ruta caf\u00e9', 'utf8');
  const classified = await call(classifier, 'Classify',
                                {text, top_k: 2, request_id: 'from-node', truncation: 'TRUNCATION_HEAD'});
  const info = await call(classifier, 'GetModelInfo', {});
  const overall = await call(checker, 'Check', {service: ''});
  const service = await call(checker, 'Check', {service: 'wersa.v1.DocumentClassifier'});
  let invalid = null;
  try {
    await call(classifier, 'Classify', {text: Buffer.from([0x61, 0xff])});
  } catch (error) {
    invalid = {code: error.code, details: error.details};
  }
  console.log(JSON.stringify({
    classify: classified, model_info: {name: info.name, version: info.version, labels: info.labels,
                                       problem_type: info.problem_type, max_tokens: info.max_tokens},
    health: overall.status, service_health: service.status, invalid_utf8: invalid,
  }));
}

main().then(() => process.exit(0), (error) => {
  console.error(`interop client failed: ${error.code} ${error.details || error.message}`);
  process.exit(1);
});
