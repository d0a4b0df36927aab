// wersa-client: classifies files, globs or standard input with a running
// wersa-server and prints each document's labels, or JSON lines with --json.
// Exits non-zero if any document failed; the status is printed with it.
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "cli/command_line.h"
#include "client/classifier_client.h"
#include "client/document_reader.h"

namespace wersa::client {
namespace {

using cli::CommandLine;
using cli::FlagSpec;

const std::vector<FlagSpec> kFlags = [] {
  std::vector<FlagSpec> flags = {
      {"target", "localhost:50051", "server address"},
      {"top_k", "0", "labels to print per document (0: all)"},
      {"truncation", "unspecified",
       "unspecified (the server's default), none, head, tail or head_tail"},
      {"json", "false", "print one JSON object per document"},
      {"deadline", "120s", "per-document deadline"},
      {"request_id", "",
       "request id sent with each document (its file name is appended)"},
      {"max_message_bytes", "8388608",
       "largest message; bigger documents are streamed"},
      {"chunk_bytes", "1048576", "chunk size when streaming"},
      {"stream", "false", "always use ClassifyStream"},
      {"info", "false", "print the server's model information and exit"},
  };
  for (FlagSpec& flag : TlsFlags()) flags.push_back(std::move(flag));
  flags.push_back({"help", "false", "show this help"});
  return flags;
}();

absl::StatusOr<v1::Truncation> ParseTruncationFlag(const std::string& name) {
  v1::Truncation value;
  const std::string proto_name =
      name == "unspecified" ? "TRUNCATION_UNSPECIFIED"
                            : "TRUNCATION_" + absl::AsciiStrToUpper(name);
  if (!v1::Truncation_Parse(proto_name, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--truncation must be unspecified, none, head, tail or "
                     "head_tail, got '",
                     name, "'"));
  }
  return value;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

int Run(const CommandLine& flags) {
  absl::StatusOr<int64_t> top_k = flags.Int("top_k");
  absl::StatusOr<int64_t> max_message = flags.Int("max_message_bytes");
  absl::StatusOr<int64_t> chunk = flags.Int("chunk_bytes");
  absl::StatusOr<bool> json = flags.Bool("json");
  absl::StatusOr<bool> stream = flags.Bool("stream");
  absl::StatusOr<bool> info = flags.Bool("info");
  absl::StatusOr<v1::Truncation> truncation =
      ParseTruncationFlag(flags.String("truncation"));
  absl::Duration deadline;
  for (const absl::Status& status :
       {top_k.status(), max_message.status(), chunk.status(), json.status(),
        stream.status(), info.status(), truncation.status()}) {
    if (!status.ok()) {
      std::fprintf(stderr, "wersa-client: %s\n",
                   std::string(status.message()).c_str());
      return 2;
    }
  }
  if (!absl::ParseDuration(flags.String("deadline"), &deadline) || *top_k < 0) {
    std::fprintf(stderr, "wersa-client: bad --deadline or --top_k\n");
    return 2;
  }

  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      TlsCredentials(flags);
  if (!credentials.ok()) {
    std::fprintf(stderr, "wersa-client: %s\n",
                 std::string(credentials.status().message()).c_str());
    return 2;
  }
  ChannelOptions channel;
  channel.target = flags.String("target");
  channel.max_message_bytes = static_cast<int>(*max_message);
  channel.credentials = *std::move(credentials);
  ClassifierClient client(MakeChannel(channel));

  if (*info) {
    v1::ModelInfo model;
    const grpc::Status status = client.GetModelInfo(deadline, &model);
    if (!status.ok()) {
      std::fprintf(stderr, "wersa-client: GetModelInfo: %s: %s\n",
                   CodeName(status.error_code()).c_str(),
                   status.error_message().c_str());
      return 1;
    }
    std::printf("%s\n", ToJson(model).c_str());
    return 0;
  }

  if (flags.positional().empty()) {
    std::fprintf(
        stderr,
        "wersa-client: name files, globs or - (standard input); see --help\n");
    return 2;
  }
  absl::StatusOr<std::vector<InputDocument>> documents =
      ReadInputs(flags.positional());
  if (!documents.ok()) {
    std::fprintf(stderr, "wersa-client: %s\n",
                 std::string(documents.status().message()).c_str());
    return 1;
  }

  ClassifyOptions options;
  options.truncation = *truncation;
  options.top_k = static_cast<uint32_t>(*top_k);
  options.deadline = deadline;
  options.chunk_bytes = *chunk;
  options.stream_above_bytes = *stream ? -1 : *max_message - (64 << 10);
  int failures = 0;
  for (const InputDocument& document : *documents) {
    options.request_id =
        flags.String("request_id").empty()
            ? ""
            : absl::StrCat(flags.String("request_id"), ":", document.name);
    v1::ClassifyResponse response;
    const grpc::Status status =
        client.Classify(document.text, options, &response);
    failures += status.ok() ? 0 : 1;
    if (*json) {
      nlohmann::json line = {{"file", document.name},
                             {"status",
                              {{"code", CodeName(status.error_code())},
                               {"message", status.error_message()}}}};
      if (status.ok())
        line["response"] = nlohmann::json::parse(ToJson(response));
      std::printf("%s\n", line.dump().c_str());
      continue;
    }
    if (!status.ok()) {
      std::printf("%s: %s: %s\n", document.name.c_str(),
                  CodeName(status.error_code()).c_str(),
                  status.error_message().c_str());
      continue;
    }
    std::string labels;
    for (const v1::LabelScore& label : response.labels()) {
      absl::StrAppend(&labels, labels.empty() ? "" : ", ", label.label(),
                      absl::StrFormat(" %.4f", label.score()));
    }
    const v1::Timing& timing = response.timing();
    std::printf(
        "%s: %s\n  %d tokens%s, batch of %d, %.1f ms (queue %.1f, tokenize "
        "%.1f, "
        "inference %.1f), model %s\n",
        document.name.c_str(), labels.c_str(), response.num_tokens(),
        response.truncated()
            ? absl::StrCat(" (truncated from ", response.original_tokens(), ")")
                  .c_str()
            : "",
        response.batch_size(), timing.total_us() / 1e3, timing.queue_us() / 1e3,
        timing.tokenize_us() / 1e3, timing.inference_us() / 1e3,
        response.model_version().c_str());
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace wersa::client

int main(int argc, char** argv) {
  using wersa::cli::CommandLine;
  absl::StatusOr<CommandLine> flags = CommandLine::Parse(
      argc, argv, wersa::client::kFlags, /*allow_positional=*/true);
  if (!flags.ok()) {
    std::fprintf(stderr, "wersa-client: %s\n",
                 std::string(flags.status().message()).c_str());
    return 2;
  }
  if (flags->Has("help")) {
    std::printf("%s",
                CommandLine::Usage("wersa-client [flags] FILE|GLOB|- ...",
                                   "Classifies documents with a wersa-server.",
                                   wersa::client::kFlags)
                    .c_str());
    return 0;
  }
  return wersa::client::Run(*flags);
}
