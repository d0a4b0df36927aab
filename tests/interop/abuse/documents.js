// Deterministic documents for the abuse test: valid texts (with accents,
// other scripts, emoji and control characters among the words), token-id
// documents, and the hostile byte strings whose refusal the test checks.
'use strict';

// mulberry32: a small seeded generator, so every run sends the same bytes.
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'we prove that every finitely generated group has a solvable word problem ' +
  'the galaxy cluster spectra show redshift quasar emission dark matter halo ' +
  'neural network training loss gradient descent convergence benchmark dataset ' +
  'quantum entanglement qubit hamiltonian lattice spin chain phase transition ' +
  'protein folding gene expression cell membrane market volatility option pricing ' +
  'theorem lemma proof manifold curvature topology algebra category functor ' +
  'café naïve Schrödinger Ångström Erdős 量子 теорема λ-calculus x² ∫ ∑ 🚀 שלום')
    .split(' ');

// Characters a text may carry among its words: C0 and C1 controls, NUL,
// escape sequences, zero-width and separator characters, a BOM.
const CONTROLS = ['\u0000', '\u0001', '\u0007', '\u001b[31m', '\u007f', '\u0085',
                  '\u009f', '\u200b', '\u2028', '\ufeff', '\r\n', '\t', '\u000b'];

// Control characters SentencePiece's nmt_nfkc normalisation removes (and
// whitespace, which it collapses): a text of only these has no tokens.
const DROPPED = ['\u0001', '\u0002', '\u0003', '\u0008', '\u000e', '\u001f', '\u007f',
                 ' ', '\t', '\n', '\r', '\u000c', '\u000b'];

function words(next, count) {
  const out = [];
  for (let i = 0; i < count; ++i) out.push(WORDS[Math.floor(next() * WORDS.length)]);
  return out;
}

// `count` texts: most of 10 to 200 words, every eighth of 1,500 to 2,200
// words (over a 1,024-token limit, so truncation decides what is read).
function validTexts(count, seed) {
  const next = random(seed);
  const texts = [];
  for (let i = 0; i < count; ++i) {
    const length = i % 8 === 7 ? 1500 + Math.floor(next() * 700) : 10 + Math.floor(next() * 190);
    texts.push(Buffer.from(words(next, length).join(' '), 'utf8'));
  }
  return texts;
}

// Texts with control characters between their words (valid UTF-8).
function controlTexts(count, seed) {
  const next = random(seed);
  const texts = [];
  for (let i = 0; i < count; ++i) {
    const parts = words(next, 5 + Math.floor(next() * 40));
    for (let k = 0; k < parts.length; k += 2) {
      parts[k] += CONTROLS[Math.floor(next() * CONTROLS.length)];
    }
    texts.push(Buffer.from(parts.join(' '), 'utf8'));
  }
  return texts;
}

// Texts of only dropped control characters and whitespace: no tokens.
function droppedOnlyTexts(count, seed) {
  const next = random(seed);
  const texts = [];
  for (let i = 0; i < count; ++i) {
    let text = '';
    const length = 1 + Math.floor(next() * 64);
    for (let k = 0; k < length; ++k) text += DROPPED[Math.floor(next() * DROPPED.length)];
    texts.push(Buffer.from(text, 'utf8'));
  }
  return texts;
}

// Byte sequences that are not UTF-8, each starting at its first bad byte.
const BAD_UTF8 = [
  [0x80], [0xbf], [0xff], [0xfe], [0xc0, 0xaf], [0xc1, 0xbf], [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf0, 0x80, 0x80, 0xaf], [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80], [0xc3, 0x28], [0xe2, 0x28, 0xa1], [0xe2, 0x82],
].map((bytes) => Buffer.from(bytes));

// A text that is valid UTF-8 up to byte `offset`, where a bad sequence
// starts; returns {bytes, offset}. A sequence cut short (such as E2 82) is
// put at the very end, where it is incomplete.
function badUtf8Text(next, index) {
  const bad = BAD_UTF8[index % BAD_UTF8.length];
  const head = Buffer.from(words(next, Math.floor(next() * 30)).join(' '), 'utf8');
  const incomplete = bad.length === 2 && bad[0] === 0xe2;
  const tail = incomplete ? Buffer.alloc(0) :
                            Buffer.from(` ${words(next, Math.floor(next() * 10)).join(' ')}`);
  return {bytes: Buffer.concat([head, bad, tail]), offset: head.length};
}

// `count` token-id documents of ids in [0, vocab): lengths of 1 to 300,
// every eighth 1,100 to 1,500 (over a 1,024-token limit); the first holds
// both ends of the vocabulary.
function validIds(count, vocab, seed) {
  const next = random(seed);
  const documents = [];
  for (let i = 0; i < count; ++i) {
    const length = i % 8 === 7 ? 1100 + Math.floor(next() * 400) : 1 + Math.floor(next() * 300);
    const ids = [];
    for (let k = 0; k < length; ++k) ids.push(Math.floor(next() * vocab));
    if (i === 0) ids.push(0, vocab - 1);
    documents.push(ids);
  }
  return documents;
}

// Ids outside [0, vocab), one of which is put into an otherwise valid list.
function badIds(vocab) {
  return [-1, -2, -2147483648, vocab, vocab + 1, 2147483647];
}

module.exports = {
  random, validTexts, controlTexts, droppedOnlyTexts, badUtf8Text, validIds, badIds, words,
};
