#include "client/classifier_client.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace wersa::client {
namespace {

// A backend that only answers GetModelInfo, with its own name.
class NamedBackend final : public v1::DocumentClassifier::Service {
 public:
  explicit NamedBackend(std::string name) : name_(std::move(name)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~NamedBackend() override { Stop(); }

  grpc::Status GetModelInfo(grpc::ServerContext* /*context*/,
                            const v1::GetModelInfoRequest* /*request*/,
                            v1::ModelInfo* info) override {
    info->set_name(name_);
    return grpc::Status::OK;
  }

  void Stop() {
    if (server_ == nullptr) return;
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
    server_.reset();
  }
  int port() const { return port_; }

 private:
  const std::string name_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

class LoadBalancingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(a_.port(), 0);
    ASSERT_NE(b_.port(), 0);
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& lb_policy) {
    ChannelOptions options;
    options.target =
        absl::StrCat("ipv4:127.0.0.1:", a_.port(), ",127.0.0.1:", b_.port());
    options.lb_policy = lb_policy;
    return MakeChannel(options);
  }

  // The backend's name, or the error.
  static std::string Ask(ClassifierClient& client) {
    v1::ModelInfo info;
    const grpc::Status status = client.GetModelInfo(absl::Seconds(5), &info);
    return status.ok() ? info.name() : "error: " + status.error_message();
  }

  // Asks until both backends have answered (round_robin starts picking as
  // soon as one connection is up), bounded.
  static bool BothAnswered(ClassifierClient& client) {
    bool a = false, b = false;
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!(a && b) && absl::Now() < deadline) {
      const std::string name = Ask(client);
      a |= name == "a";
      b |= name == "b";
    }
    return a && b;
  }

  NamedBackend a_{"a"}, b_{"b"};
};

TEST_F(LoadBalancingTest, RoundRobinAlternatesBackends) {
  ClassifierClient client(Channel("round_robin"));
  ASSERT_TRUE(BothAnswered(client));
  std::map<std::string, int> answers;
  for (int i = 0; i < 20; ++i) ++answers[Ask(client)];
  EXPECT_EQ(answers["a"], 10);
  EXPECT_EQ(answers["b"], 10);
}

// Without a policy gRPC picks the first address that connects and stays on
// it: what the option exists to change.
TEST_F(LoadBalancingTest, WithoutPolicyOneBackendTakesEverything) {
  ClassifierClient client(Channel(""));
  std::map<std::string, int> answers;
  for (int i = 0; i < 20; ++i) ++answers[Ask(client)];
  EXPECT_EQ(answers.size(), 1u) << answers.begin()->first;
  EXPECT_EQ(answers.begin()->second, 20);
}

// A stopped backend leaves the pick set: after its connection closes, every
// request goes to the one left.
TEST_F(LoadBalancingTest, RoundRobinDropsAStoppedBackend) {
  ClassifierClient client(Channel("round_robin"));
  ASSERT_TRUE(BothAnswered(client));
  b_.Stop();
  // The picker changes when the client sees the connection close; until
  // then a request may still be picked for b and fail. Bounded.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  int in_a_row = 0;
  while (in_a_row < 20 && absl::Now() < deadline) {
    in_a_row = Ask(client) == "a" ? in_a_row + 1 : 0;
  }
  EXPECT_EQ(in_a_row, 20);
}

}  // namespace
}  // namespace wersa::client
