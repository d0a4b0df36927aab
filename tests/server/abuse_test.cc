// The abuse test: an independent client (tests/interop/abuse_client.js, on
// @grpc/grpc-js and Node's http2, sending raw bytes) sends the real
// wersa-server, serving the shipped model, over ten thousand requests mixing
// valid and hostile input (the mix and its counts are in abuse/cases.js and
// docs/operations.md, "Abuse test"). The client checks every answer; this
// test asserts on its report and on the server process:
//   - every valid document gets the scores it gets from a single quiet
//     request (within 1e-5, every label) and every invalid one exactly the
//     status docs/api.md documents for it;
//   - the server answers every health check, gRPC and /healthz, from the
//     first request to the last, and 1,000 uploads can be open at once;
//   - its resident memory after the load, once settled, is within 10% of
//     what it was after the warm-up;
//   - it then drains every call and exits 0 on SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/sanitizers.h"
#include "tests/server/server_process.h"
#include "tests/subprocess.h"

namespace wersa {
namespace {

using testing_support::kThreadSanitizer;

// Every kind of input the brief of the test names, with the fewest of each a
// full run sends.
const std::map<std::string, int> kRequiredCases = {
    {"classify_text", 2000},
    {"classify_token_ids", 1000},
    {"classify_control_characters", 400},
    {"stream_valid", 400},
    {"batch_mixed", 300},
    {"batch_largest", 4},
    {"empty_text", 300},
    {"invalid_utf8", 1000},
    {"only_dropped_control_characters", 200},
    {"token_id_out_of_range", 800},
    {"message_10_mib", 20},
    {"stream_over_limit", 6},
    {"stream_at_limit_valid", 4},
    {"stream_at_limit_invalid_utf8", 4},
    {"stream_malformed_chunk", 100},
    {"deadline_already_past", 150},
    {"deadline_zero_sent_to_server", 100},
    {"cancel_mid_call", 300},
    {"cancel_mid_stream", 100},
    {"disconnect_mid_stream", 100},
    {"stream_never_ends_with_deadline", 20},
    {"stream_never_ends_no_deadline", 20},
    {"concurrent_streams", 1000},
};

std::string Describe(const nlohmann::json& entry) {
  return absl::StrCat(entry["sent"].get<int>(), " sent, codes ",
                      entry["codes"].dump(),
                      ", wrong: ", entry["examples"].dump());
}

TEST(AbuseTest, ServerSurvivesTenThousandValidAndHostileRequests) {
  // One inference thread and a 1,024-token limit keep the valid documents
  // cheap on a 2-core machine; the hostile ones are cheap to refuse.
  testing_support::ServerProcess server(
      WERSA_SERVER_BINARY, {"--model_dir", WERSA_SHIPPED_MODEL, "--threads",
                            "1", "--max_tokens", "1024"});
  ASSERT_TRUE(server.started()) << absl::StrJoin(server.Lines(), "\n");

  const testing_support::CommandResult run = testing_support::RunCommand(
      absl::StrCat("NODE_PATH=", WERSA_INTEROP_NODE_MODULES, " node ",
                   WERSA_NODE_CLIENT, " --target ", server.target(), " --pid ",
                   server.pid(), " --metrics_port ", server.metrics_port()));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // The report is the last line; progress lines (stderr) come before it.
  const size_t last_line = run.output.rfind('\n', run.output.size() - 2);
  const nlohmann::json report = nlohmann::json::parse(
      last_line == std::string::npos ? run.output
                                     : run.output.substr(last_line + 1));
  std::cout << "abuse client report: " << report.dump() << "\n";

  // Every answer as documented, in the warm-up and under the load.
  for (const char* phase : {"warmup", "load"}) {
    const nlohmann::json& cases = std::string(phase) == "load"
                                      ? report["load"]
                                      : report["warmup"]["cases"];
    for (const auto& [name, entry] : cases.items()) {
      EXPECT_EQ(entry["wrong"].get<int>(), 0)
          << phase << " " << name << ": " << Describe(entry);
      // A cancel that lost the race to the answer is an answer (checked
      // against the reference like any other); every other case has one
      // documented code.
      if (name != "cancel_mid_call") {
        EXPECT_EQ(entry["codes"].size(), 1U)
            << phase << " " << name << ": " << Describe(entry);
      }
    }
  }
  EXPECT_GT(report["references"]["truncated"].get<int>(), 0)
      << "documents over the token limit, read through every truncation";
  const nlohmann::json& load = report["load"];
  EXPECT_GE(report["requests"].get<int>(), 10000);
  for (const auto& [name, least] : kRequiredCases) {
    ASSERT_TRUE(load.contains(name)) << name;
    EXPECT_GE(load[name]["sent"].get<int>(), least) << name;
  }
  EXPECT_GE(report["most_in_flight"].get<int>(), 1000)
      << "1,000 uploads open at once, counted by the server";

  // Up throughout: every health check answered SERVING.
  const nlohmann::json& health = report["health"];
  EXPECT_GE(health["checks"].get<int>(), 100);
  EXPECT_EQ(health["serving"], health["checks"]) << health.dump();
  EXPECT_EQ(health["healthz_ok"], health["healthz"]) << health.dump();

  // No leak. The baseline is the RSS after the warm-up (a tenth of the mix,
  // its multi-megabyte calls and largest batches in full, and the 1,000
  // concurrent uploads), not after start: the first requests grow the heap
  // to its working size (the model's tensor-block cache, which holds at most
  // twice the largest batch's working set, gRPC's per-connection and
  // per-call buffers, glibc arenas per thread). Both readings are taken with
  // the client's connections closed, 3 s after its last request. Only
  // growth is a leak: memory returned below the baseline is not asserted
  // on. Measured (docs/operations.md, "Abuse test"): +0.3% to +2.1% with one
  // or three encoders; with glibc's own heap thresholds +4% to +15%, and
  // with the cache unbounded up to +13%.
  const nlohmann::json& rss = report["rss"];
  const double baseline = rss["after_warmup_kib"].get<double>();
  if (kThreadSanitizer) {
    // Its shadow memory counts in RSS and grows with every heap page the load
    // touches for the first time; the bound holds for the process alone,
    // which every other build checks.
    std::printf("RSS bound not checked under ThreadSanitizer: %s\n",
                rss.dump().c_str());
  } else {
    EXPECT_LE(rss["after_load_kib"].get<double>(), 1.10 * baseline)
        << rss.dump();
  }

  // Still the same healthy process: it drains everything and exits 0.
  EXPECT_EQ(server.Wait(absl::ZeroDuration()), -1) << "the server exited";
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(absl::Seconds(60)), 0);
  EXPECT_TRUE(server.WaitForLine(R"("drained":true)", absl::Seconds(1)))
      << absl::StrJoin(server.Lines(), "\n");
  for (const std::string& line : server.Lines()) {
    EXPECT_EQ(line.find(R"("code":"INTERNAL")"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace wersa
