// The abuse client: an independent client (@grpc/grpc-js and Node's http2,
// raw bytes throughout) that sends wersa-server the mix of abuse/cases.js,
// valid and hostile, and reports what came back as one JSON object on
// stdout. Checking is done here (each answer against its documented code and,
// for valid documents, against the quiet reference); the caller asserts on
// the report (tests/server/abuse_test.cc).
//
// A full run: reference answers; a warm-up (every multi-megabyte case of
// the mix in full, --warmup_scale of the rest, the concurrent streams); the
// load (the mix at --scale and --concurrency, with endless uploads held open
// beside it, then --streams uploads open at once); the server's RSS
// (/proc/PID/status VmRSS) after start, after the warm-up and after the
// load, each read once the client's connections are closed and the server
// has settled. Health checks (gRPC and /healthz) run every 100 ms from the
// first request to the last.
//
// usage: node abuse_client.js --target HOST:PORT --pid PID --metrics_port PORT
//          [--scale 1] [--warmup_scale 0.1] [--concurrency 64]
//          [--streams 1000] [--seed 1]
//          [--duration SECONDS]   (repeat the mix at --scale for that long;
//                                  no warm-up, streams or RSS: for soak.sh)
'use strict';

const fs = require('fs');
const http = require('http');
const {encode, decode} = require('./abuse/messages');
const {channel, unary, upload} = require('./abuse/wire');
const {References, TRUNCATIONS} = require('./abuse/references');
const documents = require('./abuse/documents');
const {CASES, textDocument, expectAnswer, isLong} = require('./abuse/cases');

const SETTLE_MS = 3000;
// A health check must be answered within this (its latency includes this
// client's own pauses while it builds multi-megabyte requests).
const HEALTH_DEADLINE_MS = 5000;
const CHANNELS = 4;
const STREAMS_PER_CONNECTION = 50;  // under the server's 100 per connection

function parseArgs(argv) {
  const args = {scale: 1, warmup_scale: 0.1, concurrency: 64, streams: 1000, seed: 1, duration: 0,
                pid: 0, metrics_port: 0};
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in args) && name !== 'target') throw new Error(`unknown flag ${argv[i]}`);
    args[name] = name === 'target' ? argv[i + 1] : Number(argv[i + 1]);
  }
  if (!args.target) throw new Error('--target is required');
  return args;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const later = (ms) => new Date(Date.now() + ms);

function residentKib(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)[1]);
}

function httpGet(port, path) {
  return new Promise((resolve) => {
    const request = http.get({host: '127.0.0.1', port, path, timeout: 2000}, (response) => {
      let body = '';
      response.on('data', (data) => { body += data; });
      response.on('end', () => resolve({status: response.statusCode, body}));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', (error) => resolve({status: 0, body: String(error)}));
  });
}

async function inflightRequests(port) {
  const {body} = await httpGet(port, '/metrics');
  const match = /^wersa_inflight_requests (\S+)$/m.exec(body);
  return match ? Number(match[1]) : -1;
}

// Outcomes per case: the documented code, how many were sent, the codes that
// came back, and the first few answers that were wrong.
class Tally {
  constructor() { this.cases = {}; }
  record(name, expect, result) {
    const entry = this.cases[name] ||
        (this.cases[name] = {expect, sent: 0, codes: {}, wrong: 0, examples: []});
    entry.sent += 1;
    entry.codes[result.code] = (entry.codes[result.code] || 0) + 1;
    const wanted = result.expect || expect;
    if (result.code !== wanted || result.problem) {
      entry.wrong += 1;
      if (entry.examples.length < 5) {
        entry.examples.push(`${result.code} (expected ${wanted}): ${result.problem || ''}`);
      }
    }
  }
  total() { return Object.values(this.cases).reduce((sum, entry) => sum + entry.sent, 0); }
}

// gRPC health (both services, alternately) and GET /healthz, every 100 ms.
function startHealthChecks(target, metricsPort) {
  const client = channel(target);
  const stats = {checks: 0, serving: 0, healthz: 0, healthz_ok: 0, max_ms: 0, failures: []};
  let running = true;
  const loop = (async () => {
    for (let n = 0; running; ++n) {
      const start = Date.now();
      const service = n % 2 ? 'wersa.v1.DocumentClassifier' : '';
      const answer = await unary(client, '/grpc.health.v1.Health/Check',
                                 encode('grpc.health.v1.HealthCheckRequest', {service}),
                                 {deadline: later(HEALTH_DEADLINE_MS)});
      stats.checks += 1;
      stats.max_ms = Math.max(stats.max_ms, Date.now() - start);
      const status = answer.code === 'OK' ?
          decode('grpc.health.v1.HealthCheckResponse', answer.bytes).status : answer.code;
      if (status === 'SERVING') stats.serving += 1;
      else if (stats.failures.length < 5) stats.failures.push(`${status} ${answer.details}`);
      if (metricsPort && n % 5 === 0) {
        stats.healthz += 1;
        if ((await httpGet(metricsPort, '/healthz')).status === 200) stats.healthz_ok += 1;
      }
      await sleep(100);
    }
  })();
  return async () => {
    running = false;
    await loop;
    client.close();
    return stats;
  };
}

function shuffle(next, list) {
  for (let i = list.length - 1; i > 0; --i) {
    const j = Math.floor(next() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

// The calls of a mix: each of `cases` `count * scale` times (at least once),
// the multi-megabyte ones `count * largeScale` times.
function mixTasks(cases, scale, largeScale = scale) {
  const tasks = [];
  for (const kind of cases) {
    const count = Math.max(1, Math.round(kind.count * (kind.large ? largeScale : scale)));
    for (let n = 0; n < count; ++n) tasks.push({kind, n});
  }
  return tasks;
}

// `tasks` shuffled, `concurrency` at a time, over CHANNELS connections;
// `holders` uploads that never end (no deadline) held open beside them on a
// connection of their own and cancelled after.
async function runMix(base, tally, tasks, concurrency, holders) {
  const channels = Array.from({length: CHANNELS}, () => channel(base.target));
  let turn = 0;
  const ctx = {...base, client: () => channels[turn++ % channels.length]};
  const holderChannel = channel(base.target);
  const held = [];
  for (let k = 0; k < holders; ++k) {
    const stream = upload(holderChannel);
    stream.write(encode('DocumentChunk', {text: ctx.docs.texts[k % ctx.docs.texts.length]}));
    held.push(stream);
  }
  shuffle(ctx.next, tasks);
  // The multi-megabyte calls go one at a time beside the others: how many of
  // them overlap would otherwise decide, by chance, how far the heap grows.
  const lanes = [tasks.filter(({kind}) => kind.large), tasks.filter(({kind}) => !kind.large)];
  const worker = async (lane) => {
    for (let task = lane.shift(); task; task = lane.shift()) {
      let result;
      try {
        result = await task.kind.run(ctx, task.n);
      } catch (error) {
        result = {code: 'CLIENT_ERROR', problem: String(error && error.stack || error)};
      }
      tally.record(task.kind.name, task.kind.expect, result);
    }
  };
  await Promise.all([worker(lanes[0]),
                     ...Array.from({length: concurrency - 1}, () => worker(lanes[1]))]);
  for (const stream of held) stream.cancel();
  for (const stream of held) {
    tally.record('stream_never_ends_no_deadline', 'CANCELLED',
                 {code: (await stream.result).code, problem: null});
  }
  for (const client of [...channels, holderChannel]) client.close();
}

// `count` ClassifyStream uploads open at once (each has sent half its
// document) over connections of STREAMS_PER_CONNECTION; once the server
// counts them all in flight (or 30 s pass), each sends the rest and
// half-closes. Returns the most calls the server reported in flight.
async function concurrentStreams(base, tally, count) {
  const channels = Array.from({length: Math.ceil(count / STREAMS_PER_CONNECTION)},
                              () => channel(base.target));
  const uploads = [];
  for (let k = 0; k < count; ++k) {
    const document = textDocument(base, k);
    const text = document.fields.text;
    const half = Math.floor(text.length / 2);
    const stream = upload(channels[k % channels.length], {deadline: later(120000)});
    stream.write(encode('DocumentChunk', {options: {truncation: document.truncation,
                                                    request_id: `many-${k}`},
                                          text: text.subarray(0, half)}));
    uploads.push({stream, document, rest: text.subarray(half), id: `many-${k}`});
  }
  let most = -1;
  for (const stop = Date.now() + 30000; most < count && Date.now() < stop; await sleep(200)) {
    most = Math.max(most, await inflightRequests(base.metricsPort));
  }
  for (const {stream, rest} of uploads) {
    stream.write(encode('DocumentChunk', {text: rest}));
    stream.end();
  }
  for (const {stream, document, id} of uploads) {
    tally.record('concurrent_streams', 'OK',
                 expectAnswer(base, await stream.result, document.key, 0, id));
  }
  for (const client of channels) client.close();
  return most;
}

async function settledRss(pid) {
  await sleep(SETTLE_MS);
  return residentKib(pid);
}

// What the model's tensor-block cache holds (live and idle) and its peak, in
// KiB: part of the RSS readings, reported beside them.
async function hostCacheKib(port) {
  const {body} = await httpGet(port, '/metrics');
  const sum = (pattern) => [...body.matchAll(pattern)].reduce((total, match) =>
    total + Number(match[1]), 0) / 1024;
  return {held: sum(/^wersa_host_cache_bytes\{[^}]*\} (\S+)$/gm),
          peak: sum(/^wersa_host_cache_peak_working_set_bytes (\S+)$/gm)};
}

// The documents of the mix and the quiet reference answer of each.
async function prepare(args) {
  const client = channel(args.target);
  const answer = await unary(client, 'GetModelInfo', encode('GetModelInfoRequest', {}),
                             {deadline: later(30000)});
  if (answer.code !== 'OK') throw new Error(`GetModelInfo: ${answer.code} ${answer.details}`);
  const model = decode('ModelInfo', answer.bytes);
  const info = {vocab: model.vocab_size, maxTokens: model.limits.max_tokens,
                maxStreamBytes: model.limits.max_stream_bytes,
                maxBatchDocuments: model.limits.max_batch_documents, labels: model.labels.length};
  const docs = {
    texts: documents.validTexts(40, args.seed),
    controls: documents.controlTexts(24, args.seed + 1),
    dropped: documents.droppedOnlyTexts(16, args.seed + 2),
    ids: documents.validIds(24, info.vocab, args.seed + 3),
  };
  const refs = new References();
  const inputs = [];
  const add = (kind, list, field) => list.forEach((input, index) => {
    for (const truncation of isLong(index) ? TRUNCATIONS : ['TRUNCATION_UNSPECIFIED']) {
      inputs.push({key: refs.key(kind, index, truncation, isLong(index)),
                   request: {[field]: field === 'token_ids' ? {ids: input} : input, truncation}});
    }
  });
  add('text', docs.texts, 'text');
  add('ids', docs.ids, 'token_ids');
  docs.controls.forEach((text, index) => inputs.push({key: refs.key('control', index),
                                                      request: {text}}));
  await refs.build(client, inputs);
  client.close();
  const overLimitTexts = docs.texts.map((_, index) => index).filter((index) =>
    refs.answers.get(refs.key('text', index, 'TRUNCATION_UNSPECIFIED', isLong(index)))
        .original_tokens > info.maxTokens);
  const truncated = [...refs.answers.values()].filter((answer) => answer.truncated).length;
  return {target: args.target, metricsPort: args.metrics_port, info, docs, refs, overLimitTexts,
          next: documents.random(args.seed + 4),
          references: {documents: inputs.length, truncated}};
}

async function main() {
  const args = parseArgs(process.argv);
  const started = Date.now();
  const base = await prepare(args);
  process.stderr.write(`abuse client: ${base.references.documents} references ready\n`);
  const report = {references: base.references, model: base.info};
  const stopHealth = startHealthChecks(args.target, args.metrics_port);
  if (args.duration > 0) {
    const load = new Tally();
    for (const stop = started + args.duration * 1000; Date.now() < stop;) {
      await runMix(base, load, mixTasks(CASES, args.scale), args.concurrency, 1);
    }
    Object.assign(report, {load: load.cases, requests: load.total()});
  } else {
    const rss = {after_start_kib: residentKib(args.pid)};
    const warmup = new Tally();
    const warmupStart = Date.now();
    await runMix(base, warmup, mixTasks(CASES, args.warmup_scale, 1), args.concurrency,
                 Math.max(1, Math.round(20 * args.warmup_scale)));
    if (args.streams > 0) await concurrentStreams(base, warmup, args.streams);
    const warmupSeconds = (Date.now() - warmupStart) / 1000;
    rss.after_warmup_kib = await settledRss(args.pid);
    const cacheAfterWarmup = await hostCacheKib(args.metrics_port);
    const load = new Tally();
    const loadStart = Date.now();
    await runMix(base, load, mixTasks(CASES, args.scale), args.concurrency,
                 Math.max(1, Math.round(20 * args.scale)));
    const mixSeconds = (Date.now() - loadStart) / 1000;
    const most = args.streams > 0 ? await concurrentStreams(base, load, args.streams) : 0;
    const loadSeconds = (Date.now() - loadStart) / 1000;
    rss.peak_during_load_kib = residentKib(args.pid);  // near the end of the load
    rss.after_load_kib = await settledRss(args.pid);
    const cacheAfterLoad = await hostCacheKib(args.metrics_port);
    Object.assign(rss, {host_cache_after_warmup_kib: cacheAfterWarmup.held,
                        host_cache_after_load_kib: cacheAfterLoad.held,
                        host_cache_peak_after_warmup_kib: cacheAfterWarmup.peak,
                        host_cache_peak_after_load_kib: cacheAfterLoad.peak});
    Object.assign(report, {
      warmup: {requests: warmup.total(), seconds: warmupSeconds, cases: warmup.cases},
      load: load.cases, requests: load.total(), mix_seconds: mixSeconds,
      load_seconds: loadSeconds, most_in_flight: most, rss,
    });
  }
  report.health = await stopHealth();
  report.seconds = (Date.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().then(() => process.exit(0), (error) => {
  process.stderr.write(`abuse client failed: ${error && error.stack || error}\n`);
  process.exit(1);
});
