#include "server/config.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/command_line.h"

namespace wersa::server {
namespace {

using cli::CommandLine;
using cli::FlagSpec;

// Help texts, defaults and parsers in one table: --help, the environment
// names and the parsing cannot drift apart.
struct Option {
  FlagSpec flag;
  std::function<absl::Status(const std::string&, ServerConfig*)> apply;
};

absl::Status IntValue(const std::string& name, const std::string& text,
                      int64_t min, int64_t max, int64_t* out) {
  if (!absl::SimpleAtoi(text, out) || *out < min || *out > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be an integer in [", min, ", ", max,
                     "], got '", text, "'"));
  }
  return absl::OkStatus();
}

template <typename T>
Option IntOption(const char* name, const char* help, T ServerConfig::*member,
                 int64_t min, int64_t max) {
  const ServerConfig defaults;
  return {{name, std::to_string(defaults.*member), help},
          [=](const std::string& text, ServerConfig* config) {
            int64_t value = 0;
            if (absl::Status ok = IntValue(name, text, min, max, &value);
                !ok.ok()) {
              return ok;
            }
            config->*member = static_cast<T>(value);
            return absl::OkStatus();
          }};
}

Option DurationOption(const char* name, const char* help,
                      absl::Duration ServerConfig::*member) {
  const ServerConfig defaults;
  return {{name, absl::FormatDuration(defaults.*member), help},
          [=](const std::string& text, ServerConfig* config) {
            absl::Duration value;
            if (!absl::ParseDuration(text, &value) ||
                value < absl::ZeroDuration()) {
              return absl::InvalidArgumentError(absl::StrCat(
                  "--", name, " must be a duration such as 250ms or 30s, got '",
                  text, "'"));
            }
            config->*member = value;
            return absl::OkStatus();
          }};
}

Option StringOption(const char* name, const char* help,
                    std::string ServerConfig::*member) {
  const ServerConfig defaults;
  return {{name, defaults.*member, help},
          [=](const std::string& text, ServerConfig* config) {
            if (text.empty()) {
              return absl::InvalidArgumentError(
                  absl::StrCat("--", name, " must not be empty"));
            }
            config->*member = text;
            return absl::OkStatus();
          }};
}

// A PEM file's path; empty (the default) when not given.
Option FileOption(const char* name, const char* help,
                  std::string ServerConfig::*member) {
  return {{name, "", help}, [=](const std::string& text, ServerConfig* config) {
            config->*member = text;
            return absl::OkStatus();
          }};
}

Option BoolOption(const char* name, const char* help,
                  bool ServerConfig::*member) {
  const ServerConfig defaults;
  return {{name, defaults.*member ? "true" : "false", help},
          [=](const std::string& text, ServerConfig* config) {
            if (text != "true" && text != "false") {
              return absl::InvalidArgumentError(absl::StrCat(
                  "--", name, " must be true or false, got '", text, "'"));
            }
            config->*member = text == "true";
            return absl::OkStatus();
          }};
}

std::vector<Option> Options() {
  constexpr int64_t kMaxInt = 2147483647;
  return {
      StringOption("host", "address to listen on", &ServerConfig::host),
      IntOption("port", "gRPC port (0: any free port)", &ServerConfig::port, 0,
                65535),
      IntOption("metrics_port",
                "HTTP port of /metrics, /healthz and /readyz (0: any free "
                "port, -1: off)",
                &ServerConfig::metrics_port, -1, 65535),
      StringOption("model_dir", "model bundle directory",
                   &ServerConfig::model_dir),
      StringOption("device", "cpu or cuda:N", &ServerConfig::device),
      IntOption("threads",
                "inference threads, and as many that tokenize (0: one per CPU)",
                &ServerConfig::threads, 0, 1024),
      IntOption("max_tokens", "token limit per document (0: the model's)",
                &ServerConfig::max_tokens, 0, kMaxInt),
      {{"truncation", "head",
        "default truncation: none, head, tail or head_tail"},
       [](const std::string& text, ServerConfig* config) {
         absl::StatusOr<Truncation> truncation = ParseTruncation(text);
         if (!truncation.ok()) return truncation.status();
         config->default_truncation = *truncation;
         return absl::OkStatus();
       }},
      IntOption(
          "max_queue_tokens",
          "tokens admitted to the queue at once; past it, RESOURCE_EXHAUSTED",
          &ServerConfig::max_queue_tokens, 1, int64_t{1} << 40),
      IntOption("max_tokenize_queue_bytes",
                "bytes of documents waiting to be tokenized at once; past it, "
                "RESOURCE_EXHAUSTED",
                &ServerConfig::max_tokenize_queue_bytes, 1, int64_t{1} << 40),
      IntOption("max_batch_tokens", "padded tokens per batch",
                &ServerConfig::max_batch_tokens, 1, int64_t{1} << 40),
      IntOption("max_batch_size", "documents per batch",
                &ServerConfig::max_batch_size, 1, 4096),
      DurationOption("max_batch_delay",
                     "longest wait of a batch's oldest request for company",
                     &ServerConfig::max_batch_delay),
      IntOption("max_message_bytes", "largest gRPC message accepted",
                &ServerConfig::max_message_bytes, 1024, kMaxInt),
      IntOption("max_concurrent_streams",
                "calls open at once on one connection; more wait in the client",
                &ServerConfig::max_concurrent_streams, 1, kMaxInt),
      DurationOption(
          "keepalive_time",
          "how often the server pings a connection to find dead peers",
          &ServerConfig::keepalive_time),
      DurationOption("keepalive_timeout",
                     "how long a ping may go unanswered before the connection "
                     "is closed",
                     &ServerConfig::keepalive_timeout),
      DurationOption("keepalive_min_ping_interval",
                     "shortest gap between a client's pings while the server "
                     "sends nothing; a shorter one is a strike",
                     &ServerConfig::keepalive_min_ping_interval),
      BoolOption("keepalive_permit_without_calls",
                 "whether clients may ping without calls in flight (false: "
                 "each such ping after the first is a strike)",
                 &ServerConfig::keepalive_permit_without_calls),
      IntOption("max_ping_strikes",
                "strikes past which a connection gets GOAWAY too_many_pings "
                "and is closed (0: no limit)",
                &ServerConfig::max_ping_strikes, 0, kMaxInt),
      IntOption("max_stream_bytes",
                "largest document accepted by ClassifyStream",
                &ServerConfig::max_stream_bytes, 1, int64_t{1} << 40),
      IntOption("max_batch_documents", "documents per ClassifyBatch call",
                &ServerConfig::max_batch_documents, 1, 100000),
      DurationOption("drain_timeout",
                     "on SIGTERM, how long in-flight work may take to finish",
                     &ServerConfig::drain_timeout),
      DurationOption("memory_trim_interval",
                     "how often a server with no call in flight returns the "
                     "heap's free memory to the system (after it served "
                     "calls); 0s: never",
                     &ServerConfig::memory_trim_interval),
      {{"log_level", "info", "debug, info, warning or error"},
       [](const std::string& text, ServerConfig* config) {
         absl::StatusOr<LogLevel> level = ParseLogLevel(text);
         if (!level.ok()) return level.status();
         config->log_level = *level;
         return absl::OkStatus();
       }},
      FileOption("tls_cert_chain",
                 "PEM certificate chain of the server; TLS when given "
                 "(default: plain text)",
                 &ServerConfig::tls_cert_chain),
      FileOption("tls_private_key", "PEM private key of the certificate",
                 &ServerConfig::tls_private_key),
      FileOption("tls_client_ca",
                 "PEM CA certificates; mutual TLS when given: clients must "
                 "present a certificate they signed",
                 &ServerConfig::tls_client_ca),
  };
}

std::string EnvironmentName(const std::string& flag) {
  return "WERSA_" + absl::AsciiStrToUpper(flag);
}

}  // namespace

absl::StatusOr<ServerCommand> ParseServerCommand(
    int argc, const char* const* argv,
    const std::function<const char*(const char*)>& getenv) {
  const std::vector<Option> options = Options();
  std::vector<FlagSpec> specs;
  for (const Option& option : options) {
    FlagSpec spec = option.flag;
    spec.help += " [" + EnvironmentName(spec.name) + "]";
    specs.push_back(spec);
  }
  specs.push_back({"help", "false", "show this help"});
  absl::StatusOr<CommandLine> line = CommandLine::Parse(argc, argv, specs);
  if (!line.ok()) return line.status();
  ServerCommand command;
  if (line->Has("help")) {
    command.usage = CommandLine::Usage(
        "wersa-server", "Serves a WERSA document classifier over gRPC.", specs);
    return command;
  }
  ServerConfig& config = command.config;
  for (const Option& option : options) {
    const std::string& name = option.flag.name;
    std::string value = option.flag.default_value;
    // Where a bad value came from, for its message.
    std::string source;
    if (line->Has(name)) {
      value = line->String(name);
    } else if (const char* env = getenv(EnvironmentName(name).c_str());
               env != nullptr) {
      value = env;
      source = absl::StrCat("in ", EnvironmentName(name), ": ");
    }
    if (absl::Status applied = option.apply(value, &config); !applied.ok()) {
      return absl::Status(applied.code(),
                          absl::StrCat(source, applied.message()));
    }
  }
  return command;
}

}  // namespace wersa::server
