// wersa-server: the gRPC document classification service. Flags and their
// WERSA_* environment equivalents: wersa-server --help.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "model/bundle.h"
#include "model/caching_host_allocator.h"
#include "model/cpu_kernels.h"
#include "model/device_memory.h"
#include "model/predictor.h"
#include "model/thread_count.h"
#include "server/batcher.h"
#include "server/classifier_service.h"
#include "server/config.h"
#include "server/document_preparer.h"
#include "server/heap_thresholds.h"
#include "server/idle_memory_trimmer.h"
#include "server/logger.h"
#include "server/metrics.h"
#include "server/metrics_http.h"
#include "tls/credentials.h"

namespace wersa::server {
namespace {

constexpr char kServiceName[] = "wersa.v1.DocumentClassifier";

// gRPC's integer milliseconds; INT_MAX, where longer ones end, is its
// "never".
int Milliseconds(absl::Duration duration) {
  return static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(duration), INT_MAX));
}

int Serve(const ServerConfig& config, const CpuKernelInfo& kernels,
          const CachingHostAllocator& host_allocator, const sigset_t& signals) {
  Logger logger(config.log_level);
  logger.Log(
      LogLevel::kInfo, "starting",
      {{"cpu_kernels", kernels.Describe()}, {"model_dir", config.model_dir}});

  // Certificates are checked before the model loads, which can take minutes.
  const tls::ServerFiles tls_files{
      config.tls_cert_chain, config.tls_private_key, config.tls_client_ca};
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      tls::MakeServerCredentials(tls_files);
  if (!credentials.ok()) {
    logger.Log(LogLevel::kError, "tls_failed",
               {{"message", std::string(credentials.status().message())}});
    return 1;
  }

  // The operations endpoint comes up first, so /healthz answers and /readyz
  // says 503 while the model loads; it goes down last.
  Metrics metrics;
  std::atomic<bool> ready{false};
  const auto set_ready = [&ready, &metrics](bool value) {
    ready.store(value);
    metrics.SetReady(value);
  };
  std::unique_ptr<MetricsHttpServer> metrics_http;
  if (config.metrics_port >= 0) {
    MetricsHttpServer::Handlers handlers;
    handlers.scrape = [&metrics] { return metrics.Scrape(); };
    handlers.ready = [&ready] { return ready.load(); };
    absl::StatusOr<std::unique_ptr<MetricsHttpServer>> http =
        MetricsHttpServer::Start(config.host, config.metrics_port,
                                 std::move(handlers));
    if (!http.ok()) {
      logger.Log(
          LogLevel::kError, "listen_failed",
          {{"address", absl::StrCat(config.host, ":", config.metrics_port)},
           {"message", std::string(http.status().message())}});
      return 1;
    }
    metrics_http = *std::move(http);
    logger.Log(
        LogLevel::kInfo, "metrics_listening",
        {{"address", absl::StrCat(config.host, ":", metrics_http->port())},
         {"port", metrics_http->port()},
         {"paths", {"/metrics", "/healthz", "/readyz"}}});
  }

  const absl::Time load_start = absl::Now();
  absl::StatusOr<ModelBundle> bundle = LoadBundle(config.model_dir);
  if (!bundle.ok()) {
    logger.Log(LogLevel::kError, "model_load_failed",
               {{"message", std::string(bundle.status().message())}});
    return 1;
  }
  const int64_t model_max_tokens = bundle->config.max_tokens;
  const int64_t max_tokens = config.max_tokens > 0
                                 ? std::min(config.max_tokens, model_max_tokens)
                                 : model_max_tokens;
  absl::StatusOr<std::unique_ptr<Predictor>> predictor = Predictor::Create(
      *std::move(bundle), PredictorOptions{config.threads, config.device});
  if (!predictor.ok()) {
    logger.Log(LogLevel::kError, "model_load_failed",
               {{"message", std::string(predictor.status().message())}});
    return 1;
  }
  BatcherOptions batcher_options;
  batcher_options.max_queue_tokens = config.max_queue_tokens;
  batcher_options.max_batch_tokens = config.max_batch_tokens;
  batcher_options.max_batch_size = config.max_batch_size;
  batcher_options.max_batch_delay = config.max_batch_delay;
  Batcher batcher(*std::move(predictor), batcher_options, logger, metrics);
  const ModelConfig& model = batcher.bundle().config;
  metrics.SetModelInfo(model.name, model.version, batcher.device());
  metrics.SetDeviceMemorySource(
      [device = batcher.device()] { return ReadDeviceMemory(device); });
  metrics.SetHostCacheSource(
      [&host_allocator] { return host_allocator.stats(); });
  logger.Log(LogLevel::kInfo, "model_loaded",
             {{"model", model.name},
              {"version", model.version},
              {"labels", batcher.bundle().labels.size()},
              {"max_tokens", max_tokens},
              {"device", batcher.device()},
              {"seconds", absl::ToDoubleSeconds(absl::Now() - load_start)}});

  const DocumentPreparer preparer(batcher.bundle().tokenizer, model.vocab_size,
                                  max_tokens, config.default_truncation);
  ServiceLimits limits;
  limits.max_stream_bytes = config.max_stream_bytes;
  limits.max_batch_documents = config.max_batch_documents;
  limits.max_message_bytes = config.max_message_bytes;
  limits.max_queue_tokens = config.max_queue_tokens;
  limits.max_tokenize_queue_bytes = config.max_tokenize_queue_bytes;
  limits.max_batch_tokens = config.max_batch_tokens;
  limits.max_batch_size = config.max_batch_size;
  // Documents are checked and tokenized on as many threads of the service's
  // own as inference gets (--threads).
  const int preparation_threads = ResolveThreadCount(config.threads);
  ServiceCore core(batcher, preparer, limits, logger, metrics,
                   preparation_threads);
  ClassifierService service(core);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(absl::StrCat(config.host, ":", config.port),
                           *credentials, &bound_port);
  builder.SetMaxReceiveMessageSize(config.max_message_bytes);
  builder.SetMaxSendMessageSize(config.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             config.max_concurrent_streams);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             Milliseconds(config.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             Milliseconds(config.keepalive_timeout));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS,
                             config.keepalive_permit_without_calls ? 1 : 0);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      Milliseconds(config.keepalive_min_ping_interval));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES,
                             config.max_ping_strikes);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    logger.Log(LogLevel::kError, "listen_failed",
               {{"address", absl::StrCat(config.host, ":", config.port)}});
    return 1;
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  health->SetServingStatus(true);
  health->SetServingStatus(kServiceName, true);
  set_ready(true);
  logger.Log(LogLevel::kInfo, "listening",
             {{"address", absl::StrCat(config.host, ":", bound_port)},
              {"port", bound_port},
              {"security", tls::ServerSecurity(tls_files)}});

  // Between bursts, the heap's free pages go back to the system.
  std::optional<IdleMemoryTrimmer> trimmer;
  if (config.memory_trim_interval > absl::ZeroDuration()) {
    trimmer.emplace(config.memory_trim_interval,
                    [&core, trimmed_after = uint64_t{0}]() mutable {
                      const std::optional<uint64_t> ended =
                          core.CallsEndedIfIdle();
                      if (!ended.has_value() || *ended == trimmed_after) {
                        return false;
                      }
                      trimmed_after = *ended;
                      return true;
                    });
  }

  int signal_number = 0;
  sigwait(&signals, &signal_number);

  // Drain: NOT_SERVING first so load balancers stop sending, then refuse new
  // calls, finish what is in flight within the drain timeout, and exit 0.
  const absl::Time drain_start = absl::Now();
  set_ready(false);
  health->SetServingStatus(kServiceName, false);
  health->SetServingStatus(false);
  // New calls are refused from here (ServiceCore::Admit); calls admitted
  // before still reach the batcher, which keeps accepting until they are
  // done, or a call whose tokenization straddles the signal would get
  // UNAVAILABLE after all.
  core.StartDraining();
  logger.Log(
      LogLevel::kInfo, "draining",
      {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"},
       {"timeout_seconds", absl::ToDoubleSeconds(config.drain_timeout)}});
  const bool finished = core.WaitForCalls(config.drain_timeout);
  batcher.StopAccepting();
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  logger.Log(LogLevel::kInfo, "stopped",
             {{"drained", finished},
              {"seconds", absl::ToDoubleSeconds(absl::Now() - drain_start)}});
  return 0;
}

}  // namespace
}  // namespace wersa::server

int main(int argc, char** argv) {
  const auto kernels = wersa::ConfigureCpuKernels(argv);
  if (!kernels.ok()) {
    std::fprintf(stderr, "wersa-server: %s\n",
                 std::string(kernels.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<wersa::server::ServerCommand> command =
      wersa::server::ParseServerCommand(
          argc, argv, [](const char* name) { return std::getenv(name); });
  if (!command.ok()) {
    std::fprintf(stderr, "wersa-server: %s\n",
                 std::string(command.status().message()).c_str());
    return 2;
  }
  if (command->usage.has_value()) {
    std::printf("%s", command->usage->c_str());
    return 0;
  }
  const wersa::server::ServerConfig& config = command->config;
  // Signals are taken by sigwait in main, never by a handler on some
  // arbitrary thread: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // Not fatal: the server works with glibc's own thresholds, only its
  // memory settles less predictably after bursts.
  if (const absl::Status heap = wersa::server::FixHeapThresholds(
          wersa::server::HeapThresholds{}, std::getenv("GLIBC_TUNABLES"));
      !heap.ok()) {
    std::fprintf(stderr, "wersa-server: warning: %s\n",
                 std::string(heap.message()).c_str());
  }
  const wersa::CachingHostAllocator host_allocator;
  return wersa::server::Serve(config, *kernels, host_allocator, signals);
}
