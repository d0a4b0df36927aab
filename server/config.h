#ifndef WERSA_SERVER_CONFIG_H_
#define WERSA_SERVER_CONFIG_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "model/tokenizer.h"
#include "server/logger.h"

namespace wersa::server {

// Everything wersa-server can be told. Each flag --name has the environment
// equivalent WERSA_NAME (upper case); a flag wins over the environment.
struct ServerConfig {
  std::string host = "0.0.0.0";
  int port = 50051;  // 0: any free port (printed in the "listening" log line)
  // HTTP /metrics, /healthz, /readyz on `host`. 0: any free port (printed in
  // the "metrics_listening" log line); -1: no HTTP endpoint at all.
  int metrics_port = 9090;
  std::string model_dir = "models/arxiv-archive-11";
  std::string device = "cpu";
  // Intra-op threads for inference, and threads that tokenize; 0: one per CPU.
  int threads = 0;
  int64_t max_tokens = 0;  // per document; 0: the model's own limit
  Truncation default_truncation = Truncation::kHead;
  int64_t max_queue_tokens = int64_t{1} << 20;
  // Bytes of documents waiting for tokenization or being tokenized.
  int64_t max_tokenize_queue_bytes = int64_t{256} << 20;
  int64_t max_batch_tokens = 131072;
  int max_batch_size = 32;
  absl::Duration max_batch_delay = absl::Milliseconds(5);
  int max_message_bytes = 8 << 20;
  // Streams (calls) one HTTP/2 connection may have open at once; a client's
  // further calls wait in its own transport until one finishes.
  int max_concurrent_streams = 100;
  // The server's own pings (a peer that does not answer within
  // keepalive_timeout is dropped), and what it accepts from clients: pings
  // closer together than keepalive_min_ping_interval while it sends nothing are
  // strikes; past max_ping_strikes (0: no limit) the connection gets GOAWAY
  // "too_many_pings" and is closed.
  absl::Duration keepalive_time = absl::Hours(2);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  absl::Duration keepalive_min_ping_interval = absl::Minutes(5);
  bool keepalive_permit_without_calls = false;
  int max_ping_strikes = 2;
  int64_t max_stream_bytes = int64_t{16} << 20;
  int max_batch_documents = 64;
  absl::Duration drain_timeout = absl::Seconds(30);
  // How often an idle server returns freed heap memory to the system; 0: never.
  absl::Duration memory_trim_interval = absl::Seconds(1);
  LogLevel log_level = LogLevel::kInfo;
  // PEM files; no certificate chain: plain text. A client CA: mutual TLS.
  std::string tls_cert_chain;
  std::string tls_private_key;
  std::string tls_client_ca;
};

// What a command line asks of the server: to serve with `config`, or, for
// --help, to print `usage` and exit.
struct ServerCommand {
  ServerConfig config;
  std::optional<std::string> usage;
};

// Parses argv and the environment (through `getenv`, for tests): a flag wins
// over its WERSA_* variable, which wins over the default. A bad value, in
// either, is INVALID_ARGUMENT naming the flag.
absl::StatusOr<ServerCommand> ParseServerCommand(
    int argc, const char* const* argv,
    const std::function<const char*(const char*)>& getenv);

}  // namespace wersa::server

#endif  // WERSA_SERVER_CONFIG_H_
