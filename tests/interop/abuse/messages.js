// Request and response messages as bytes. protobufjs reads the repository's
// .proto files, so a well-formed request is encoded as any client would
// encode it; the malformed ones are built from raw bytes here, where a
// typed client could not produce them.
'use strict';

const path = require('path');
const protobuf = require('protobufjs');

const root = new protobuf.Root();
root.loadSync([
  path.resolve(__dirname, '..', '..', '..', 'proto', 'wersa', 'v1', 'classifier.proto'),
  path.resolve(__dirname, '..', 'grpc', 'health', 'v1', 'health.proto'),
], {keepCase: true});

function type(name) {
  return root.lookupType(name.includes('.') ? name : `wersa.v1.${name}`);
}

// `object` (field names as in the .proto) to its wire bytes.
function encode(name, object) {
  const message = type(name);
  return Buffer.from(message.encode(message.fromObject(object)).finish());
}

// Wire bytes to a plain object: enums as names, every field present.
function decode(name, bytes) {
  const message = type(name);
  return message.toObject(message.decode(bytes),
                          {longs: Number, enums: String, defaults: true, arrays: true});
}

// One length-delimited field (wire type 2) with arbitrary bytes: how a
// `string` field gets bytes that are not UTF-8.
function lengthDelimited(field, bytes) {
  const header = [(field << 3) | 2];
  let length = bytes.length;
  while (length >= 0x80) {
    header.push((length & 0x7f) | 0x80);
    length >>>= 7;
  }
  header.push(length);
  return Buffer.concat([Buffer.from(header), bytes]);
}

// Byte strings that no protobuf parser accepts as a message, each with why.
const MALFORMED = [
  {why: 'a length varint cut off', bytes: Buffer.from([0x0a, 0xff, 0xff, 0xff])},
  {why: 'a length past the end', bytes: Buffer.from([0x0a, 0x10, 0x61, 0x62])},
  {why: 'wire type 7', bytes: Buffer.from([0x0f, 0x01])},
  {why: 'field number 0', bytes: Buffer.from([0x02, 0x01, 0x61])},
  {why: 'an end-group tag without a group', bytes: Buffer.from([0x0c])},
];

module.exports = {encode, decode, lengthDelimited, MALFORMED};
