#include "tests/model/test_bundle.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <stdexcept>

namespace wersa::testing_support {
namespace {

const char* const kSyllables[] = {"ka", "lo", "mi", "ne", "ru", "ta",
                                  "vo", "zi", "pe", "su", "do", "fa",
                                  "gu", "hi", "jo", "be"};

std::string Word(std::mt19937& rng, int syllables) {
  std::string word;
  std::uniform_int_distribution<int> pick(0, 15);
  for (int i = 0; i < syllables; ++i) word += kSyllables[pick(rng)];
  return word;
}

}  // namespace

std::vector<std::string> GeneratedDocuments(int count, int topics,
                                            int words_per_document,
                                            uint32_t seed) {
  // The topics' vocabularies are the same for every seed, so documents drawn
  // with different seeds share their topics.
  std::mt19937 vocabulary_rng(0);
  std::vector<std::vector<std::string>> topic_words(topics + 1);
  for (auto& words : topic_words) {
    for (int i = 0; i < 40; ++i) {
      words.push_back(Word(vocabulary_rng, 2 + i % 3));
    }
  }
  std::mt19937 rng(seed);
  std::vector<std::string> documents;
  for (int d = 0; d < count; ++d) {
    const auto& own = topic_words[d % topics];
    const auto& common = topic_words[topics];
    std::uniform_int_distribution<int> which(0, 39);
    std::bernoulli_distribution topical(0.6);
    std::string text;
    for (int w = 0; w < words_per_document; ++w) {
      text += (topical(rng) ? own : common)[which(rng)];
      text += (w % 12 == 11) ? ".\n" : " ";
    }
    documents.push_back(text);
  }
  return documents;
}

const Tokenizer& SmallTokenizer() {
  static const Tokenizer tokenizer = [] {
    const std::vector<std::string> documents =
        GeneratedDocuments(60, 4, 300, 1);
    size_t next = 0;
    TokenizerTrainingOptions options;
    options.vocab_size = 300;
    absl::StatusOr<Tokenizer> trained =
        TrainTokenizer(options, [&](std::string* text) {
          if (next == documents.size()) return false;
          *text = documents[next++];
          return true;
        });
    if (!trained.ok()) {
      throw std::runtime_error(std::string(trained.status().message()));
    }
    return *std::move(trained);
  }();
  return tokenizer;
}

ModelConfig SmallConfig() {
  ModelConfig config;
  config.name = "test-classifier";
  config.version = "test-1";
  config.vocab_size = SmallTokenizer().vocab_size();
  config.d_model = 32;
  config.num_layers = 2;
  config.num_heads = 4;
  config.ffn_dim = 64;
  config.wavelet_levels = 3;
  config.random_features = 32;
  config.gate_kernel_size = 9;
  config.position_kernel_size = 7;
  config.max_tokens = 131072;
  config.num_labels = 4;
  return config;
}

ModelBundle RandomBundle(const ModelConfig& config, uint64_t seed) {
  torch::manual_seed(seed);
  std::vector<std::string> labels;
  for (int64_t i = 0; i < config.num_labels; ++i) {
    labels.push_back("topic-" + std::to_string(i));
  }
  absl::StatusOr<Tokenizer> tokenizer =
      Tokenizer::FromSerialized(SmallTokenizer().model_proto());
  if (!tokenizer.ok()) {
    throw std::runtime_error(std::string(tokenizer.status().message()));
  }
  std::vector<Encoder> members;
  for (int64_t m = 0; m < config.ensemble_members; ++m) {
    Encoder encoder(config);
    encoder->eval();
    members.push_back(std::move(encoder));
  }
  return ModelBundle{config, labels, *std::move(tokenizer), std::move(members),
                     std::nullopt};
}

std::unique_ptr<Predictor> RandomPredictor(const ModelConfig& config,
                                           uint64_t seed) {
  absl::StatusOr<std::unique_ptr<Predictor>> predictor =
      Predictor::Create(RandomBundle(config, seed), PredictorOptions{1, "cpu"});
  if (!predictor.ok()) {
    ADD_FAILURE() << predictor.status();
    return nullptr;
  }
  return *std::move(predictor);
}

std::vector<int32_t> RandomTokenIds(int64_t length, int64_t vocab,
                                    uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(vocab - 1));
  std::vector<int32_t> ids(static_cast<size_t>(length));
  for (int32_t& value : ids) value = id(rng);
  return ids;
}

std::string TemporaryDirectory(const std::string& name) {
  const ::testing::TestInfo* test =
      ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) /
      (std::string(test->test_suite_name()) + "." + test->name() + "." + name +
       "." + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

void ExpectSameWeights(const Encoder& actual, const Encoder& expected) {
  const auto expected_parameters = expected->named_parameters();
  for (const auto& item : actual->named_parameters()) {
    const torch::Tensor* want = expected_parameters.find(item.key());
    if (want == nullptr) {
      ADD_FAILURE() << item.key() << " is not among the expected parameters";
      continue;
    }
    EXPECT_TRUE(torch::equal(item.value(), *want)) << item.key();
  }
}

}  // namespace wersa::testing_support
