// The real wersa-server binary on a loopback port, driven through its public
// gRPC API: every RPC, every status code with its message, deadlines,
// cancellation, a 131,072-token upload, concurrency with batch invariance,
// health, a drain on SIGTERM with requests in flight, TLS and mutual TLS with
// certificates made by `openssl`, and the connection limits (streams per
// connection, ping policy).
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "model/bundle.h"
#include "tests/model/test_bundle.h"
#include "tests/server/exposition.h"
#include "tests/server/server_process.h"
#include "tests/subprocess.h"
#include "tls/credentials.h"
#include "wersa/v1/classifier.grpc.pb.h"

namespace wersa {
namespace {

using testing::HasSubstr;
using testing_support::ServerProcess;

std::string BundleDirectory() {
  static const std::string dir = [] {
    std::string path = ::testing::TempDir() + "/server_test_bundle." +
                       std::to_string(getpid());
    ModelConfig config = testing_support::SmallConfig();
    config.version = "test-7";
    ModelBundle bundle = testing_support::RandomBundle(config, 77);
    bundle.eval_json = R"({"validation": {"accuracy": 0.5}})";
    EXPECT_TRUE(SaveBundle(bundle, path).ok());
    return path;
  }();
  return dir;
}

// Text of about `words` words of the fixture language.
std::string Text(int words, uint32_t seed) {
  return testing_support::GeneratedDocuments(1, 4, words, seed).front();
}

// Two CAs and certificates made at test time: the server's and a client's
// signed by "ca", a stranger's (a client certificate) signed by "other-ca".
// Each file is <dir>/<name>.pem with its key in <dir>/<name>.key.
std::string CertificateDirectory() {
  static const std::string dir = [] {
    std::string path =
        ::testing::TempDir() + "/server_test_certs." + std::to_string(getpid());
    const testing_support::CommandResult made =
        testing_support::RunCommand(absl::StrCat(
            "{ set -e; mkdir -p '", path, "'; cd '", path, "'; ",
            R"(ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
            for ca in ca other-ca; do
              openssl req -x509 $ec -keyout $ca.key -out $ca.pem -days 2 \
                -subj /CN=wersa-test-$ca
            done
            printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > server.ext
            printf 'extendedKeyUsage=serverAuth\n' >> server.ext
            printf 'extendedKeyUsage=clientAuth\n' > client.ext
            leaf() {
              openssl req $ec -keyout $1.key -out $1.csr -subj /CN=$1
              openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key \
                -CAcreateserial -days 2 -extfile $3 -out $1.pem
            }
            leaf server ca server.ext
            leaf client ca client.ext
            leaf stranger other-ca client.ext; })"));
    EXPECT_EQ(made.exit_code, 0) << made.output;
    return path;
  }();
  return dir;
}

std::string Pem(const std::string& name) {
  return CertificateDirectory() + "/" + name + ".pem";
}
std::string Key(const std::string& name) {
  return CertificateDirectory() + "/" + name + ".key";
}

std::vector<std::string> TlsArguments() {
  return {"--tls_cert_chain", Pem("server"), "--tls_private_key",
          Key("server")};
}

// A stub on a connection of its own (no subchannel shared with other
// channels of the test), plain text or TLS as `files` say.
std::unique_ptr<v1::DocumentClassifier::Stub> OwnConnection(
    const std::string& target, const tls::ClientFiles& files = {},
    grpc::ChannelArguments arguments = {}) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      tls::MakeChannelCredentials(files);
  EXPECT_TRUE(credentials.ok()) << credentials.status();
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return v1::DocumentClassifier::NewStub(
      grpc::CreateCustomChannel(target, *credentials, arguments));
}

grpc::Status ClassifyOn(v1::DocumentClassifier::Stub& stub,
                        const std::string& text,
                        v1::ClassifyResponse* response) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  v1::ClassifyRequest request;
  request.set_text(text);
  return stub.Classify(&context, request, response);
}

std::vector<std::string> StartArguments(std::vector<std::string> extra = {}) {
  std::vector<std::string> arguments = {"--model_dir", BundleDirectory(),
                                        "--threads",   "1",
                                        "--log_level", "debug"};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return arguments;
}

class ServerTest : public testing::Test {
 protected:
  void Start(std::vector<std::string> extra = {}) {
    server_ = std::make_unique<ServerProcess>(WERSA_SERVER_BINARY,
                                              StartArguments(std::move(extra)));
    ASSERT_TRUE(server_->started()) << absl::StrJoin(server_->Lines(), "\n");
    grpc::ChannelArguments arguments;
    arguments.SetMaxReceiveMessageSize(64 << 20);
    arguments.SetMaxSendMessageSize(64 << 20);
    channel_ = grpc::CreateCustomChannel(
        server_->target(), grpc::InsecureChannelCredentials(), arguments);
    stub_ = v1::DocumentClassifier::NewStub(channel_);
  }

  grpc::Status Classify(const v1::ClassifyRequest& request,
                        v1::ClassifyResponse* response,
                        absl::Duration deadline = absl::Seconds(60)) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    return stub_->Classify(&context, request, response);
  }

  grpc::Status ClassifyText(
      const std::string& text, v1::ClassifyResponse* response,
      v1::Truncation truncation = v1::TRUNCATION_UNSPECIFIED) {
    v1::ClassifyRequest request;
    request.set_text(text);
    request.set_truncation(truncation);
    return Classify(request, response);
  }

  grpc::Status Stream(const std::vector<std::string>& chunks,
                      const v1::ClassifyOptions& options,
                      v1::ClassifyResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
    auto writer = stub_->ClassifyStream(&context, response);
    for (size_t i = 0; i < chunks.size(); ++i) {
      v1::DocumentChunk chunk;
      if (i == 0) *chunk.mutable_options() = options;
      chunk.set_text(chunks[i]);
      if (!writer->Write(chunk)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  grpc::health::v1::HealthCheckResponse::ServingStatus Health(
      const std::string& service) {
    auto health = grpc::health::v1::Health::NewStub(channel_);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    const grpc::Status status = health->Check(&context, request, &response);
    return status.ok() ? response.status()
                       : grpc::health::v1::HealthCheckResponse::UNKNOWN;
  }

  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::DocumentClassifier::Stub> stub_;
};

void ExpectStatus(const grpc::Status& status, grpc::StatusCode code,
                  const std::string& text) {
  EXPECT_EQ(status.error_code(), code) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr(text));
}

TEST_F(ServerTest, ClassifyReturnsEveryLabelSortedWithTimings) {
  ASSERT_NO_FATAL_FAILURE(Start());
  v1::ClassifyRequest request;
  request.set_text(Text(300, 1));
  request.set_request_id("req-1");
  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify(request, &response).ok());
  ASSERT_EQ(response.labels_size(), 4);
  double sum = 0.0;
  for (int i = 0; i < response.labels_size(); ++i) {
    sum += response.labels(i).score();
    if (i > 0) {
      EXPECT_GE(response.labels(i - 1).score(), response.labels(i).score());
    }
  }
  EXPECT_NEAR(sum, 1.0, 1e-5);
  EXPECT_GT(response.num_tokens(), 300);
  EXPECT_EQ(response.original_tokens(), response.num_tokens());
  EXPECT_FALSE(response.truncated());
  EXPECT_EQ(response.request_id(), "req-1");
  EXPECT_EQ(response.model_version(), "test-7");
  EXPECT_EQ(response.batch_size(), 1);
  EXPECT_GT(response.timing().inference_us(), 0);
  EXPECT_GT(response.timing().tokenize_us(), 0);
  EXPECT_GE(response.timing().total_us(),
            response.timing().queue_us() + response.timing().inference_us());

  request.set_top_k(2);
  v1::ClassifyResponse top;
  ASSERT_TRUE(Classify(request, &top).ok());
  ASSERT_EQ(top.labels_size(), 2);
  EXPECT_EQ(top.labels(0).label(), response.labels(0).label());
  EXPECT_FLOAT_EQ(top.labels(0).score(), response.labels(0).score());

  // The same document as token ids gives the same scores.
  absl::StatusOr<ModelBundle> bundle = LoadBundle(BundleDirectory());
  ASSERT_TRUE(bundle.ok());
  v1::ClassifyRequest by_ids;
  const absl::StatusOr<std::vector<int32_t>> ids =
      bundle->tokenizer.Encode(request.text());
  ASSERT_TRUE(ids.ok());
  for (const int32_t id : *ids) by_ids.mutable_token_ids()->add_ids(id);
  v1::ClassifyResponse from_ids;
  const grpc::Status ids_status = Classify(by_ids, &from_ids);
  ASSERT_TRUE(ids_status.ok()) << ids_status.error_message();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(from_ids.labels(i).label(), response.labels(i).label());
    EXPECT_NEAR(from_ids.labels(i).score(), response.labels(i).score(), 1e-6);
  }
}

// One JSON line per request with its id, method, code, token count and
// timings; the document's text never reaches a log line, whatever happens to
// the request.
TEST_F(ServerTest, RequestLogLinesCarryCountsAndTimingsButNeverText) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max_tokens", "400"}));
  const std::string secret = "zyxwvsecretword";
  v1::ClassifyRequest request;
  request.set_text(Text(100, 11) + " " + secret);
  request.set_request_id("log-ok");
  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify(request, &response).ok());
  request.set_text(secret + " " + Text(600, 12));
  request.set_truncation(v1::TRUNCATION_NONE);
  request.set_request_id("log-too-long");
  EXPECT_EQ(Classify(request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_text(secret + " \xff");
  request.set_request_id("log-bad-utf8");
  EXPECT_EQ(Classify(request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ClassifyOptions options;
  options.set_request_id("log-stream");
  ASSERT_TRUE(Stream({secret + " " + Text(50, 13)}, options, &response).ok());

  ASSERT_TRUE(
      server_->WaitForLine("\"request_id\":\"log-stream\"", absl::Seconds(10)));
  std::map<std::string, nlohmann::json> by_id;
  for (const std::string& line : server_->Lines()) {
    EXPECT_THAT(line, testing::Not(HasSubstr(secret)));
    const nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
    if (entry.is_discarded()) continue;  // a library's own message
    if (entry.value("event", "") == "request") {
      by_id[entry.value("request_id", "")] = entry;
    }
  }
  ASSERT_EQ(by_id.count("log-ok"), 1u);
  const nlohmann::json& ok = by_id["log-ok"];
  EXPECT_EQ(ok["method"], "Classify");
  EXPECT_EQ(ok["code"], "OK");
  EXPECT_EQ(ok["level"], "info");
  EXPECT_GT(ok["tokens"].get<int64_t>(), 100);
  EXPECT_EQ(ok["truncated"], false);
  EXPECT_EQ(ok["batch_size"], 1);
  for (const char* timing :
       {"tokenize_us", "queue_us", "inference_us", "total_us"}) {
    ASSERT_TRUE(ok.contains(timing)) << timing << " in " << ok.dump();
    EXPECT_GE(ok[timing].get<int64_t>(), 0) << timing;
  }
  EXPECT_GT(ok["inference_us"].get<int64_t>(), 0);
  EXPECT_GE(ok["total_us"].get<int64_t>(), ok["inference_us"].get<int64_t>());
  EXPECT_TRUE(ok.contains("time"));

  const nlohmann::json& too_long = by_id["log-too-long"];
  EXPECT_EQ(too_long["code"], "INVALID_ARGUMENT");
  EXPECT_THAT(too_long.value("message", ""),
              HasSubstr("over the limit of 400"));
  EXPECT_TRUE(too_long.contains("total_us"));
  EXPECT_FALSE(too_long.contains("inference_us")) << "it never ran";
  EXPECT_EQ(by_id["log-bad-utf8"]["code"], "INVALID_ARGUMENT");
  EXPECT_EQ(by_id["log-stream"]["method"], "ClassifyStream");
  EXPECT_EQ(by_id["log-stream"]["code"], "OK");
}

TEST_F(ServerTest, InvalidInputGetsInvalidArgument) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max_tokens", "500"}));
  v1::ClassifyResponse response;
  ExpectStatus(ClassifyText("", &response), grpc::StatusCode::INVALID_ARGUMENT,
               "document is empty");
  ExpectStatus(ClassifyText("kalo \xff mine", &response),
               grpc::StatusCode::INVALID_ARGUMENT,
               "not valid UTF-8 (at byte 5)");
  ExpectStatus(ClassifyText(Text(600, 2), &response, v1::TRUNCATION_NONE),
               grpc::StatusCode::INVALID_ARGUMENT, "over the limit of 500");
  v1::ClassifyRequest none;
  ExpectStatus(Classify(none, &response), grpc::StatusCode::INVALID_ARGUMENT,
               "set text or token_ids");
  v1::ClassifyRequest bad_option;
  bad_option.set_text("kalo mine");
  bad_option.set_truncation(static_cast<v1::Truncation>(99));
  ExpectStatus(Classify(bad_option, &response),
               grpc::StatusCode::INVALID_ARGUMENT,
               "unknown truncation value 99");
  v1::ClassifyRequest bad_ids;
  bad_ids.mutable_token_ids()->add_ids(3);
  bad_ids.mutable_token_ids()->add_ids(1000000);
  ExpectStatus(Classify(bad_ids, &response), grpc::StatusCode::INVALID_ARGUMENT,
               "token_ids[1] = 1000000 is outside the vocabulary");
  v1::ClassifyRequest no_ids;
  no_ids.mutable_token_ids();
  ExpectStatus(Classify(no_ids, &response), grpc::StatusCode::INVALID_ARGUMENT,
               "document is empty");

  // The limit holds for token ids as for text.
  v1::ClassifyRequest long_ids;
  for (int i = 0; i < 600; ++i) long_ids.mutable_token_ids()->add_ids(3);
  long_ids.set_truncation(v1::TRUNCATION_NONE);
  ExpectStatus(Classify(long_ids, &response),
               grpc::StatusCode::INVALID_ARGUMENT, "over the limit of 500");
  long_ids.set_truncation(v1::TRUNCATION_TAIL);
  ASSERT_TRUE(Classify(long_ids, &response).ok());
  EXPECT_EQ(response.num_tokens(), 500);
  EXPECT_EQ(response.original_tokens(), 600);

  // Truncation policies at the server's limit of 500 tokens.
  for (const auto policy :
       {v1::TRUNCATION_HEAD, v1::TRUNCATION_TAIL, v1::TRUNCATION_HEAD_TAIL,
        v1::TRUNCATION_UNSPECIFIED}) {
    ASSERT_TRUE(ClassifyText(Text(600, 2), &response, policy).ok());
    EXPECT_EQ(response.num_tokens(), 500);
    EXPECT_TRUE(response.truncated());
    EXPECT_GT(response.original_tokens(), 500);
  }
}

TEST_F(ServerTest, MessageTooLargeIsResourceExhausted) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max_message_bytes", "100000"}));
  v1::ClassifyResponse response;
  const grpc::Status status = ClassifyText(std::string(200000, 'a'), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status.error_message();
}

TEST_F(ServerTest, ClassifyBatchGivesEachDocumentItsOwnStatus) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max_batch_documents", "8"}));
  v1::ClassifyBatchRequest batch;
  batch.add_requests()->set_text(Text(100, 3));
  batch.add_requests()->set_text("");
  batch.add_requests()->set_text("ok \xc3");
  v1::ClassifyRequest* third = batch.add_requests();
  third->set_text(Text(50, 4));
  third->set_request_id("fourth");
  third->set_top_k(1);
  v1::ClassifyBatchResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->ClassifyBatch(&context, batch, &response).ok());
  ASSERT_EQ(response.results_size(), 4);
  EXPECT_EQ(response.results(0).status().code(), 0);
  EXPECT_EQ(response.results(0).response().labels_size(), 4);
  EXPECT_EQ(response.results(1).status().code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(response.results(1).status().message(), HasSubstr("empty"));
  EXPECT_EQ(response.results(2).status().code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(response.results(2).status().message(), HasSubstr("UTF-8"));
  EXPECT_EQ(response.results(3).response().request_id(), "fourth");
  EXPECT_EQ(response.results(3).response().labels_size(), 1);

  v1::ClassifyBatchRequest empty;
  grpc::ClientContext empty_context;
  ExpectStatus(stub_->ClassifyBatch(&empty_context, empty, &response),
               grpc::StatusCode::INVALID_ARGUMENT, "no documents");
  v1::ClassifyBatchRequest too_many;
  for (int i = 0; i < 9; ++i) too_many.add_requests()->set_text("kalo");
  grpc::ClientContext many_context;
  ExpectStatus(stub_->ClassifyBatch(&many_context, too_many, &response),
               grpc::StatusCode::RESOURCE_EXHAUSTED, "at most 8 per call");
}

TEST_F(ServerTest, ClassifyStreamReassemblesChunksAndHonoursLimits) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max_stream_bytes", "2000000"}));
  // A multi-byte character split between chunks must survive reassembly.
  const std::string text = Text(400, 5) + " caf\xc3\xa9 " + Text(100, 6);
  const size_t split = text.find("\xc3\xa9") + 1;
  std::vector<std::string> chunks = {text.substr(0, 1000),
                                     text.substr(1000, split - 1000),
                                     text.substr(split)};
  v1::ClassifyOptions options;
  options.set_request_id("streamed");
  options.set_top_k(3);
  v1::ClassifyResponse streamed;
  ASSERT_TRUE(Stream(chunks, options, &streamed).ok());
  EXPECT_EQ(streamed.request_id(), "streamed");
  EXPECT_EQ(streamed.labels_size(), 3);
  v1::ClassifyResponse whole;
  ASSERT_TRUE(ClassifyText(text, &whole).ok());
  EXPECT_EQ(streamed.num_tokens(), whole.num_tokens());
  EXPECT_NEAR(streamed.labels(0).score(), whole.labels(0).score(), 1e-6);

  v1::ClassifyResponse response;
  ExpectStatus(Stream({}, options, &response),
               grpc::StatusCode::INVALID_ARGUMENT, "no chunks");
  ExpectStatus(Stream({"abc\xf0\x9f"}, options, &response),
               grpc::StatusCode::INVALID_ARGUMENT, "UTF-8");
  ExpectStatus(Stream({std::string(1500000, 'a'), std::string(600000, 'b')},
                      options, &response),
               grpc::StatusCode::RESOURCE_EXHAUSTED, "passed 2000000 bytes");
}

// A chunk the server cannot parse (here one whose request_id is not UTF-8,
// which proto3 refuses) is refused as such, whether the client then
// half-closes or keeps the upload open; it must not end the upload as if it
// were complete, which would classify the chunks before it.
TEST_F(ServerTest, ClassifyStreamRefusesAChunkThatIsNotADocumentChunk) {
  ASSERT_NO_FATAL_FAILURE(Start());
  v1::DocumentChunk good;
  good.set_text(Text(50, 3));
  v1::DocumentChunk bad = good;
  bad.mutable_options()->set_request_id("\xc3\x28");
  for (const bool half_close : {true, false}) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    v1::ClassifyResponse response;
    auto writer = stub_->ClassifyStream(&context, &response);
    for (const v1::DocumentChunk* chunk : {&good, &bad}) writer->Write(*chunk);
    if (half_close) writer->WritesDone();
    ExpectStatus(writer->Finish(), grpc::StatusCode::INVALID_ARGUMENT,
                 "chunk 2 is not a valid wersa.v1.DocumentChunk message");
    EXPECT_EQ(response.labels_size(), 0) << "half_close " << half_close;
  }
}

TEST_F(ServerTest, StreamsA131072TokenDocument) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string text = Text(140000, 7);
  std::vector<std::string> chunks;
  for (size_t offset = 0; offset < text.size(); offset += 256 << 10) {
    chunks.push_back(text.substr(offset, 256 << 10));
  }
  v1::ClassifyOptions options;
  options.set_truncation(v1::TRUNCATION_HEAD);
  v1::ClassifyResponse response;
  ASSERT_TRUE(Stream(chunks, options, &response).ok());
  EXPECT_EQ(response.num_tokens(), 131072);
  EXPECT_TRUE(response.truncated());
  EXPECT_GT(response.original_tokens(), 131072);
  EXPECT_EQ(response.labels_size(), 4);

  options.set_truncation(v1::TRUNCATION_NONE);
  ExpectStatus(Stream(chunks, options, &response),
               grpc::StatusCode::INVALID_ARGUMENT, "over the limit of 131072");
}

TEST_F(ServerTest, GetModelInfoDescribesTheModelAndLimits) {
  ASSERT_NO_FATAL_FAILURE(
      Start({"--max_batch_documents", "16", "--truncation", "head_tail"}));
  v1::ModelInfo info;
  grpc::ClientContext context;
  ASSERT_TRUE(
      stub_->GetModelInfo(&context, v1::GetModelInfoRequest(), &info).ok());
  EXPECT_EQ(info.name(), "test-classifier");
  EXPECT_EQ(info.version(), "test-7");
  EXPECT_THAT(info.labels(),
              testing::ElementsAre("topic-0", "topic-1", "topic-2", "topic-3"));
  EXPECT_EQ(info.problem_type(), v1::SINGLE_LABEL);
  EXPECT_EQ(info.max_tokens(), 131072);
  EXPECT_EQ(info.attention().kind(), "wersa");
  EXPECT_EQ(info.attention().d_model(), 32);
  EXPECT_EQ(info.device(), "cpu");
  EXPECT_THAT(info.evaluation_json(), HasSubstr("accuracy"));
  EXPECT_EQ(info.limits().max_batch_documents(), 16);
  EXPECT_EQ(info.limits().default_truncation(), v1::TRUNCATION_HEAD_TAIL);
}

// Keeps the single worker busy with long documents on other threads, and
// returns once the server has queued all of them (request ids busy-0...), so
// what a test does next happens while they are queued or running.
std::vector<std::thread> Occupy(v1::DocumentClassifier::Stub& stub,
                                ServerProcess& server, int documents,
                                std::atomic<int>& ok_count) {
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(documents));
  for (int i = 0; i < documents; ++i) {
    threads.emplace_back([&stub, &ok_count, i] {
      v1::ClassifyRequest request;
      request.set_text(Text(90000, 100 + i));
      request.set_truncation(v1::TRUNCATION_HEAD);
      request.set_request_id(absl::StrCat("busy-", i));
      v1::ClassifyResponse response;
      grpc::ClientContext context;
      if (stub.Classify(&context, request, &response).ok()) ++ok_count;
    });
  }
  for (int i = 0; i < documents; ++i) {
    EXPECT_TRUE(server.WaitForLine(
        absl::StrCat(R"("event":"request_queued",)",
                     R"("level":"debug","method":"Classify",)",
                     R"("request_id":"busy-)", i, R"(")"),
        absl::Seconds(60)))
        << absl::StrJoin(server.Lines(), "\n");
  }
  return threads;
}

TEST_F(ServerTest, DeadlinePassedInQueueNeverRuns) {
  ASSERT_NO_FATAL_FAILURE(Start());
  std::atomic<int> ok_count{0};
  std::vector<std::thread> busy = Occupy(*stub_, *server_, 3, ok_count);
  v1::ClassifyRequest request;
  request.set_text(Text(50, 8));
  request.set_request_id("short-deadline");
  v1::ClassifyResponse response;
  ExpectStatus(Classify(request, &response, absl::Milliseconds(150)),
               grpc::StatusCode::DEADLINE_EXCEEDED, "");
  for (std::thread& thread : busy) thread.join();
  EXPECT_EQ(ok_count.load(), 3);
  EXPECT_TRUE(server_->WaitForLine(
      R"("event":"request_dropped","level":"debug","reason":"deadline","request_id":"short-deadline")",
      absl::Seconds(5)))
      << absl::StrJoin(server_->Lines(), "\n");
  for (const std::string& line : server_->Lines()) {
    if (line.find("short-deadline") != std::string::npos) {
      EXPECT_THAT(line, testing::Not(HasSubstr("\"batch_size\"")))
          << "it must not have run";
    }
  }
}

TEST_F(ServerTest, CancelledRequestIsDroppedBeforeItRuns) {
  ASSERT_NO_FATAL_FAILURE(Start());
  std::atomic<int> ok_count{0};
  std::vector<std::thread> busy = Occupy(*stub_, *server_, 3, ok_count);
  grpc::ClientContext context;
  v1::ClassifyRequest request;
  request.set_text(Text(50, 9));
  request.set_request_id("cancelled-one");
  v1::ClassifyResponse response;
  // Cancelled once it is queued behind the long documents.
  std::thread canceller([this, &context] {
    EXPECT_TRUE(server_->WaitForLine(
        R"("event":"request_queued","level":"debug","method":"Classify","request_id":"cancelled-one")",
        absl::Seconds(60)));
    context.TryCancel();
  });
  const grpc::Status status = stub_->Classify(&context, request, &response);
  canceller.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  for (std::thread& thread : busy) thread.join();
  EXPECT_TRUE(server_->WaitForLine(
      R"("reason":"cancelled","request_id":"cancelled-one")", absl::Seconds(5)))
      << absl::StrJoin(server_->Lines(), "\n");
}

TEST_F(ServerTest, FullQueueIsResourceExhausted) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max_queue_tokens", "3000"}));
  std::atomic<int> ok_count{0};
  std::vector<std::thread> busy = Occupy(*stub_, *server_, 1, ok_count);
  // Running (its batch was recorded before the model started): the queue is
  // empty again.
  EXPECT_TRUE(testing_support::AwaitSampleAtLeast(server_->metrics_port(),
                                                  "wersa_batch_size_count", 1));
  std::vector<std::thread> fillers;
  std::atomic<int> exhausted{0};
  std::string message;
  std::mutex message_mutex;
  fillers.reserve(6);
  for (int i = 0; i < 6; ++i) {
    fillers.emplace_back([&, i] {
      v1::ClassifyRequest request;
      request.set_text(Text(600, 20 + i));  // ~1,000 tokens each
      v1::ClassifyResponse response;
      grpc::ClientContext context;
      const grpc::Status status = stub_->Classify(&context, request, &response);
      if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ++exhausted;
        const std::lock_guard<std::mutex> lock(message_mutex);
        message = status.error_message();
      }
    });
  }
  for (std::thread& thread : fillers) thread.join();
  for (std::thread& thread : busy) thread.join();
  EXPECT_GE(exhausted.load(), 1);
  EXPECT_THAT(message, HasSubstr("queue full"));
  EXPECT_THAT(message, HasSubstr("budget of 3000"));
}

// 64 concurrent clients with documents of mixed lengths get exactly the
// scores each document gets alone: batching does not change results.
TEST_F(ServerTest, ConcurrentClientsGetTheirSingleRequestScores) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max_batch_delay", "20ms"}));
  constexpr int kClients = 64;
  std::vector<std::string> texts;
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> words(5, 3000);
  texts.reserve(kClients);
  for (int i = 0; i < kClients; ++i) texts.push_back(Text(words(rng), 200 + i));
  std::vector<std::vector<float>> alone(kClients);
  for (int i = 0; i < kClients; ++i) {
    v1::ClassifyResponse response;
    ASSERT_TRUE(ClassifyText(texts[i], &response).ok());
    std::map<std::string, float> by_label;
    for (const auto& label : response.labels()) {
      by_label[label.label()] = label.score();
    }
    for (const auto& [label, score] : by_label) alone[i].push_back(score);
  }
  std::vector<std::vector<float>> together(kClients);
  std::vector<int> batch_sizes(kClients, 0);
  std::vector<std::string> failures(kClients);
  std::vector<std::thread> clients;
  clients.reserve(kClients);
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      v1::ClassifyResponse response;
      const grpc::Status status = ClassifyText(texts[i], &response);
      if (!status.ok()) {
        failures[i] =
            absl::StrCat(status.error_code(), ": ", status.error_message());
        return;
      }
      std::map<std::string, float> by_label;
      for (const auto& label : response.labels()) {
        by_label[label.label()] = label.score();
      }
      for (const auto& [label, score] : by_label) together[i].push_back(score);
      batch_sizes[i] = response.batch_size();
    });
  }
  for (std::thread& client : clients) client.join();
  int batched = 0;
  for (int i = 0; i < kClients; ++i) {
    ASSERT_EQ(together[i].size(), 4u) << "client " << i << " " << failures[i];
    for (int j = 0; j < 4; ++j) {
      EXPECT_NEAR(together[i][j], alone[i][j], 1e-5) << i;
    }
    batched += batch_sizes[i] > 1;
  }
  EXPECT_GT(batched, 0) << "concurrent requests should share batches";
}

TEST_F(ServerTest, HealthAndReflection) {
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_EQ(Health(""), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(Health("wersa.v1.DocumentClassifier"),
            grpc::health::v1::HealthCheckResponse::SERVING);
}

// Documents are tokenized on the service's own threads (--threads of them,
// one here), so gRPC's callback threads, which answer every call, health
// checks included, stay free while multi-megabyte documents are tokenized.
// (When they were tokenized on gRPC's threads, a few such documents at once,
// more than gRPC has threads, held every other call for as long as their
// tokenization took: health checks timed out.)
TEST_F(ServerTest, HealthAnswersWhileLargeDocumentsAreTokenized) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const int documents =
      2 * static_cast<int>(std::thread::hardware_concurrency()) + 2;
  v1::ClassifyRequest large;
  const std::string piece = Text(2000, 31) + " ";
  while (large.text().size() < (6U << 20)) large.mutable_text()->append(piece);
  auto uploads = OwnConnection(server_->target());
  std::vector<grpc::ClientContext> contexts(documents);
  std::atomic<int> answered{0};
  std::vector<std::thread> senders;
  senders.reserve(documents);
  for (int i = 0; i < documents; ++i) {
    senders.emplace_back([&, i] {
      v1::ClassifyResponse response;
      uploads->Classify(&contexts[i], large, &response);
      ++answered;
    });
  }
  // Every document has arrived: its call is in flight.
  ASSERT_TRUE(testing_support::AwaitSampleAtLeast(
      server_->metrics_port(), "wersa_inflight_requests", documents));
  auto health = grpc::health::v1::Health::NewStub(grpc::CreateCustomChannel(
      server_->target(), grpc::InsecureChannelCredentials(), [] {
        grpc::ChannelArguments arguments;
        arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        return arguments;
      }()));
  for (int check = 0; check < 10; ++check) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    const grpc::Status status = health->Check(&context, request, &response);
    EXPECT_TRUE(status.ok())
        << "check " << check << ": " << status.error_message();
    EXPECT_EQ(response.status(),
              grpc::health::v1::HealthCheckResponse::SERVING);
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_LT(answered.load(), documents)
      << "the documents must still be in tokenization during the checks";
  for (grpc::ClientContext& context : contexts) context.TryCancel();
  for (std::thread& sender : senders) sender.join();
}

// Documents wait for the tokenization threads in a queue with a byte budget:
// the first document of a batch is taken (one always is when none waits),
// the second passes the budget while the first is still being tokenized.
TEST_F(ServerTest, TokenizeQueueBudgetRefusesDocumentsPastIt) {
  ASSERT_NO_FATAL_FAILURE(
      Start({"--max_tokenize_queue_bytes", "1048576", "--threads", "1"}));
  std::string large;
  const std::string piece = Text(2000, 32) + " ";
  while (large.size() < (3U << 20)) large.append(piece);
  v1::ClassifyBatchRequest batch;
  batch.add_requests()->set_text(large);
  batch.add_requests()->set_text(large);
  v1::ClassifyBatchResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->ClassifyBatch(&context, batch, &response).ok());
  ASSERT_EQ(response.results_size(), 2);
  EXPECT_EQ(response.results(0).status().code(), 0)
      << response.results(0).status().message();
  EXPECT_GT(response.results(0).response().labels_size(), 0);
  EXPECT_EQ(response.results(1).status().code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(response.results(1).status().message(),
              HasSubstr(absl::StrCat("this one's ", large.size(),
                                     " would pass 1048576 "
                                     "(--max_tokenize_queue_bytes)")));
  EXPECT_TRUE(
      server_->WaitForLine(R"("code":"RESOURCE_EXHAUSTED")", absl::Seconds(5)));
}

TEST_F(ServerTest, SigtermDrainsInFlightRequestsAndExitsZero) {
  ASSERT_NO_FATAL_FAILURE(Start({"--drain_timeout", "60s"}));
  std::atomic<int> ok_count{0};
  std::vector<std::thread> in_flight = Occupy(*stub_, *server_, 4, ok_count);
  server_->Signal(SIGTERM);
  ASSERT_TRUE(server_->WaitForLine("\"draining\"", absl::Seconds(10)));
  EXPECT_EQ(Health(""), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  v1::ClassifyResponse response;
  ExpectStatus(ClassifyText("kalo mine", &response),
               grpc::StatusCode::UNAVAILABLE, "shutting down");
  for (std::thread& thread : in_flight) thread.join();
  EXPECT_EQ(ok_count.load(), 4) << "every request in flight is answered\n"
                                << absl::StrJoin(server_->Lines(), "\n");
  EXPECT_EQ(server_->Wait(absl::Seconds(60)), 0);
  EXPECT_TRUE(server_->WaitForLine(R"("drained":true)", absl::Seconds(1)));
}

TEST_F(ServerTest, BadFlagsAndBundlesStopTheServerWithAMessage) {
  ServerProcess bad_flag(WERSA_SERVER_BINARY, {"--no_such_flag", "1"});
  EXPECT_EQ(bad_flag.Wait(absl::Seconds(30)), 2);
  EXPECT_THAT(absl::StrJoin(bad_flag.Lines(), "\n"),
              HasSubstr("unknown flag --no_such_flag"));
  ServerProcess bad_bundle(WERSA_SERVER_BINARY,
                           {"--model_dir", "/nonexistent/bundle"});
  EXPECT_EQ(bad_bundle.Wait(absl::Seconds(30)), 1);
  EXPECT_THAT(absl::StrJoin(bad_bundle.Lines(), "\n"),
              HasSubstr("model_load_failed"));
}

// Over TLS the scores are those of a plain-text server; a plain-text client
// cannot talk to a TLS server.
TEST_F(ServerTest, TlsCallGetsThePlainTextScores) {
  const std::string text = Text(300, 30);
  ASSERT_NO_FATAL_FAILURE(Start());
  v1::ClassifyResponse plain;
  ASSERT_TRUE(ClassifyText(text, &plain).ok());
  ASSERT_NO_FATAL_FAILURE(Start(TlsArguments()));
  EXPECT_TRUE(server_->WaitForLine(R"("security":"tls")", absl::Seconds(1)));
  auto secure = OwnConnection(server_->target(), {Pem("ca"), "", ""});
  v1::ClassifyResponse response;
  const grpc::Status status = ClassifyOn(*secure, text, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.labels_size(), plain.labels_size());
  for (int i = 0; i < plain.labels_size(); ++i) {
    EXPECT_EQ(response.labels(i).label(), plain.labels(i).label());
    EXPECT_NEAR(response.labels(i).score(), plain.labels(i).score(), 1e-6);
  }
  EXPECT_EQ(ClassifyText(text, &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

// With a client CA, only clients with a certificate it signed get through;
// refused handshakes leave the server serving the others.
TEST_F(ServerTest, MutualTlsRefusesClientsWithoutATrustedCertificate) {
  std::vector<std::string> arguments = TlsArguments();
  arguments.insert(arguments.end(), {"--tls_client_ca", Pem("ca")});
  ASSERT_NO_FATAL_FAILURE(Start(arguments));
  EXPECT_TRUE(
      server_->WaitForLine(R"("security":"mutual_tls")", absl::Seconds(1)));
  auto trusted = OwnConnection(server_->target(),
                               {Pem("ca"), Pem("client"), Key("client")});
  v1::ClassifyResponse response;
  grpc::Status status = ClassifyOn(*trusted, Text(100, 31), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.labels_size(), 4);

  auto anonymous = OwnConnection(server_->target(), {Pem("ca"), "", ""});
  status = ClassifyOn(*anonymous, Text(100, 32), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  auto stranger = OwnConnection(server_->target(),
                                {Pem("ca"), Pem("stranger"), Key("stranger")});
  status = ClassifyOn(*stranger, Text(100, 33), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();

  EXPECT_EQ(server_->Wait(absl::ZeroDuration()), -1) << "still running";
  auto again = OwnConnection(server_->target(),
                             {Pem("ca"), Pem("client"), Key("client")});
  status = ClassifyOn(*again, Text(100, 34), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.labels_size(), 4);
}

TEST_F(ServerTest, BadTlsFilesStopTheServerWithAMessage) {
  const std::string garbage = CertificateDirectory() + "/garbage.pem";
  std::ofstream(garbage) << "not a certificate\n";
  const struct {
    std::vector<std::string> arguments;
    std::string message;
  } cases[] = {
      {{"--tls_cert_chain", "/nonexistent/server.pem", "--tls_private_key",
        Key("server")},
       "--tls_cert_chain /nonexistent/server.pem: cannot read it: No such "
       "file or directory"},
      {{"--tls_cert_chain", garbage, "--tls_private_key", Key("server")},
       absl::StrCat("--tls_cert_chain ", garbage,
                    ": no PEM certificate in it")},
      {{"--tls_cert_chain", Pem("server"), "--tls_private_key", garbage},
       absl::StrCat("--tls_private_key ", garbage,
                    ": no unencrypted PEM private key in it")},
      {{"--tls_cert_chain", Pem("server"), "--tls_private_key", Key("client")},
       "not the key of the first certificate of --tls_cert_chain"},
      {{"--tls_private_key", Key("server")}, "given together or not at all"},
      {{"--tls_client_ca", Pem("ca")}, "--tls_client_ca needs"},
      {{"--tls_cert_chain", Pem("server"), "--tls_private_key", Key("server"),
        "--tls_client_ca", garbage},
       absl::StrCat("--tls_client_ca ", garbage, ": no PEM certificate in it")},
  };
  for (const auto& bad : cases) {
    ServerProcess server(WERSA_SERVER_BINARY, StartArguments(bad.arguments));
    EXPECT_EQ(server.Wait(absl::Seconds(30)), 1) << bad.message;
    const std::string lines = absl::StrJoin(server.Lines(), "\n");
    EXPECT_THAT(lines, HasSubstr(R"("event":"tls_failed")"));
    EXPECT_THAT(lines, HasSubstr(bad.message));
  }
}

// wersa-client and wersa-load speak mutual TLS with their --tls_* flags and
// refuse a bad file before connecting.
TEST_F(ServerTest, ClientProgramsUseTlsFlags) {
  std::vector<std::string> arguments = TlsArguments();
  arguments.insert(arguments.end(), {"--tls_client_ca", Pem("ca")});
  ASSERT_NO_FATAL_FAILURE(Start(arguments));
  const std::string tls_flags =
      absl::StrCat(" --target ", server_->target(), " --tls_ca ", Pem("ca"),
                   " --tls_cert_chain ", Pem("client"), " --tls_private_key ",
                   Key("client"));
  testing_support::CommandResult result = testing_support::RunCommand(
      absl::StrCat(WERSA_CLIENT_BINARY, tls_flags, " --info"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("test-classifier"));
  result = testing_support::RunCommand(absl::StrCat(
      WERSA_LOAD_BINARY, tls_flags,
      " --requests 2 --concurrency 1 --tokens 64 --inputs 2 --warmup 0s"));
  EXPECT_EQ(result.exit_code, 0) << result.output;

  result = testing_support::RunCommand(
      absl::StrCat(WERSA_CLIENT_BINARY, " --target ", server_->target(),
                   " --info --tls_ca ", Key("ca")));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output,
              HasSubstr(absl::StrCat("--tls_ca ", Key("ca"),
                                     ": no PEM certificate in it")));
  result = testing_support::RunCommand(absl::StrCat(
      WERSA_LOAD_BINARY, " --target ", server_->target(), " --tls_ca ",
      Pem("ca"), " --tls_private_key ", Key("client")));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_THAT(result.output, HasSubstr("given together or not at all"));
}

// Past --max_concurrent_streams, a connection's further calls wait in the
// client (here until their deadline) and never reach the service; another
// connection is not held up.
TEST_F(ServerTest, CallsPastMaxConcurrentStreamsWaitInTheClient) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max_concurrent_streams", "1"}));
  v1::ClassifyResponse response;
  // A finished call: the client has the server's settings, limit included.
  ASSERT_TRUE(ClassifyText(Text(50, 40), &response).ok());
  // An upload left open holds the connection's one stream.
  grpc::ClientContext upload_context;
  upload_context.set_deadline(
      absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  v1::ClassifyResponse uploaded;
  auto upload = stub_->ClassifyStream(&upload_context, &uploaded);
  v1::DocumentChunk chunk;
  chunk.mutable_options()->set_request_id("held-stream");
  chunk.set_text(Text(100, 41));
  ASSERT_TRUE(upload->Write(chunk));

  v1::ClassifyRequest request;
  request.set_text(Text(50, 42));
  request.set_request_id("past-the-limit");
  ExpectStatus(Classify(request, &response, absl::Seconds(2)),
               grpc::StatusCode::DEADLINE_EXCEEDED, "");
  auto other = OwnConnection(server_->target());
  const grpc::Status other_status = ClassifyOn(*other, Text(50, 43), &response);
  EXPECT_TRUE(other_status.ok()) << other_status.error_message();

  upload->WritesDone();
  const grpc::Status upload_status = upload->Finish();
  ASSERT_TRUE(upload_status.ok()) << upload_status.error_message();
  EXPECT_EQ(uploaded.request_id(), "held-stream");
  EXPECT_EQ(uploaded.labels_size(), 4);
  ASSERT_TRUE(ClassifyText(Text(50, 44), &response).ok())
      << "the stream is free again";
  for (const std::string& line : server_->Lines()) {
    EXPECT_THAT(line, testing::Not(HasSubstr("past-the-limit")));
  }
}

// A client that pings more often than --keepalive_min_ping_interval while the
// server sends it nothing collects strikes; past --max_ping_strikes the
// server sends GOAWAY "too_many_pings" and closes the connection, and the
// client's call fails with UNAVAILABLE. Other connections carry on.
TEST_F(ServerTest, ClientPingingTooOftenGetsUnavailable) {
  ASSERT_NO_FATAL_FAILURE(Start(
      {"--keepalive_min_ping_interval", "10s", "--max_ping_strikes", "2"}));
  v1::ClassifyOptions options;
  options.set_request_id("well-behaved");
  grpc::ClientContext good_context;
  good_context.set_deadline(
      absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  v1::ClassifyResponse good_response;
  auto good = stub_->ClassifyStream(&good_context, &good_response);
  v1::DocumentChunk chunk;
  *chunk.mutable_options() = options;
  chunk.set_text(Text(100, 50));
  ASSERT_TRUE(good->Write(chunk));

  // gRPC's client pings a connection with calls at most once a second, and
  // only with these arguments that often.
  grpc::ChannelArguments pinging;
  pinging.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 100);
  pinging.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  pinging.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  auto pinger = OwnConnection(server_->target(), {}, pinging);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  v1::ClassifyResponse response;
  auto upload = pinger->ClassifyStream(&context, &response);
  options.set_request_id("pinger");
  *chunk.mutable_options() = options;
  ASSERT_TRUE(upload->Write(chunk));
  // Left open, the upload gets no answer, so every ping counts.
  const grpc::Status status = upload->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();

  EXPECT_EQ(server_->Wait(absl::ZeroDuration()), -1) << "still running";
  good->WritesDone();
  const grpc::Status good_status = good->Finish();
  ASSERT_TRUE(good_status.ok()) << good_status.error_message();
  EXPECT_EQ(good_response.request_id(), "well-behaved");
  EXPECT_EQ(good_response.labels_size(), 4);
}

}  // namespace
}  // namespace wersa
