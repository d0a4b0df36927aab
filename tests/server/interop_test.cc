// Interoperability: an independent client (Node's @grpc/grpc-js, installed
// from npm by the test set-up) calls the real server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_join.h"
#include "model/bundle.h"
#include "tests/model/test_bundle.h"
#include "tests/server/server_process.h"
#include "tests/subprocess.h"

namespace wersa {
namespace {

TEST(InteropTest, NodeGrpcJsClientCallsClassifyModelInfoAndHealth) {
  const std::string bundle_dir = ::testing::TempDir() + "/interop_bundle";
  ASSERT_TRUE(SaveBundle(testing_support::RandomBundle(
                             testing_support::SmallConfig(), 3),
                         bundle_dir)
                  .ok());
  testing_support::ServerProcess server(
      WERSA_SERVER_BINARY, {"--model_dir", bundle_dir, "--threads", "1"});
  ASSERT_TRUE(server.started()) << absl::StrJoin(server.Lines(), "\n");

  const testing_support::CommandResult result = testing_support::RunCommand(
      std::string("NODE_PATH=") + WERSA_INTEROP_NODE_MODULES + " node " +
      WERSA_NODE_CLIENT + " " + server.target());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const nlohmann::json out = nlohmann::json::parse(result.output);
  EXPECT_EQ(out["classify"]["request_id"], "from-node");
  EXPECT_EQ(out["classify"]["labels"].size(), 2u);
  EXPECT_GT(out["classify"]["num_tokens"].get<int>(), 5);
  EXPECT_EQ(out["model_info"]["name"], "test-classifier");
  EXPECT_EQ(out["model_info"]["labels"].size(), 4u);
  EXPECT_EQ(out["model_info"]["problem_type"], "SINGLE_LABEL");
  EXPECT_EQ(out["health"], "SERVING");
  EXPECT_EQ(out["service_health"], "SERVING");
  EXPECT_EQ(out["invalid_utf8"]["code"], 3);  // INVALID_ARGUMENT
  EXPECT_THAT(out["invalid_utf8"]["details"].get<std::string>(),
              testing::HasSubstr("UTF-8"));
}

}  // namespace
}  // namespace wersa
