// The mix: every kind of request the abuse test sends, how many of each in a
// full run, and the status docs/api.md promises for it. Each case sends one
// call and checks its answer: the code, and for an answer the scores against
// the quiet reference (references.js), for a refusal the message's facts
// (byte offset, token index).
'use strict';

const {encode, decode, lengthDelimited, MALFORMED} = require('./messages');
const {unary, upload, uploadAll, rawCall, disconnectMidUpload, garbageConnection} =
    require('./wire');
const {TRUNCATIONS} = require('./references');
const documents = require('./documents');

const LONG_WAIT_MS = 60000;
const later = (ms) => new Date(Date.now() + ms);
const pick = (next, list) => list[Math.floor(next() * list.length)];
const isLong = (index) => index % 8 === 7;

// Request ids a client may send: none (the server makes one up), control
// characters, other scripts, a long one.
function requestId(next, n) {
  return pick(next, ['', '', `abuse-${n}`, 'tab\there\u0000nul\u001b[31m', 'ид-🚀-身份', 'r'.repeat(1024)]);
}

function expectAnswer(ctx, answer, key, topK, id) {
  if (answer.code !== 'OK') return {code: answer.code, problem: answer.details};
  const response = decode('ClassifyResponse', answer.bytes);
  const problem = ctx.refs.compare(key, response, topK) ||
      (id !== '' && response.request_id !== id ? `request_id ${response.request_id}` : null) ||
      (id === '' && !response.request_id.startsWith('srv-') ? 'no request_id made up' : null);
  return {code: 'OK', problem};
}

function expectMessage(answer, fragment) {
  return {code: answer.code,
          problem: answer.details.includes(fragment) ? null : `message "${answer.details}"`};
}

// A valid text document of the mix: {request fields, reference key}.
function textDocument(ctx, n) {
  const index = Math.floor(ctx.next() * ctx.docs.texts.length);
  const truncation = pick(ctx.next, TRUNCATIONS);
  return {fields: {text: ctx.docs.texts[index], truncation},
          key: ctx.refs.key('text', index, truncation, isLong(index)), index, truncation};
}

function idsDocument(ctx) {
  const index = Math.floor(ctx.next() * ctx.docs.ids.length);
  const truncation = pick(ctx.next, TRUNCATIONS);
  return {fields: {token_ids: {ids: ctx.docs.ids[index]}, truncation},
          key: ctx.refs.key('ids', index, truncation, isLong(index))};
}

// `text` cut into chunks of 1 to `most` bytes (cuts fall inside UTF-8
// characters as often as not); the options ride on the first.
function chunks(next, text, options, most) {
  const out = [];
  let offset = 0;
  do {
    const size = 1 + Math.floor(next() * most);
    const piece = {text: text.subarray(offset, offset + size)};
    if (offset === 0) piece.options = options;
    out.push(encode('DocumentChunk', piece));
    offset += size;
  } while (offset < text.length);
  return out;
}

// `total` bytes in 1 MiB chunks: spaces, then `tail`.
function paddedChunks(total, tail) {
  const mib = 1 << 20;
  const out = [];
  for (let offset = 0; offset < total; offset += mib) {
    const size = Math.min(mib, total - offset);
    const piece = Buffer.alloc(size, 0x20);
    const tailStart = total - tail.length - offset;
    if (tailStart < size) tail.copy(piece, Math.max(0, tailStart), Math.max(0, -tailStart));
    out.push(encode('DocumentChunk', {text: piece}));
  }
  return out;
}

async function classify(ctx, fields, options) {
  return unary(ctx.client(), 'Classify', encode('ClassifyRequest', fields),
               {deadline: later(LONG_WAIT_MS), ...options});
}

// A ClassifyBatch call of `requests`, each answered as `wants` says: code 0
// and the reference's scores for `key`, or that code and `fragment` in its
// message.
async function classifyBatch(ctx, requests, wants) {
  const answer = await unary(ctx.client(), 'ClassifyBatch',
                             encode('ClassifyBatchRequest', {requests}),
                             {deadline: later(LONG_WAIT_MS)});
  if (answer.code !== 'OK') return {code: answer.code, problem: answer.details};
  const {results} = decode('ClassifyBatchResponse', answer.bytes);
  if (results.length !== requests.length) return {code: 'OK', problem: `${results.length} results`};
  for (let k = 0; k < requests.length; ++k) {
    const {status, response} = results[k];
    if (status.code !== wants[k].code) {
      return {code: 'OK', problem: `document ${k}: code ${status.code} ${status.message}`};
    }
    const problem = wants[k].code === 0 ? ctx.refs.compare(wants[k].key, response) :
        (status.message.includes(wants[k].fragment) ? null : `document ${k}: ${status.message}`);
    if (problem) return {code: 'OK', problem};
  }
  return {code: 'OK', problem: null};
}

// Each case: name, expect (the documented code), count (per full run), run;
// `large` marks the ones that take the server's memory furthest (the
// multi-megabyte messages and uploads, the largest batches), which the
// warm-up sends in full.
const CASES = [
  // Valid requests: the answer must be the quiet reference's.
  {name: 'classify_text', expect: 'OK', count: 2400, run: async (ctx, n) => {
    const document = textDocument(ctx, n);
    const id = requestId(ctx.next, n);
    const answer = await classify(ctx, {...document.fields, request_id: id});
    return expectAnswer(ctx, answer, document.key, 0, id);
  }},
  {name: 'classify_top_k', expect: 'OK', count: 400, run: async (ctx, n) => {
    const document = textDocument(ctx, n);
    const topK = 1 + Math.floor(ctx.next() * 15);
    const answer = await classify(ctx, {...document.fields, top_k: topK, request_id: `k-${n}`});
    return expectAnswer(ctx, answer, document.key, topK, `k-${n}`);
  }},
  {name: 'classify_token_ids', expect: 'OK', count: 1000, run: async (ctx, n) => {
    const document = idsDocument(ctx);
    const answer = await classify(ctx, {...document.fields, request_id: `ids-${n}`});
    return expectAnswer(ctx, answer, document.key, 0, `ids-${n}`);
  }},
  {name: 'classify_control_characters', expect: 'OK', count: 400, run: async (ctx, n) => {
    const index = Math.floor(ctx.next() * ctx.docs.controls.length);
    const answer = await classify(ctx, {text: ctx.docs.controls[index], request_id: `c-${n}`});
    return expectAnswer(ctx, answer, ctx.refs.key('control', index), 0, `c-${n}`);
  }},
  {name: 'stream_valid', expect: 'OK', count: 400, run: async (ctx, n) => {
    const document = textDocument(ctx, n);
    const parts = chunks(ctx.next, document.fields.text,
                         {truncation: document.truncation, request_id: `s-${n}`}, 2048);
    const answer = await uploadAll(ctx.client(), parts, {deadline: later(LONG_WAIT_MS)}).result;
    return expectAnswer(ctx, answer, document.key, 0, `s-${n}`);
  }},
  {name: 'batch_mixed', expect: 'OK', count: 300, run: async (ctx, n) => {
    const size = 1 + Math.floor(ctx.next() * 8);
    const requests = [];
    const wants = [];
    for (let k = 0; k < size; ++k) {
      const kind = Math.floor(ctx.next() * 5);
      if (kind === 0) {
        const document = textDocument(ctx, n);
        requests.push(document.fields);
        wants.push({code: 0, key: document.key});
      } else if (kind === 1) {
        const document = idsDocument(ctx);
        requests.push(document.fields);
        wants.push({code: 0, key: document.key});
      } else if (kind === 2) {
        requests.push({text: Buffer.alloc(0)});
        wants.push({code: 3, fragment: 'empty'});
      } else if (kind === 3) {
        const bad = documents.badUtf8Text(ctx.next, n + k);
        requests.push({text: bad.bytes});
        wants.push({code: 3, fragment: `at byte ${bad.offset})`});
      } else {
        requests.push({token_ids: {ids: [1, 2, ctx.info.vocab]}});
        wants.push({code: 3, fragment: `token_ids[2] = ${ctx.info.vocab}`});
      }
    }
    return classifyBatch(ctx, requests, wants);
  }},
  {name: 'batch_largest', large: true, expect: 'OK', count: 4, run: async (ctx, n) => {
    // As many documents as a call may carry, each over the token limit: the
    // server's largest batches (--max_batch_size documents of --max_tokens
    // each), so the warm-up takes the model's working set to its most. Under
    // a limit no text of the mix reaches (soak.sh), its longest texts.
    const longest = ctx.overLimitTexts.length ? ctx.overLimitTexts :
        ctx.docs.texts.map((_, index) => index).filter(isLong);
    const requests = [];
    const wants = [];
    for (let k = 0; k < ctx.info.maxBatchDocuments; ++k) {
      const index = longest[k % longest.length];
      const truncation = TRUNCATIONS[(n + k) % TRUNCATIONS.length];
      requests.push({text: ctx.docs.texts[index], truncation});
      wants.push({code: 0, key: ctx.refs.key('text', index, truncation, isLong(index))});
    }
    return classifyBatch(ctx, requests, wants);
  }},
  {name: 'stream_at_limit_valid', large: true, expect: 'OK', count: 4, run: async (ctx, n) => {
    // Exactly --max_stream_bytes: spaces (which the tokenizer drops), then a
    // short document, read as that document alone.
    const index = (n * 3) % 7;  // short documents: not every eighth
    const parts = paddedChunks(ctx.info.maxStreamBytes, ctx.docs.texts[index]);
    const answer = await uploadAll(ctx.client(), parts, {deadline: later(LONG_WAIT_MS)}).result;
    return expectAnswer(ctx, answer, ctx.refs.key('text', index), 0, '');
  }},

  // Invalid input: INVALID_ARGUMENT with the reason.
  {name: 'empty_text', expect: 'INVALID_ARGUMENT', count: 300, run: async (ctx) =>
    expectMessage(await classify(ctx, {text: Buffer.alloc(0)}), 'empty')},
  {name: 'no_input', expect: 'INVALID_ARGUMENT', count: 200, run: async (ctx, n) =>
    expectMessage(await classify(ctx, n % 2 ? {} : {top_k: 3, request_id: 'nothing'}), 'no input')},
  {name: 'only_dropped_control_characters', expect: 'INVALID_ARGUMENT', count: 200,
   run: async (ctx) => expectMessage(
       await classify(ctx, {text: pick(ctx.next, ctx.docs.dropped)}), 'no tokens')},
  {name: 'invalid_utf8', expect: 'INVALID_ARGUMENT', count: 1000, run: async (ctx, n) => {
    const bad = documents.badUtf8Text(ctx.next, n);
    return expectMessage(await classify(ctx, {text: bad.bytes}), `at byte ${bad.offset})`);
  }},
  {name: 'token_id_out_of_range', expect: 'INVALID_ARGUMENT', count: 800, run: async (ctx, n) => {
    const ids = ctx.docs.ids[n % ctx.docs.ids.length].slice(0, 200);
    const at = Math.floor(ctx.next() * ids.length);
    const value = pick(ctx.next, documents.badIds(ctx.info.vocab));
    ids[at] = value;
    return expectMessage(await classify(ctx, {token_ids: {ids}}), `token_ids[${at}] = ${value} `);
  }},
  {name: 'token_ids_empty', expect: 'INVALID_ARGUMENT', count: 100, run: async (ctx) =>
    expectMessage(await classify(ctx, {token_ids: {ids: []}}), 'no tokens')},
  {name: 'unknown_truncation', expect: 'INVALID_ARGUMENT', count: 200, run: async (ctx) => {
    const value = pick(ctx.next, [5, 99, -1, 2147483647]);
    const answer = await classify(ctx, {text: ctx.docs.texts[0], truncation: value});
    return expectMessage(answer, `unknown truncation value ${value}`);
  }},
  {name: 'over_token_limit_truncation_none', expect: 'INVALID_ARGUMENT', count: 200,
   run: async (ctx, n) => {
     // Texts over the limit where there are any (under a small --max_tokens),
     // else ids: a few past the limit.
     const over = ctx.overLimitTexts;
     const fields = n % 2 && over.length ? {text: ctx.docs.texts[over[n % over.length]]} :
         {token_ids: {ids: Array.from({length: ctx.info.maxTokens + 1 + (n % 100)},
                                      (_, k) => (k * 7919 + n) % ctx.info.vocab)}};
     return expectMessage(await classify(ctx, {...fields, truncation: 'TRUNCATION_NONE'}),
                          `over the limit of ${ctx.info.maxTokens}`);
   }},
  {name: 'batch_empty', expect: 'INVALID_ARGUMENT', count: 100, run: async (ctx) =>
    expectMessage(await unary(ctx.client(), 'ClassifyBatch', encode('ClassifyBatchRequest', {}),
                              {deadline: later(LONG_WAIT_MS)}), 'no documents')},
  {name: 'stream_no_chunks', expect: 'INVALID_ARGUMENT', count: 100, run: async (ctx) =>
    expectMessage(await uploadAll(ctx.client(), [], {deadline: later(LONG_WAIT_MS)}).result,
                  'no chunks')},
  {name: 'stream_invalid_utf8', expect: 'INVALID_ARGUMENT', count: 200, run: async (ctx, n) => {
    const bad = documents.badUtf8Text(ctx.next, n);
    const parts = chunks(ctx.next, bad.bytes, {}, 8);
    return expectMessage(await uploadAll(ctx.client(), parts, {deadline: later(LONG_WAIT_MS)}).result,
                         `at byte ${bad.offset})`);
  }},
  {name: 'stream_malformed_chunk', expect: 'INVALID_ARGUMENT', count: 100, run: async (ctx, n) => {
    // A chunk that is not a DocumentChunk, after 0 to 2 good ones; half the
    // uploads never half-close: the refusal must not wait for the end.
    const good = chunks(ctx.next, ctx.docs.texts[n % 7], {}, 64).slice(0, n % 3);
    const bad = MALFORMED[n % MALFORMED.length].bytes;
    const stream = uploadAll(ctx.client(), [...good, bad], {deadline: later(LONG_WAIT_MS),
                                                           halfClose: n % 2 === 0});
    return expectMessage(await stream.result, 'not a valid wersa.v1.DocumentChunk');
  }},

  // Messages gRPC itself cannot parse never reach the service: its callback
  // API answers UNIMPLEMENTED with no message.
  {name: 'malformed_message', expect: 'UNIMPLEMENTED', count: 102, run: async (ctx, n) => {
    const method = ['Classify', 'ClassifyBatch', 'GetModelInfo'][n % 3];
    const bytes = method === 'Classify' && n % 2 ?
        Buffer.concat([encode('ClassifyRequest', {text: ctx.docs.texts[0]}),
                       lengthDelimited(5, Buffer.from([0xc3, 0x28]))]) :  // request_id not UTF-8
        MALFORMED[n % MALFORMED.length].bytes;
    const answer = await unary(ctx.client(), method, bytes, {deadline: later(LONG_WAIT_MS)});
    return {code: answer.code, problem: answer.details === '' ? null : answer.details};
  }},

  // Limits: RESOURCE_EXHAUSTED.
  {name: 'batch_too_many_documents', expect: 'RESOURCE_EXHAUSTED', count: 100, run: async (ctx) => {
    const requests = Array.from({length: ctx.info.maxBatchDocuments + 1},
                                (_, k) => ({text: ctx.docs.texts[k % 7]}));
    return expectMessage(await unary(ctx.client(), 'ClassifyBatch',
                                     encode('ClassifyBatchRequest', {requests}),
                                     {deadline: later(LONG_WAIT_MS)}),
                         `at most ${ctx.info.maxBatchDocuments} per call`);
  }},
  {name: 'message_10_mib', large: true, expect: 'RESOURCE_EXHAUSTED', count: 20, run: async (ctx) =>
    expectMessage(await classify(ctx, {text: Buffer.alloc(10 << 20, 0x61)}), 'larger than max')},
  {name: 'stream_over_limit', large: true, expect: 'RESOURCE_EXHAUSTED', count: 6, run: async (ctx) => {
    const parts = paddedChunks(ctx.info.maxStreamBytes + 1, ctx.docs.texts[0]);
    return expectMessage(await uploadAll(ctx.client(), parts, {deadline: later(LONG_WAIT_MS)}).result,
                         '--max_stream_bytes');
  }},
  {name: 'stream_at_limit_invalid_utf8', large: true, expect: 'INVALID_ARGUMENT', count: 4, run: async (ctx) => {
    const parts = paddedChunks(ctx.info.maxStreamBytes, Buffer.from([0xff]));
    return expectMessage(await uploadAll(ctx.client(), parts, {deadline: later(LONG_WAIT_MS)}).result,
                         `at byte ${ctx.info.maxStreamBytes - 1})`);
  }},

  // Deadlines: DEADLINE_EXCEEDED, whether the client or the server notices.
  {name: 'deadline_already_past', expect: 'DEADLINE_EXCEEDED', count: 150, run: async (ctx) =>
    ({code: (await classify(ctx, {text: ctx.docs.texts[1]}, {deadline: later(-1000)})).code,
      problem: null})},
  {name: 'deadline_1ms', expect: 'DEADLINE_EXCEEDED', count: 150, run: async (ctx) =>
    ({code: (await classify(ctx, {text: ctx.docs.texts[2]}, {deadline: later(1)})).code,
      problem: null})},
  {name: 'deadline_zero_sent_to_server', expect: 'DEADLINE_EXCEEDED', count: 100,
   run: async (ctx, n) => {
     // grpc-timeout 0: the server itself sees a deadline that has passed.
     const method = n % 2 ? 'Classify' : 'ClassifyStream';
     const message = n % 2 ? encode('ClassifyRequest', {text: ctx.docs.texts[3]}) :
                             encode('DocumentChunk', {text: ctx.docs.texts[3]});
     const answer = await rawCall(ctx.target, method, [message], {timeout: '0n'}).done;
     return {code: answer.code, problem: null};
   }},
  {name: 'stream_never_ends_with_deadline', expect: 'DEADLINE_EXCEEDED', count: 20,
   run: async (ctx, n) => {
     const parts = chunks(ctx.next, ctx.docs.texts[n % 7], {}, 32);
     const stream = uploadAll(ctx.client(), parts,
                              {deadline: later(1000 + 250 * (n % 8)), halfClose: false});
     return {code: (await stream.result).code, problem: null};
   }},

  // The client goes away: CANCELLED for a call it cancels; for a dropped
  // connection there is no status at all, only the server's health after.
  {name: 'cancel_mid_call', expect: 'CANCELLED', count: 300, run: async (ctx, n) => {
    const document = textDocument(ctx, n);
    const answer = await classify(ctx, document.fields, {cancelAfterMs: n % 4});
    if (!answer.answeredFirst) return {code: answer.code, problem: null};
    // The answer came before the cancel: then it must be the right one.
    return {...expectAnswer(ctx, answer, document.key, 0, ''), expect: 'OK'};
  }},
  {name: 'cancel_mid_stream', expect: 'CANCELLED', count: 100, run: async (ctx, n) => {
    const stream = upload(ctx.client(), {deadline: later(LONG_WAIT_MS)});
    for (const part of chunks(ctx.next, ctx.docs.texts[n % ctx.docs.texts.length], {}, 256)) stream.write(part);
    setTimeout(() => stream.cancel(), n % 20);
    return {code: (await stream.result).code, problem: null};
  }},
  {name: 'disconnect_mid_stream', expect: 'CONNECTION_CLOSED', count: 100, run: async (ctx, n) => {
    const parts = chunks(ctx.next, ctx.docs.texts[n % ctx.docs.texts.length], {}, 512);
    return {code: (await disconnectMidUpload(ctx.target, parts)).code, problem: null};
  }},
  {name: 'not_http2', expect: 'CONNECTION_CLOSED', count: 20, run: async (ctx, n) => {
    const bytes = Buffer.from(documents.words(ctx.next, 50 + n).join(' '));
    return {code: (await garbageConnection(ctx.target, bytes)).code, problem: null};
  }},
];

module.exports = {CASES, textDocument, expectAnswer, isLong};
