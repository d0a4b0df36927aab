#ifndef WERSA_CLIENT_CLASSIFIER_CLIENT_H_
#define WERSA_CLIENT_CLASSIFIER_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/command_line.h"
#include "wersa/v1/classifier.grpc.pb.h"

namespace wersa::client {

struct ChannelOptions {
  // A gRPC target: "host:port", "dns:///name:port",
  // "ipv4:10.0.0.1:50051,10.0.0.2:50051", ...
  std::string target = "localhost:50051";
  int max_message_bytes = 8 << 20;
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::InsecureChannelCredentials();
  // gRPC load-balancing policy ("round_robin") over every address the target
  // resolves to, given as the channel's default service config; empty keeps
  // gRPC's pick_first, which sends everything to one address.
  std::string lb_policy;
};

// The TLS flags of every client program: --tls_ca, --tls_cert_chain and
// --tls_private_key (plain text when none is given).
std::vector<cli::FlagSpec> TlsFlags();
// Their credentials, with the files read and checked (tls/credentials.h).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> TlsCredentials(
    const cli::CommandLine& flags);

std::shared_ptr<grpc::Channel> MakeChannel(const ChannelOptions& options);

// "OK", "CANCELLED", ...: the name of a gRPC status code (its number when
// unknown).
std::string CodeName(int code);

struct ClassifyOptions {
  v1::Truncation truncation = v1::TRUNCATION_UNSPECIFIED;
  uint32_t top_k = 0;
  std::string request_id;
  absl::Duration deadline = absl::InfiniteDuration();
  // Documents larger than this go through ClassifyStream in chunks of
  // chunk_bytes; smaller ones through Classify.
  int64_t stream_above_bytes = (8 << 20) - (64 << 10);
  int64_t chunk_bytes = 1 << 20;
};

// A thin client for wersa.v1.DocumentClassifier that picks the RPC by size.
class ClassifierClient {
 public:
  explicit ClassifierClient(std::shared_ptr<grpc::Channel> channel);

  grpc::Status Classify(const std::string& text, const ClassifyOptions& options,
                        v1::ClassifyResponse* response);
  grpc::Status ClassifyStream(const std::string& text,
                              const ClassifyOptions& options,
                              v1::ClassifyResponse* response);
  grpc::Status GetModelInfo(absl::Duration deadline, v1::ModelInfo* info);

  v1::DocumentClassifier::Stub& stub() { return *stub_; }

 private:
  std::unique_ptr<v1::DocumentClassifier::Stub> stub_;
};

}  // namespace wersa::client

#endif  // WERSA_CLIENT_CLASSIFIER_CLIENT_H_
