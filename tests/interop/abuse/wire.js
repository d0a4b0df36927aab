// Calls with raw bytes: @grpc/grpc-js with identity serializers (any request
// bytes, the response bytes as they came), and Node's own http2 for what
// grpc-js will not do: send a zero grpc-timeout to the server, or drop the
// TCP connection in the middle of an upload.
'use strict';

const grpc = require('@grpc/grpc-js');
const http2 = require('http2');
const net = require('net');

const SERVICE = '/wersa.v1.DocumentClassifier/';
const identity = (bytes) => bytes;

function codeName(code) {
  return Object.keys(grpc.status).find((name) => grpc.status[name] === code) || `CODE_${code}`;
}

// A channel with its own connection (grpc-js shares connections between
// clients of equal options unless told otherwise).
function channel(target) {
  return new grpc.Client(target, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
    'grpc.use_local_subchannel_pool': 1,
  });
}

function callOptions(deadline) {
  return deadline === undefined ? {} : {deadline};
}

// One unary call. Resolves {code, details, bytes, answeredFirst}:
// answeredFirst is false when `cancelAfterMs` cancelled it before an answer.
function unary(client, path, request, {deadline, cancelAfterMs} = {}) {
  return new Promise((resolve) => {
    let answered = false;
    let cancelled = false;
    const call = client.makeUnaryRequest(
        path.startsWith('/') ? path : SERVICE + path, identity, identity, request,
        callOptions(deadline), (error, response) => {
          answered = true;
          resolve({code: error ? codeName(error.code) : 'OK',
                   details: error ? error.details : '', bytes: response,
                   answeredFirst: !cancelled});
        });
    if (cancelAfterMs !== undefined) {
      setTimeout(() => {
        if (!answered) {
          cancelled = true;
          call.cancel();
        }
      }, cancelAfterMs);
    }
  });
}

// A ClassifyStream upload under the caller's control: write(), end(),
// cancel(); `result` resolves as unary()'s does.
function upload(client, {deadline} = {}) {
  let call;
  const result = new Promise((resolve) => {
    call = client.makeClientStreamRequest(
        `${SERVICE}ClassifyStream`, identity, identity, callOptions(deadline),
        (error, response) => resolve({code: error ? codeName(error.code) : 'OK',
                                      details: error ? error.details : '', bytes: response}));
  });
  return {
    write: (bytes) => call.write(bytes),
    end: () => call.end(),
    cancel: () => call.cancel(),
    result,
  };
}

// Uploads `chunks` and half-closes (unless `halfClose` is false: then the
// call stays open until its deadline or until the caller cancels it).
function uploadAll(client, chunks, {deadline, halfClose = true} = {}) {
  const stream = upload(client, {deadline});
  for (const chunk of chunks) stream.write(chunk);
  if (halfClose) stream.end();
  return stream;
}

function hostPort(target) {
  const colon = target.lastIndexOf(':');
  return {host: target.slice(0, colon), port: Number(target.slice(colon + 1))};
}

function frame(message) {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

// A gRPC call over a fresh HTTP/2 connection of its own, with the request
// headers as given (grpc-timeout included, which reaches the server as
// written). Resolves {code, details} from the response's grpc-status, or
// {code: 'CONNECTION_CLOSED'} when the connection ended without one.
function rawCall(target, method, messages, {timeout, end = true} = {}) {
  const {host, port} = hostPort(target);
  const socket = net.connect(port, host);
  const session = http2.connect(`http://${target}`, {createConnection: () => socket});
  session.on('error', () => {});
  const headers = {':method': 'POST', ':path': SERVICE + method,
                   'content-type': 'application/grpc', te: 'trailers'};
  if (timeout !== undefined) headers['grpc-timeout'] = timeout;
  const request = session.request(headers);
  const done = new Promise((resolve) => {
    let status = null;
    const take = (fields) => {
      if (fields['grpc-status'] !== undefined) {
        status = {code: codeName(Number(fields['grpc-status'])),
                  details: decodeURIComponent(fields['grpc-message'] || '')};
      }
    };
    request.on('response', take);
    request.on('trailers', take);
    request.on('data', () => {});
    request.on('error', () => {});
    request.on('close', () => {
      session.close();
      resolve(status || {code: 'CONNECTION_CLOSED', details: ''});
    });
  });
  for (const message of messages) request.write(frame(message));
  if (end) request.end();
  return {done, socket, request};
}

// Sends `messages` of a ClassifyStream without half-closing, waits until
// they have left, then destroys the TCP connection under the call.
function disconnectMidUpload(target, messages) {
  const {socket, request, done} = rawCall(target, 'ClassifyStream', messages, {end: false});
  return new Promise((resolve) => {
    request.write(Buffer.alloc(0), () => {
      setTimeout(() => {
        socket.destroy();
        resolve(done);
      }, 5);
    });
  });
}

// A TCP connection that sends bytes that are not HTTP/2; resolves when the
// server has closed it (or after `waitMs`).
function garbageConnection(target, bytes, waitMs = 5000) {
  const {host, port} = hostPort(target);
  return new Promise((resolve) => {
    const socket = net.connect(port, host, () => socket.write(bytes));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({code: 'STILL_OPEN'});
    }, waitMs);
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({code: 'CONNECTION_CLOSED'});
    });
  });
}

module.exports = {
  channel, unary, upload, uploadAll, rawCall, disconnectMidUpload, garbageConnection, codeName,
};
