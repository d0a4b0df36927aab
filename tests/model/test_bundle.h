#ifndef WERSA_TESTS_MODEL_TEST_BUNDLE_H_
#define WERSA_TESTS_MODEL_TEST_BUNDLE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/bundle.h"
#include "model/model_config.h"
#include "model/predictor.h"
#include "model/tokenizer.h"

namespace wersa::testing_support {

// Deterministic pseudo-English documents: document i draws most of its words
// from the vocabulary of topic i % topics (the same vocabularies for every
// seed), the rest from a shared one, so a classifier has something to learn.
std::vector<std::string> GeneratedDocuments(int count, int topics,
                                            int words_per_document,
                                            uint32_t seed);

// A small SentencePiece model trained on GeneratedDocuments (cached per
// process).
const Tokenizer& SmallTokenizer();

// A small untrained encoder config whose vocabulary matches SmallTokenizer().
ModelConfig SmallConfig();

// A complete bundle with freshly initialised weights (seeded), one encoder
// per config.ensemble_members.
ModelBundle RandomBundle(const ModelConfig& config, uint64_t seed);

// A one-thread CPU predictor over RandomBundle(config, seed); null, with a
// test failure, if it cannot be made.
std::unique_ptr<Predictor> RandomPredictor(const ModelConfig& config,
                                           uint64_t seed);

// `length` token ids drawn uniformly from [0, vocab) (seeded).
std::vector<int32_t> RandomTokenIds(int64_t length, int64_t vocab,
                                    uint32_t seed);

// Every parameter of `actual` equals, bit for bit, the one of the same name
// in `expected` (a test failure names each that does not).
void ExpectSameWeights(const Encoder& actual, const Encoder& expected);

// A fresh empty directory under the test's temporary directory.
std::string TemporaryDirectory(const std::string& name);

}  // namespace wersa::testing_support

#endif  // WERSA_TESTS_MODEL_TEST_BUNDLE_H_
