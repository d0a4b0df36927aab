#include "server/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace wersa::server {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// Parses `args` (after the program name) with `environment` as the process
// environment.
absl::StatusOr<ServerCommand> Parse(
    std::vector<std::string> args,
    const std::map<std::string, std::string>& environment = {}) {
  args.insert(args.begin(), "wersa-server");
  std::vector<const char*> argv;
  argv.reserve(args.size());
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  return ParseServerCommand(
      static_cast<int>(argv.size()), argv.data(),
      [&environment](const char* name) -> const char* {
        const auto found = environment.find(name);
        return found == environment.end() ? nullptr : found->second.c_str();
      });
}

TEST(ServerConfigTest, DefaultsWithoutFlagsOrEnvironment) {
  const absl::StatusOr<ServerCommand> command = Parse({});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_FALSE(command->usage.has_value());
  const ServerConfig defaults;
  EXPECT_EQ(command->config.port, defaults.port);
  EXPECT_EQ(command->config.max_batch_delay, defaults.max_batch_delay);
  EXPECT_EQ(command->config.keepalive_permit_without_calls,
            defaults.keepalive_permit_without_calls);
}

TEST(ServerConfigTest, HelpIsUsageNotAnError) {
  const absl::StatusOr<ServerCommand> command = Parse({"--help"});
  ASSERT_TRUE(command.ok()) << command.status();
  ASSERT_TRUE(command->usage.has_value());
  EXPECT_THAT(*command->usage,
              AllOf(HasSubstr("--max_batch_delay"),
                    HasSubstr("WERSA_MAX_BATCH_DELAY"), HasSubstr("--help")));
}

TEST(ServerConfigTest, FlagWinsOverEnvironmentWhichWinsOverDefault) {
  const absl::StatusOr<ServerCommand> command =
      Parse({"--port=6000", "--max_batch_delay", "20ms"},
            {{"WERSA_PORT", "7000"},
             {"WERSA_MAX_BATCH_SIZE", "12"},
             {"WERSA_KEEPALIVE_PERMIT_WITHOUT_CALLS", "true"}});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->config.port, 6000);
  EXPECT_EQ(command->config.max_batch_delay, absl::Milliseconds(20));
  EXPECT_EQ(command->config.max_batch_size, 12);
  EXPECT_TRUE(command->config.keepalive_permit_without_calls);
}

struct BadValue {
  std::vector<std::string> args;
  std::map<std::string, std::string> environment;
  std::string message;  // a part of the expected error
};

class ServerConfigBadValueTest : public testing::TestWithParam<BadValue> {};

TEST_P(ServerConfigBadValueTest, IsInvalidArgumentNamingTheFlag) {
  const absl::StatusOr<ServerCommand> command =
      Parse(GetParam().args, GetParam().environment);
  EXPECT_EQ(command.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(command.status().message(), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Values, ServerConfigBadValueTest,
    testing::Values(
        BadValue{{"--max_batch_delay=soon"},
                 {},
                 "--max_batch_delay must be a duration"},
        BadValue{
            {"--drain_timeout=-1s"}, {}, "--drain_timeout must be a duration"},
        BadValue{{"--keepalive_permit_without_calls=yes"},
                 {},
                 "must be true or false, got 'yes'"},
        BadValue{{"--port=http"},
                 {},
                 "--port must be an integer in [0, 65535], got 'http'"},
        BadValue{
            {"--port=70000"}, {}, "--port must be an integer in [0, 65535]"},
        BadValue{{"--max_batch_size=1.5"},
                 {},
                 "--max_batch_size must be an integer"},
        BadValue{{"--truncation=middle"}, {}, "middle"},
        BadValue{{"--log_level=loud"}, {}, "loud"},
        BadValue{{"--model_dir="}, {}, "--model_dir must not be empty"},
        BadValue{
            {},
            {{"WERSA_MAX_BATCH_DELAY", "later"}},
            "in WERSA_MAX_BATCH_DELAY: --max_batch_delay must be a duration"},
        BadValue{{},
                 {{"WERSA_THREADS", "many"}},
                 "in WERSA_THREADS: --threads must be an integer"}));

TEST(ServerConfigTest, UnknownFlagIsAnError) {
  const absl::StatusOr<ServerCommand> command = Parse({"--max_batch_sise=4"});
  EXPECT_EQ(command.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(command.status().message(), HasSubstr("max_batch_sise"));
}

}  // namespace
}  // namespace wersa::server
