// wersa-load: a load generator for wersa-server.
//
// Closed loop (--concurrency N: N requests always in flight) or open loop
// (--rate R: Poisson arrivals at R requests/s, each request's latency counted
// from its intended send time, so a slow server cannot hide its tail by
// delaying the sender: no coordinated omission). Inputs: random token ids of
// a fixed length (--tokens), lengths drawn from a file (--length_file), or
// the text files of a folder (--documents), joined to about --tokens tokens
// each when given (long inputs up to 131,072 tokens). Several targets are
// used round robin, one channel each; or, with --lb_policy, one channel
// balances over every address its target resolves to, as a production client
// would (a dead backend leaves gRPC's pick set, where it stays in ours).
// Reports throughput, latency percentiles, status codes and the server-side
// breakdown from the responses; --json for machines, --request_log for every
// request.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cli/command_line.h"
#include "cli/progress_line.h"
#include "client/classifier_client.h"
#include "client/load_inputs.h"
#include "client/load_stats.h"

namespace wersa::client {
namespace {

using cli::CommandLine;
using cli::FlagSpec;

const std::vector<FlagSpec> kFlags = [] {
  std::vector<FlagSpec> flags = {
      {"target", "localhost:50051",
       "server address; several, comma-separated, are used round robin (one "
       "channel each); with --lb_policy, one gRPC target such as "
       "ipv4:127.0.0.1:50051,127.0.0.1:50052 or dns:///name:50051"},
      {"lb_policy", "",
       "gRPC load-balancing policy (round_robin) of one channel to --target; "
       "per-target counts are then by the peer that took each request"},
      {"concurrency", "1", "closed loop: requests kept in flight"},
      {"rate", "0",
       "open loop: Poisson arrivals per second (overrides --concurrency)"},
      {"duration", "30s", "how long to measure (after the warm-up)"},
      {"requests", "0", "measure this many requests instead of a duration"},
      {"warmup", "2s", "load before measuring, not counted"},
      {"tokens", "4096",
       "tokens per request (random ids), or per joined document with "
       "--documents"},
      {"length_file", "", "token counts, one per line: lengths drawn from it"},
      {"documents", "",
       "folder of text files to send (joined to about --tokens tokens; "
       "--tokens 0 sends each file as it is)"},
      {"truncation", "head", "for text inputs: none, head, tail or head_tail"},
      {"inputs", "64", "distinct requests prepared before the run"},
      {"deadline", "300s", "per-request deadline"},
      {"max_in_flight", "4096",
       "open loop: at most this many outstanding requests"},
      {"max_message_bytes", "67108864", "client message size limit"},
      {"seed", "1", "seed for inputs and arrivals"},
      {"json", "false", "print the report as JSON"},
      {"request_log", "",
       "write one JSON line per request (send and completion times, target, "
       "code, message) to this file"},
  };
  for (FlagSpec& flag : TlsFlags()) flags.push_back(std::move(flag));
  flags.push_back({"help", "false", "show this help"});
  return flags;
}();

struct Target {
  std::string address;
  std::unique_ptr<v1::DocumentClassifier::Stub> stub;
  // The channel balances over several backends: the address is not where a
  // request went, the call's peer is.
  bool balanced = false;
};

// Issues requests with gRPC's callback API and records their outcomes.
class Load {
 public:
  Load(std::vector<Target>& targets, const Inputs& inputs,
       absl::Duration deadline, absl::Time measure_from)
      : targets_(targets),
        inputs_(inputs),
        deadline_(deadline),
        measure_from_(measure_from) {}

  // Sends one request meant to leave at `intended`; `then` runs after it
  // completes (on a gRPC thread).
  void Issue(absl::Time intended, std::function<void()> then) {
    struct Call {
      grpc::ClientContext context;
      v1::ClassifyResponse response;
    };
    auto call = std::make_shared<Call>();
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
    Target& target = targets_[next_target_.fetch_add(1) % targets_.size()];
    in_flight_.fetch_add(1);
    target.stub->async()->Classify(
        &call->context, &inputs_[next_input_.fetch_add(1) % inputs_.size()],
        &call->response,
        [this, call, intended, &target,
         then = std::move(then)](grpc::Status status) {
          const absl::Time done = absl::Now();
          {
            LoadStats::Sample sample;
            sample.measured = intended >= measure_from_;
            sample.completed = done;
            sample.latency = done - intended;
            sample.code = static_cast<int>(status.error_code());
            sample.message = status.error_message();
            sample.target =
                target.balanced ? call->context.peer() : target.address;
            if (status.ok()) {
              const v1::Timing& timing = call->response.timing();
              sample.tokens = call->response.num_tokens();
              sample.queue = absl::Microseconds(timing.queue_us());
              sample.tokenize = absl::Microseconds(timing.tokenize_us());
              sample.inference = absl::Microseconds(timing.inference_us());
              sample.batch_size = call->response.batch_size();
            }
            stats_.Record(sample);
            if (sample.measured)
              last_completion_.store(absl::ToUnixNanos(done));
          }
          // The chain's next request starts before this one stops counting
          // as in flight: the main thread takes no call in flight for the
          // end of the run and then destroys what this callback uses, so the
          // count drops last, under the lock that WaitForAll takes.
          if (then) then();
          const std::lock_guard<std::mutex> lock(mutex_);
          in_flight_.fetch_sub(1);
          slot_free_.notify_all();
        });
  }

  void WaitForSlot(int64_t max_in_flight) {
    std::unique_lock<std::mutex> lock(mutex_);
    slot_free_.wait(lock, [&] { return in_flight_.load() < max_in_flight; });
  }
  void WaitForAll() {
    std::unique_lock<std::mutex> lock(mutex_);
    slot_free_.wait(lock, [&] { return in_flight_.load() == 0; });
  }

  LoadStats& stats() { return stats_; }
  int64_t in_flight() const { return in_flight_.load(); }
  absl::Time last_completion() const {
    return absl::FromUnixNanos(last_completion_.load());
  }

 private:
  std::vector<Target>& targets_;
  const Inputs& inputs_;
  std::atomic<uint64_t> next_input_{0};
  const absl::Duration deadline_;
  const absl::Time measure_from_;
  LoadStats stats_;
  std::atomic<uint64_t> next_target_{0};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> last_completion_{0};
  std::mutex mutex_;
  std::condition_variable slot_free_;
};

absl::StatusOr<int64_t> VocabularySize(Target& target) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  v1::ModelInfo info;
  const grpc::Status status =
      target.stub->GetModelInfo(&context, v1::GetModelInfoRequest(), &info);
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "GetModelInfo on ", target.address, ": ", status.error_message()));
  }
  return info.vocab_size();
}

// Bytes per token of the documents' text as the server tokenizes it.
absl::StatusOr<double> MeasureBytesPerToken(Target& target,
                                            const std::string& folder) {
  absl::StatusOr<std::vector<std::string>> texts = ReadFolder(folder);
  if (!texts.ok()) return texts.status();
  v1::ClassifyRequest request;
  request.set_text(texts->front());
  request.set_truncation(v1::TRUNCATION_HEAD);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  v1::ClassifyResponse response;
  const grpc::Status status =
      target.stub->Classify(&context, request, &response);
  if (!status.ok() || response.original_tokens() == 0) {
    return absl::UnavailableError(
        absl::StrCat("measuring tokens per byte: ", status.error_message()));
  }
  return static_cast<double>(texts->front().size()) /
         response.original_tokens();
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "wersa-load: %s\n",
               std::string(status.message()).c_str());
  return 1;
}

int Run(const CommandLine& flags) {
  std::map<std::string, int64_t> ints;
  for (const char* name : {"concurrency", "requests", "tokens", "inputs",
                           "max_in_flight", "max_message_bytes", "seed"}) {
    absl::StatusOr<int64_t> value = flags.Int(name);
    if (!value.ok()) return Fail(value.status());
    ints[name] = *value;
  }
  absl::StatusOr<double> rate = flags.Double("rate");
  absl::StatusOr<bool> json = flags.Bool("json");
  if (!rate.ok()) return Fail(rate.status());
  if (!json.ok()) return Fail(json.status());
  absl::Duration duration, warmup, deadline;
  if (!absl::ParseDuration(flags.String("duration"), &duration) ||
      !absl::ParseDuration(flags.String("warmup"), &warmup) ||
      !absl::ParseDuration(flags.String("deadline"), &deadline)) {
    return Fail(absl::InvalidArgumentError(
        "--duration, --warmup and --deadline are durations such as 30s"));
  }
  if (ints["concurrency"] < 1 && *rate <= 0) {
    return Fail(absl::InvalidArgumentError(
        "--concurrency must be >= 1, or give --rate"));
  }

  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      TlsCredentials(flags);
  if (!credentials.ok()) return Fail(credentials.status());
  std::vector<Target> targets;
  const std::string& lb_policy = flags.String("lb_policy");
  std::vector<std::string> addresses = {flags.String("target")};
  if (lb_policy.empty()) {
    addresses = absl::StrSplit(flags.String("target"), ',', absl::SkipEmpty());
  }
  for (const std::string& address : addresses) {
    ChannelOptions options;
    options.target = address;
    options.max_message_bytes = static_cast<int>(ints["max_message_bytes"]);
    options.lb_policy = lb_policy;
    options.credentials = *credentials;
    targets.push_back({address,
                       v1::DocumentClassifier::NewStub(MakeChannel(options)),
                       !lb_policy.empty()});
  }
  if (targets.empty() || targets.front().address.empty()) {
    return Fail(absl::InvalidArgumentError("no --target"));
  }

  absl::StatusOr<Inputs> inputs = absl::InvalidArgumentError("no inputs");
  const int count = static_cast<int>(ints["inputs"]);
  const auto seed = static_cast<uint64_t>(ints["seed"]);
  if (!flags.String("documents").empty()) {
    double bytes_per_token = 0;
    if (ints["tokens"] > 0) {
      absl::StatusOr<double> measured =
          MeasureBytesPerToken(targets.front(), flags.String("documents"));
      if (!measured.ok()) return Fail(measured.status());
      bytes_per_token = *measured;
    }
    inputs = DocumentInputs(flags.String("documents"), ints["tokens"],
                            bytes_per_token, count, seed);
    if (inputs.ok()) {
      v1::Truncation truncation;
      if (!v1::Truncation_Parse(
              "TRUNCATION_" + absl::AsciiStrToUpper(flags.String("truncation")),
              &truncation)) {
        return Fail(absl::InvalidArgumentError(
            "--truncation must be none, head, tail or head_tail"));
      }
      for (v1::ClassifyRequest& request : *inputs)
        request.set_truncation(truncation);
    }
  } else {
    absl::StatusOr<int64_t> vocab = VocabularySize(targets.front());
    if (!vocab.ok()) return Fail(vocab.status());
    inputs = flags.String("length_file").empty()
                 ? FixedLengthInputs(ints["tokens"], *vocab, count, seed)
                 : LengthFileInputs(flags.String("length_file"), *vocab, count,
                                    seed);
  }
  if (!inputs.ok()) return Fail(inputs.status());

  const absl::Time start = absl::Now();
  const absl::Time measure_from = start + warmup;
  const int64_t measured_requests = ints["requests"];
  const absl::Time stop_at =
      measured_requests > 0 ? absl::InfiniteFuture() : measure_from + duration;
  Load load(targets, *inputs, deadline, measure_from);
  std::atomic<int64_t> issued_measured{0};
  // Whether another request should start at `when`.
  const auto wanted = [&](absl::Time when) {
    if (when >= stop_at) return false;
    if (measured_requests > 0 && when >= measure_from) {
      return issued_measured.fetch_add(1) < measured_requests;
    }
    return true;
  };

  std::atomic<bool> finished{false};
  std::thread progress_thread([&] {
    if (isatty(STDERR_FILENO) == 0) return;
    cli::ProgressLine progress(std::chrono::seconds(1));
    while (!finished.load()) {
      absl::SleepFor(absl::Milliseconds(500));
      const absl::Duration elapsed = absl::Now() - start;
      progress.Update(absl::StrFormat(
          "%s %.0fs: %d done (%d OK), %d in flight",
          absl::Now() < measure_from ? "warm-up" : "measuring",
          absl::ToDoubleSeconds(elapsed), load.stats().completed(),
          load.stats().ok(), load.in_flight()));
    }
    progress.Print("");
  });

  if (*rate > 0) {
    std::mt19937_64 rng(seed);
    std::exponential_distribution<double> gap(*rate);
    absl::Time intended = start;
    while (wanted(intended)) {
      const absl::Time now = absl::Now();
      if (intended > now) absl::SleepFor(intended - now);
      load.WaitForSlot(ints["max_in_flight"]);
      load.Issue(intended, nullptr);
      intended += absl::Seconds(gap(rng));
    }
  } else {
    // Each chain keeps one request in flight: the next starts when the
    // previous one completes.
    std::function<void()> chain = [&] {
      const absl::Time now = absl::Now();
      if (wanted(now)) load.Issue(now, chain);
    };
    for (int64_t i = 0; i < ints["concurrency"]; ++i) chain();
    while (absl::Now() < stop_at && load.in_flight() > 0)
      absl::SleepFor(absl::Milliseconds(20));
  }
  load.WaitForAll();
  finished.store(true);
  progress_thread.join();

  // A timed run's throughput is what completed inside its window; a counted
  // run's window ends with its last request.
  const absl::Time end =
      measured_requests > 0
          ? std::max(load.last_completion() + absl::Nanoseconds(1),
                     measure_from)
          : stop_at;
  const LoadStats::Report report = load.stats().Finish(measure_from, end);
  if (const std::string& path = flags.String("request_log"); !path.empty()) {
    std::ofstream log(path);
    log << load.stats().RequestLog();
    if (!log.flush()) {
      return Fail(absl::UnavailableError(absl::StrCat("cannot write ", path)));
    }
  }
  if (*json) {
    nlohmann::json out = ToJson(report);
    out["mode"] = *rate > 0 ? "open" : "closed";
    out["rate"] = *rate;
    out["concurrency"] = ints["concurrency"];
    out["targets"] = flags.String("target");
    out["lb_policy"] = lb_policy;
    out["command"] = flags.invocation();
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf(
        "%s loop, %s\n%s", *rate > 0 ? "open" : "closed",
        *rate > 0
            ? absl::StrFormat("%.2f req/s offered", *rate).c_str()
            : absl::StrFormat("concurrency %d", ints["concurrency"]).c_str(),
        FormatReport(report).c_str());
  }
  return report.requests > 0 && report.ok == report.requests ? 0 : 1;
}

}  // namespace
}  // namespace wersa::client

int main(int argc, char** argv) {
  using wersa::cli::CommandLine;
  absl::StatusOr<CommandLine> flags =
      CommandLine::Parse(argc, argv, wersa::client::kFlags);
  if (!flags.ok()) {
    std::fprintf(stderr, "wersa-load: %s\n",
                 std::string(flags.status().message()).c_str());
    return 2;
  }
  if (flags->Has("help")) {
    std::printf("%s", CommandLine::Usage("wersa-load",
                                         "Load generator for wersa-server.",
                                         wersa::client::kFlags)
                          .c_str());
    return 0;
  }
  return wersa::client::Run(*flags);
}
