// The shipped bundle's known answers through the running server: each
// CC-licensed part C document of tests/data/unarxive sent as text to a real
// wersa-server on models/arxiv-archive-11, and every label's score compared
// with the one recorded when the bundle shipped (known_answers.jsonl; the
// Predictor-level twin is tests/model/known_answers_test.cc). The server's
// own tokenization, truncation policy, label order and score path are all
// on the way.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "tests/server/server_process.h"
#include "wersa/v1/classifier.grpc.pb.h"

namespace wersa {
namespace {

using testing_support::ServerProcess;

constexpr double kTolerance = 1e-4;

std::vector<nlohmann::json> ReadLines(const std::string& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

TEST(KnownAnswersServerTest, ServerGivesTheRecordedScores) {
  const std::vector<nlohmann::json> documents =
      ReadLines(WERSA_UNARXIVE_DIR "/documents.jsonl");
  const std::vector<nlohmann::json> answers =
      ReadLines(WERSA_UNARXIVE_DIR "/known_answers.jsonl");
  ASSERT_EQ(documents.size(), answers.size());
  ASSERT_FALSE(documents.empty());

  ServerProcess server(WERSA_SERVER_BINARY,
                       {"--model_dir", WERSA_SHIPPED_MODEL, "--threads", "2"});
  ASSERT_TRUE(server.started()) << absl::StrJoin(server.Lines(), "\n");
  grpc::ChannelArguments arguments;
  arguments.SetMaxSendMessageSize(16 << 20);
  const auto stub = v1::DocumentClassifier::NewStub(grpc::CreateCustomChannel(
      server.target(), grpc::InsecureChannelCredentials(), arguments));

  for (size_t d = 0; d < documents.size(); ++d) {
    const std::string id = documents[d].at("id").get<std::string>();
    ASSERT_EQ(answers[d].at("id").get<std::string>(), id);
    v1::ClassifyRequest request;
    request.set_text(documents[d].at("text").get<std::string>());
    request.set_request_id(id);
    v1::ClassifyResponse response;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
    const grpc::Status status = stub->Classify(&context, request, &response);
    ASSERT_TRUE(status.ok()) << id << ": " << status.error_message();
    EXPECT_FALSE(response.truncated()) << id;
    EXPECT_EQ(response.num_tokens(), answers[d].at("tokens").get<int>()) << id;
    const auto expected =
        answers[d].at("scores").get<std::map<std::string, double>>();
    ASSERT_EQ(static_cast<size_t>(response.labels_size()), expected.size());
    // Labels come sorted by score: the first is the recorded top label.
    std::string top;
    double top_score = -1.0;
    for (const auto& [label, score] : expected) {
      if (score > top_score) {
        top = label;
        top_score = score;
      }
    }
    EXPECT_EQ(response.labels(0).label(), top) << id;
    for (const v1::LabelScore& label : response.labels()) {
      EXPECT_NEAR(label.score(), expected.at(label.label()), kTolerance)
          << id << " " << label.label();
    }
  }
}

}  // namespace
}  // namespace wersa
