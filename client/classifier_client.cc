#include "client/classifier_client.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tls/credentials.h"

namespace wersa::client {
namespace {

void ApplyDeadline(absl::Duration deadline, grpc::ClientContext* context) {
  if (deadline != absl::InfiniteDuration()) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  }
}

}  // namespace

std::shared_ptr<grpc::Channel> MakeChannel(const ChannelOptions& options) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(options.max_message_bytes);
  arguments.SetMaxSendMessageSize(options.max_message_bytes);
  if (!options.lb_policy.empty()) {
    // As the default service config, the form docs/operations.md gives
    // clients: a service config the resolver publishes still overrides it.
    arguments.SetServiceConfigJSON(absl::StrCat(
        R"({"loadBalancingConfig":[{")", options.lb_policy, R"(":{}}]})"));
  }
  return grpc::CreateCustomChannel(options.target, options.credentials,
                                   arguments);
}

std::vector<cli::FlagSpec> TlsFlags() {
  return {
      {"tls_ca", "",
       "PEM CA certificates to trust for the server's certificate; TLS when "
       "given (default: plain text)"},
      {"tls_cert_chain", "",
       "PEM client certificate chain, for servers that require one (mutual "
       "TLS); TLS when given"},
      {"tls_private_key", "", "PEM private key of --tls_cert_chain"},
  };
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> TlsCredentials(
    const cli::CommandLine& flags) {
  return tls::MakeChannelCredentials({flags.String("tls_ca"),
                                      flags.String("tls_cert_chain"),
                                      flags.String("tls_private_key")});
}

ClassifierClient::ClassifierClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::DocumentClassifier::NewStub(std::move(channel))) {}

grpc::Status ClassifierClient::Classify(const std::string& text,
                                        const ClassifyOptions& options,
                                        v1::ClassifyResponse* response) {
  if (static_cast<int64_t>(text.size()) > options.stream_above_bytes) {
    return ClassifyStream(text, options, response);
  }
  v1::ClassifyRequest request;
  request.set_text(text);
  request.set_truncation(options.truncation);
  request.set_top_k(options.top_k);
  request.set_request_id(options.request_id);
  grpc::ClientContext context;
  ApplyDeadline(options.deadline, &context);
  return stub_->Classify(&context, request, response);
}

grpc::Status ClassifierClient::ClassifyStream(const std::string& text,
                                              const ClassifyOptions& options,
                                              v1::ClassifyResponse* response) {
  grpc::ClientContext context;
  ApplyDeadline(options.deadline, &context);
  std::unique_ptr<grpc::ClientWriter<v1::DocumentChunk>> writer =
      stub_->ClassifyStream(&context, response);
  const auto chunk =
      static_cast<size_t>(std::max<int64_t>(1, options.chunk_bytes));
  size_t offset = 0;
  do {
    v1::DocumentChunk message;
    if (offset == 0) {
      message.mutable_options()->set_truncation(options.truncation);
      message.mutable_options()->set_top_k(options.top_k);
      message.mutable_options()->set_request_id(options.request_id);
    }
    message.set_text(text.substr(offset, chunk));
    offset += chunk;
    if (!writer->Write(message))
      break;  // the server ended the call; Finish says why
  } while (offset < text.size());
  writer->WritesDone();
  return writer->Finish();
}

grpc::Status ClassifierClient::GetModelInfo(absl::Duration deadline,
                                            v1::ModelInfo* info) {
  grpc::ClientContext context;
  ApplyDeadline(deadline, &context);
  return stub_->GetModelInfo(&context, v1::GetModelInfoRequest(), info);
}

std::string CodeName(int code) {
  // gRPC's status codes are Abseil's, number for number and name for name.
  const std::string name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? std::to_string(code) : name;
}

}  // namespace wersa::client
