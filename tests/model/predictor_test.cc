#include "model/predictor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <numeric>
#include <optional>
#include <vector>

#include "model/device_memory.h"
#include "tests/model/test_bundle.h"

namespace wersa {
namespace {

using testing::HasSubstr;
using testing_support::RandomBundle;
using testing_support::RandomTokenIds;
using testing_support::SmallConfig;

std::unique_ptr<Predictor> MakePredictor(const ModelConfig& config) {
  return testing_support::RandomPredictor(config, 31);
}

TEST(PredictorTest, SingleLabelScoresAreADistribution) {
  std::unique_ptr<Predictor> predictor = MakePredictor(SmallConfig());
  const auto scores =
      predictor->Predict({RandomTokenIds(50, SmallConfig().vocab_size, 1)});
  ASSERT_TRUE(scores.ok()) << scores.status();
  ASSERT_EQ(scores->size(), 1u);
  ASSERT_EQ((*scores)[0].size(), 4u);
  EXPECT_NEAR(std::accumulate((*scores)[0].begin(), (*scores)[0].end(), 0.0),
              1.0, 1e-5);
}

TEST(PredictorTest, MultiLabelScoresAreIndependentProbabilities) {
  ModelConfig config = SmallConfig();
  config.problem_type = ProblemType::kMultiLabel;
  std::unique_ptr<Predictor> predictor = MakePredictor(config);
  const auto scores =
      predictor->Predict({RandomTokenIds(50, config.vocab_size, 2)});
  ASSERT_TRUE(scores.ok()) << scores.status();
  double sum = 0.0;
  for (const float score : (*scores)[0]) {
    EXPECT_GT(score, 0.0f);
    EXPECT_LT(score, 1.0f);
    sum += score;
  }
  EXPECT_GT(std::abs(sum - 1.0), 1e-3) << "sigmoid scores need not sum to one";
}

// A document's scores alone and inside a padded batch of four documents of
// other lengths, for both attention kinds.
TEST(PredictorTest, ScoresDoNotDependOnTheBatch) {
  for (const AttentionKind attention :
       {AttentionKind::kWersa, AttentionKind::kExact}) {
    ModelConfig config = SmallConfig();
    config.attention = attention;
    std::unique_ptr<Predictor> predictor = MakePredictor(config);
    const std::vector<std::vector<int32_t>> documents = {
        RandomTokenIds(333, config.vocab_size, 3),
        RandomTokenIds(1000, config.vocab_size, 4),
        RandomTokenIds(7, config.vocab_size, 5),
        RandomTokenIds(129, config.vocab_size, 6)};
    const auto batched = predictor->Predict(documents);
    ASSERT_TRUE(batched.ok()) << batched.status();
    for (size_t i = 0; i < documents.size(); ++i) {
      const auto alone = predictor->Predict({documents[i]});
      ASSERT_TRUE(alone.ok());
      for (size_t j = 0; j < (*alone)[0].size(); ++j) {
        EXPECT_NEAR((*batched)[i][j], (*alone)[0][j], 1e-5)
            << AttentionKindName(attention) << " document " << i << " label "
            << j;
      }
    }
  }
}

TEST(PredictorTest, TokenOrderMatters) {
  std::unique_ptr<Predictor> predictor = MakePredictor(SmallConfig());
  std::vector<int32_t> ids = RandomTokenIds(200, SmallConfig().vocab_size, 7);
  const auto forward = predictor->Predict({ids});
  std::reverse(ids.begin(), ids.end());
  const auto reversed = predictor->Predict({ids});
  ASSERT_TRUE(forward.ok() && reversed.ok());
  double difference = 0.0;
  for (size_t j = 0; j < (*forward)[0].size(); ++j) {
    difference += std::abs((*forward)[0][j] - (*reversed)[0][j]);
  }
  EXPECT_GT(difference, 1e-4)
      << "the positional encoding should make order visible";
}

TEST(PredictorTest, RejectsInvalidDocuments) {
  ModelConfig config = SmallConfig();
  config.max_tokens = 64;
  std::unique_ptr<Predictor> predictor = MakePredictor(config);
  const auto good = RandomTokenIds(10, config.vocab_size, 8);

  absl::Status status = predictor->Predict({good, {}}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("document 1 has no tokens"));

  status = predictor->Predict({good, RandomTokenIds(65, config.vocab_size, 9)})
               .status();
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("document 1 has 65 tokens, over the limit of 64"));
  EXPECT_TRUE(
      predictor->Predict({RandomTokenIds(64, config.vocab_size, 9)}).ok());

  for (const int32_t bad : {-1, static_cast<int32_t>(config.vocab_size)}) {
    std::vector<int32_t> ids = good;
    ids[3] = bad;
    status = predictor->Predict({ids}).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()),
                HasSubstr("token id " + std::to_string(bad)));
  }
  EXPECT_TRUE(predictor->Predict({}).ok());
}

TEST(PredictorTest, DeviceAndThreadOptions) {
  EXPECT_EQ(Predictor::Create(RandomBundle(SmallConfig(), 1),
                              PredictorOptions{-1, "cpu"})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  const absl::Status bad_device =
      Predictor::Create(RandomBundle(SmallConfig(), 1),
                        PredictorOptions{1, "tpu:9"})
          .status();
  EXPECT_EQ(bad_device.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_device.message()), HasSubstr("tpu:9"));
  if (!torch::cuda::is_available()) {
    const absl::Status no_gpu =
        Predictor::Create(RandomBundle(SmallConfig(), 1),
                          PredictorOptions{1, "cuda:0"})
            .status();
    EXPECT_EQ(no_gpu.code(), absl::StatusCode::kFailedPrecondition);
  }
  absl::StatusOr<std::unique_ptr<Predictor>> two = Predictor::Create(
      RandomBundle(SmallConfig(), 1), PredictorOptions{2, "cpu"});
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(torch::get_num_threads(), 2);
  EXPECT_EQ((*two)->device(), "cpu");
  torch::set_num_threads(1);
}

// The model on a GPU scores as it does on the CPU, alone and batched, and the
// GPU's memory can be read. cuDNN's convolutions (the gate network, the
// positional encoding) use TF32 by default; the comparison turns that off so
// both sides compute in fp32.
TEST(PredictorTest, CudaScoresMatchCpu) {
  if (!torch::cuda::is_available()) {
    GTEST_SKIP() << "no CUDA device (torch::cuda::is_available() is false)";
  }
  const bool tf32 = at::globalContext().allowTF32CuDNN();
  at::globalContext().setAllowTF32CuDNN(false);
  const ModelConfig config = SmallConfig();
  absl::StatusOr<std::unique_ptr<Predictor>> cpu =
      Predictor::Create(RandomBundle(config, 31), PredictorOptions{1, "cpu"});
  absl::StatusOr<std::unique_ptr<Predictor>> gpu = Predictor::Create(
      RandomBundle(config, 31), PredictorOptions{1, "cuda:0"});
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  ASSERT_TRUE(gpu.ok()) << gpu.status();
  EXPECT_EQ((*gpu)->device(), "cuda:0");

  std::vector<std::vector<int32_t>> documents;
  for (const int64_t length : {1, 7, 1000, 4096 + 5, 131072}) {
    documents.push_back(RandomTokenIds(length, config.vocab_size,
                                       static_cast<uint32_t>(length)));
  }
  const auto batched = (*gpu)->Predict(documents);
  ASSERT_TRUE(batched.ok()) << batched.status();
  for (size_t i = 0; i < documents.size(); ++i) {
    const auto on_cpu = (*cpu)->Predict({documents[i]});
    const auto on_gpu = (*gpu)->Predict({documents[i]});
    ASSERT_TRUE(on_cpu.ok()) << on_cpu.status();
    ASSERT_TRUE(on_gpu.ok()) << on_gpu.status();
    for (size_t label = 0; label < (*on_cpu)[0].size(); ++label) {
      EXPECT_NEAR((*on_gpu)[0][label], (*on_cpu)[0][label], 1e-4)
          << "document of " << documents[i].size() << " tokens, label "
          << label;
      EXPECT_NEAR((*batched)[i][label], (*on_gpu)[0][label], 1e-5)
          << "document of " << documents[i].size()
          << " tokens batched with the others, label " << label;
    }
  }
  const std::optional<DeviceMemory> memory = ReadDeviceMemory("cuda:0");
  ASSERT_TRUE(memory.has_value());
  EXPECT_GT(memory->reserved_bytes, 0);
  EXPECT_GE(memory->reserved_bytes, memory->allocated_bytes);
  at::globalContext().setAllowTF32CuDNN(tf32);
}

}  // namespace
}  // namespace wersa
