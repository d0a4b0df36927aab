// The right answers: every valid document of the mix classified once by a
// single quiet Classify call (nothing else in flight, so it runs in a batch
// of its own), and the check of any later answer against it.
'use strict';

const {encode, decode} = require('./messages');
const {unary} = require('./wire');

const TOLERANCE = 1e-5;
const TRUNCATIONS = ['TRUNCATION_UNSPECIFIED', 'TRUNCATION_HEAD', 'TRUNCATION_TAIL',
                     'TRUNCATION_HEAD_TAIL'];

class References {
  constructor() {
    this.answers = new Map();
  }

  // A key per distinct input: the truncation matters only for a document
  // over the token limit.
  key(kind, index, truncation, long) {
    return long ? `${kind}:${index}:${truncation}` : `${kind}:${index}`;
  }

  // Classifies each input alone; `inputs` are {key, request}.
  async build(client, inputs) {
    for (const {key, request} of inputs) {
      const answer = await unary(client, 'Classify', encode('ClassifyRequest', request),
                                 {deadline: new Date(Date.now() + 60000)});
      if (answer.code !== 'OK') {
        throw new Error(`reference ${key}: ${answer.code} ${answer.details}`);
      }
      const response = decode('ClassifyResponse', answer.bytes);
      if (response.batch_size !== 1) {
        throw new Error(`reference ${key} ran in a batch of ${response.batch_size}`);
      }
      const scores = {};
      for (const {label, score} of response.labels) scores[label] = score;
      this.answers.set(key, {labels: response.labels, scores, num_tokens: response.num_tokens,
                             truncated: response.truncated,
                             original_tokens: response.original_tokens});
    }
  }

  // null when `response` (a decoded ClassifyResponse) is the reference's
  // answer for `key` with `topK` labels, else what differs.
  compare(key, response, topK = 0) {
    const reference = this.answers.get(key);
    if (!reference) return `no reference for ${key}`;
    const want = topK === 0 ? reference.labels.length : Math.min(topK, reference.labels.length);
    if (response.labels.length !== want) {
      return `${key}: ${response.labels.length} labels, expected ${want}`;
    }
    const cutoff = reference.labels[want - 1].score;
    const seen = new Set();
    for (let k = 0; k < want; ++k) {
      const {label, score} = response.labels[k];
      if (seen.has(label)) return `${key}: label ${label} twice`;
      seen.add(label);
      if (!(label in reference.scores)) return `${key}: unknown label ${label}`;
      const difference = Math.abs(score - reference.scores[label]);
      if (!(difference <= TOLERANCE)) {
        return `${key}: ${label} scored ${score}, alone ${reference.scores[label]}`;
      }
      if (reference.scores[label] < cutoff - TOLERANCE) return `${key}: ${label} is not in the top ${want}`;
      if (k > 0 && score > response.labels[k - 1].score) return `${key}: labels not sorted`;
    }
    if (response.num_tokens !== reference.num_tokens || response.truncated !== reference.truncated) {
      return `${key}: ${response.num_tokens} tokens (truncated ${response.truncated}), ` +
             `alone ${reference.num_tokens} (${reference.truncated})`;
    }
    return null;
  }
}

module.exports = {References, TRUNCATIONS, TOLERANCE};
