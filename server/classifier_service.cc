#include "server/classifier_service.h"

#include <algorithm>
#include <numeric>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/stream_assembler.h"

namespace wersa::server {
namespace {

int64_t Micros(absl::Duration d) { return absl::ToInt64Microseconds(d); }

// What a request's document weighs while it waits to be tokenized.
int64_t InputBytes(const v1::ClassifyRequest& request) {
  return static_cast<int64_t>(request.text().size()) +
         int64_t{4} * request.token_ids().ids_size();
}

grpc::Status Serialize(const v1::ClassifyResponse& response,
                       grpc::ByteBuffer* bytes) {
  bool own_buffer = false;
  return grpc::SerializationTraits<v1::ClassifyResponse>::Serialize(
      response, bytes, &own_buffer);
}

void FillScores(const std::vector<float>& scores,
                const std::vector<std::string>& labels, uint32_t top_k,
                v1::ClassifyResponse* response) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  const size_t count =
      top_k == 0 ? order.size() : std::min<size_t>(top_k, order.size());
  for (size_t i = 0; i < count; ++i) {
    v1::LabelScore* label = response->add_labels();
    label->set_label(labels[order[i]]);
    label->set_score(scores[order[i]]);
  }
}

// Lives from the call's start to OnDone; gRPC's callback API hands
// ownership to the reactor itself, hence `delete this` there.
class ClassifyReactor final : public grpc::ServerUnaryReactor {
 public:
  ClassifyReactor(ServiceCore& core, grpc::CallbackServerContext* context,
                  const v1::ClassifyRequest& request,
                  v1::ClassifyResponse* response)
      : core_(core) {
    core_.CallStarted();
    const ServiceCore::Call call = core_.NewCall(
        context, RpcMethod::kClassify, request.request_id(), request.top_k());
    cancelled_ = call.cancelled;
    if (absl::Status admitted = core_.Admit(); !admitted.ok()) {
      core_.Refuse(call, admitted, RejectReason::kDraining);
      Finish(ToGrpc(admitted));
      return;
    }
    core_.Classify(
        call, InputBytes(request),
        [&request](const DocumentPreparer& preparer) {
          return preparer.FromRequest(request);
        },
        [this, response](const absl::Status& status,
                         v1::ClassifyResponse result) {
          if (status.ok()) *response = std::move(result);
          Finish(ToGrpc(status));
        });
  }
  void OnCancel() override { cancelled_->store(true); }
  void OnDone() override {
    core_.CallEnded();
    delete this;  // NOLINT(cppcoreguidelines-owning-memory): the callback API's
                  // ownership
  }

 private:
  ServiceCore& core_;
  std::shared_ptr<std::atomic<bool>> cancelled_;
};

class ClassifyBatchReactor final : public grpc::ServerUnaryReactor {
 public:
  ClassifyBatchReactor(ServiceCore& core, grpc::CallbackServerContext* context,
                       const v1::ClassifyBatchRequest& request,
                       v1::ClassifyBatchResponse* response)
      : core_(core), response_(response) {
    core_.CallStarted();
    cancelled_ = std::make_shared<std::atomic<bool>>(false);
    // For a call refused as a whole: one log line, one count.
    const ServiceCore::Call whole =
        core_.NewCall(context, RpcMethod::kClassifyBatch, "", 0);
    if (absl::Status admitted = core_.Admit(); !admitted.ok()) {
      Refuse(whole, admitted, RejectReason::kDraining);
      return;
    }
    const int count = request.requests_size();
    if (count == 0) {
      Refuse(whole, absl::InvalidArgumentError("the batch has no documents"),
             RejectReason::kInvalid);
      return;
    }
    if (count > core_.limits().max_batch_documents) {
      Refuse(whole,
             absl::ResourceExhaustedError(
                 absl::StrCat("the batch has ", count, " documents; at most ",
                              core_.limits().max_batch_documents, " per call")),
             RejectReason::kTooLarge);
      return;
    }
    for (int i = 0; i < count; ++i) response_->add_results();
    remaining_.store(count);
    for (int i = 0; i < count; ++i) {
      const v1::ClassifyRequest& document = request.requests(i);
      ServiceCore::Call call =
          core_.NewCall(context, RpcMethod::kClassifyBatch,
                        document.request_id(), document.top_k());
      call.cancelled = cancelled_;
      core_.Classify(
          call, InputBytes(document),
          [&document](const DocumentPreparer& preparer) {
            return preparer.FromRequest(document);
          },
          [this, i](const absl::Status& status, v1::ClassifyResponse result) {
            v1::DocumentResult* slot = response_->mutable_results(i);
            slot->mutable_status()->set_code(static_cast<int>(status.code()));
            slot->mutable_status()->set_message(std::string(status.message()));
            if (status.ok()) *slot->mutable_response() = std::move(result);
            if (remaining_.fetch_sub(1) == 1) Finish(grpc::Status::OK);
          });
    }
  }
  void OnCancel() override { cancelled_->store(true); }
  void OnDone() override {
    core_.CallEnded();
    delete this;  // NOLINT(cppcoreguidelines-owning-memory): the callback API's
                  // ownership
  }

 private:
  void Refuse(const ServiceCore::Call& call, const absl::Status& status,
              RejectReason reason) {
    core_.Refuse(call, status, reason);
    Finish(ToGrpc(status));
  }

  ServiceCore& core_;
  v1::ClassifyBatchResponse* response_;
  std::shared_ptr<std::atomic<bool>> cancelled_;
  std::atomic<int> remaining_{0};
};

class ClassifyStreamReactor final
    : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  ClassifyStreamReactor(ServiceCore& core, grpc::CallbackServerContext* context,
                        grpc::ByteBuffer* response)
      : core_(core),
        context_(context),
        response_(response),
        arrival_(absl::Now()),
        assembler_(core.limits().max_stream_bytes) {
    core_.CallStarted();
    if (absl::Status admitted = core_.Admit(); !admitted.ok()) {
      Refuse(admitted, RejectReason::kDraining);
      return;
    }
    StartRead(&bytes_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the upload is complete, or the call is gone
      if (cancelled_->load()) {
        Refuse(absl::CancelledError("the client cancelled the upload"),
               RejectReason::kCancelled);
        return;
      }
      Run();
      return;
    }
    if (!grpc::SerializationTraits<v1::DocumentChunk>::Deserialize(&bytes_,
                                                                   &chunk_)
             .ok()) {
      Refuse(absl::InvalidArgumentError(absl::StrCat(
                 "chunk ", assembler_.chunks() + 1,
                 " is not a valid wersa.v1.DocumentChunk message")),
             RejectReason::kInvalid);
      return;
    }
    if (absl::Status added = assembler_.Add(chunk_); !added.ok()) {
      Refuse(added, RejectReason::kTooLarge);
      return;
    }
    StartRead(&bytes_);
  }
  void OnCancel() override { cancelled_->store(true); }
  void OnDone() override {
    core_.CallEnded();
    delete this;  // NOLINT(cppcoreguidelines-owning-memory): the callback API's
                  // ownership
  }

 private:
  ServiceCore::Call NewCall() {
    const v1::ClassifyOptions& options = assembler_.options();
    ServiceCore::Call call =
        core_.NewCall(context_, RpcMethod::kClassifyStream,
                      options.request_id(), options.top_k());
    call.arrival = arrival_;  // the upload's start
    call.cancelled = cancelled_;
    return call;
  }

  void Refuse(const absl::Status& status, RejectReason reason) {
    core_.Refuse(NewCall(), status, reason);
    Finish(ToGrpc(status));
  }

  void Run() {
    absl::StatusOr<std::string> text = assembler_.TakeText();
    if (!text.ok()) {
      Refuse(text.status(), RejectReason::kInvalid);
      return;
    }
    // The text moves into the preparation, which frees it once tokenized.
    const auto bytes = static_cast<int64_t>(text->size());
    core_.Classify(
        NewCall(), bytes,
        [text = *std::move(text),
         truncation = assembler_.options().truncation()](
            const DocumentPreparer& preparer) {
          return preparer.FromText(text, truncation);
        },
        [this](const absl::Status& status, const v1::ClassifyResponse& result) {
          Finish(status.ok() ? Serialize(result, response_) : ToGrpc(status));
        });
  }

  ServiceCore& core_;
  grpc::CallbackServerContext* context_;
  grpc::ByteBuffer* response_;
  absl::Time arrival_;
  std::shared_ptr<std::atomic<bool>> cancelled_ =
      std::make_shared<std::atomic<bool>>(false);
  grpc::ByteBuffer bytes_;  // a chunk as it came
  v1::DocumentChunk chunk_;
  StreamAssembler assembler_;
};

}  // namespace

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

ServiceCore::ServiceCore(Batcher& batcher, const DocumentPreparer& preparer,
                         const ServiceLimits& limits, Logger& logger,
                         Metrics& metrics, int preparation_threads)
    : batcher_(batcher),
      preparer_(preparer),
      limits_(limits),
      logger_(logger),
      metrics_(metrics),
      preparation_(preparation_threads) {}

void ServiceCore::Refuse(const Call& call, const absl::Status& status,
                         RejectReason reason) {
  metrics_.RecordRejected(reason);
  Record(call, status, nullptr, nullptr);
}

absl::Status ServiceCore::Admit() const {
  if (draining_.load()) {
    return absl::UnavailableError(
        "the server is shutting down; retry on another replica");
  }
  return absl::OkStatus();
}

void ServiceCore::CallStarted() {
  const std::lock_guard<std::mutex> lock(calls_mutex_);
  ++calls_in_flight_;
  metrics_.SetInflightRequests(calls_in_flight_);
}

void ServiceCore::CallEnded() {
  {
    const std::lock_guard<std::mutex> lock(calls_mutex_);
    --calls_in_flight_;
    ++calls_ended_;
    metrics_.SetInflightRequests(calls_in_flight_);
  }
  calls_done_.notify_all();
}

std::optional<uint64_t> ServiceCore::CallsEndedIfIdle() {
  const std::lock_guard<std::mutex> lock(calls_mutex_);
  if (calls_in_flight_ > 0) return std::nullopt;
  return calls_ended_;
}

bool ServiceCore::WaitForCalls(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(calls_mutex_);
  return calls_done_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                              [this] { return calls_in_flight_ == 0; });
}

ServiceCore::Call ServiceCore::NewCall(grpc::CallbackServerContext* context,
                                       RpcMethod method,
                                       const std::string& request_id,
                                       uint32_t top_k) {
  Call call;
  call.method = method;
  call.request_id =
      request_id.empty()
          ? absl::StrCat("srv-", next_request_number_.fetch_add(1))
          : request_id;
  call.top_k = top_k;
  call.arrival = absl::Now();
  const auto deadline = context->deadline();
  if (deadline != std::chrono::system_clock::time_point::max()) {
    call.deadline = absl::FromChrono(deadline);
  }
  call.cancelled = std::make_shared<std::atomic<bool>>(false);
  return call;
}

void ServiceCore::Classify(const Call& call, int64_t input_bytes,
                           Prepare prepare, Finish finish) {
  const int64_t waiting = tokenize_queue_bytes_.fetch_add(input_bytes);
  if (waiting > 0 && waiting + input_bytes > limits_.max_tokenize_queue_bytes) {
    tokenize_queue_bytes_.fetch_sub(input_bytes);
    const absl::Status full = absl::ResourceExhaustedError(absl::StrCat(
        "documents waiting to be tokenized hold ", waiting,
        " bytes; this one's ", input_bytes, " would pass ",
        limits_.max_tokenize_queue_bytes,
        " (--max_tokenize_queue_bytes); retry later or elsewhere"));
    Refuse(call, full, RejectReason::kQueueFull);
    finish(full, {});
    return;
  }
  preparation_.Post([this, call, input_bytes, prepare = std::move(prepare),
                     finish = std::move(finish)] {
    absl::StatusOr<PreparedDocument> prepared = Prepared(call, prepare);
    tokenize_queue_bytes_.fetch_sub(input_bytes);
    Enqueue(call, std::move(prepared), finish);
  });
}

absl::StatusOr<PreparedDocument> ServiceCore::Prepared(
    const Call& call, const Prepare& prepare) const {
  // Work for a caller that is gone is not done.
  if (call.cancelled->load()) {
    return absl::CancelledError(
        "the client cancelled before the document was tokenized");
  }
  if (absl::Now() >= call.deadline) {
    return absl::DeadlineExceededError(
        "the deadline passed before the document was tokenized");
  }
  return prepare(preparer_);
}

void ServiceCore::Enqueue(const Call& call,
                          absl::StatusOr<PreparedDocument> prepared,
                          const Finish& finish) {
  if (!prepared.ok()) {
    switch (prepared.status().code()) {
      case absl::StatusCode::kInvalidArgument:
        metrics_.RecordRejected(RejectReason::kInvalid);
        break;
      case absl::StatusCode::kCancelled:
        metrics_.RecordRejected(RejectReason::kCancelled);
        break;
      case absl::StatusCode::kDeadlineExceeded:
        metrics_.RecordRejected(RejectReason::kDeadline);
        break;
      default:
        break;
    }
    Record(call, prepared.status(), nullptr, nullptr);
    finish(prepared.status(), {});
    return;
  }
  if (absl::Now() >= call.deadline) {
    const absl::Status late = absl::DeadlineExceededError(
        "the deadline passed before the request was queued");
    metrics_.RecordRejected(RejectReason::kDeadline);
    Record(call, late, &*prepared, nullptr);
    finish(late, {});
    return;
  }
  auto document = std::make_shared<PreparedDocument>(*std::move(prepared));
  InferenceRequest request;
  request.ids = document->ids;
  request.deadline = call.deadline;
  request.cancelled = call.cancelled;
  request.request_id = call.request_id;
  request.done = [this, call, document, finish](const InferenceResult& result) {
    v1::ClassifyResponse response;
    if (result.status.ok()) {
      FillScores(result.scores, batcher_.bundle().labels, call.top_k,
                 &response);
      response.set_num_tokens(static_cast<int32_t>(document->ids.size()));
      response.set_original_tokens(
          static_cast<int32_t>(document->original_tokens));
      response.set_truncated(document->truncated);
      response.set_batch_size(result.batch_size);
      response.set_model_version(batcher_.bundle().config.version);
      response.set_request_id(call.request_id);
      v1::Timing* timing = response.mutable_timing();
      timing->set_queue_us(Micros(result.queue_time));
      timing->set_tokenize_us(Micros(document->tokenize_time));
      timing->set_inference_us(Micros(result.inference_time));
      timing->set_total_us(Micros(absl::Now() - call.arrival));
    }
    Record(call, result.status, document.get(), &result);
    finish(result.status, std::move(response));
  };
  const int64_t tokens = static_cast<int64_t>(request.ids.size());
  if (absl::Status submitted = batcher_.Submit(std::move(request));
      !submitted.ok()) {
    Record(call, submitted, document.get(), nullptr);
    finish(submitted, {});
    return;
  }
  // Debug only: tells an operator (and the tests) that a request reached the
  // queue, which is when drain, deadlines and cancellation start to apply.
  logger_.Log(LogLevel::kDebug, "request_queued",
              {{"method", std::string(RpcMethodName(call.method))},
               {"request_id", call.request_id},
               {"tokens", tokens}});
}

void ServiceCore::Record(const Call& call, const absl::Status& status,
                         const PreparedDocument* document,
                         const InferenceResult* result) {
  const absl::Duration total = absl::Now() - call.arrival;
  RequestRecord record;
  record.method = call.method;
  record.code = status.code();
  record.total = total;
  if (document != nullptr) {
    record.tokens = static_cast<int64_t>(document->ids.size());
    record.truncated = document->truncated;
    record.tokenize = document->tokenize_time;
  }
  if (result != nullptr) {
    record.dequeued = true;
    record.queue = result->queue_time;
    record.ran = result->batch_size > 0;
    record.inference = result->inference_time;
  }
  metrics_.RecordRequest(record);

  if (!logger_.Enabled(LogLevel::kInfo)) return;
  nlohmann::json fields = {{"method", std::string(RpcMethodName(call.method))},
                           {"request_id", call.request_id},
                           {"code", absl::StatusCodeToString(status.code())}};
  if (!status.ok()) fields["message"] = std::string(status.message());
  // Counts and timings only: never the document's text.
  if (document != nullptr) {
    fields["tokens"] = record.tokens;
    fields["truncated"] = record.truncated;
    fields["tokenize_us"] = Micros(record.tokenize);
  }
  if (record.dequeued) fields["queue_us"] = Micros(record.queue);
  if (record.ran) {
    fields["batch_size"] = result->batch_size;
    fields["inference_us"] = Micros(record.inference);
  }
  fields["total_us"] = Micros(total);
  logger_.Log(LogLevel::kInfo, "request", std::move(fields));
}

grpc::ServerUnaryReactor* ClassifierService::Classify(
    grpc::CallbackServerContext* context, const v1::ClassifyRequest* request,
    v1::ClassifyResponse* response) {
  return new ClassifyReactor(core_, context, *request,
                             response);  // NOLINT: owned by gRPC
}

grpc::ServerUnaryReactor* ClassifierService::ClassifyBatch(
    grpc::CallbackServerContext* context,
    const v1::ClassifyBatchRequest* request,
    v1::ClassifyBatchResponse* response) {
  return new ClassifyBatchReactor(core_, context, *request,
                                  response);  // NOLINT: owned by gRPC
}

grpc::ServerReadReactor<grpc::ByteBuffer>* ClassifierService::ClassifyStream(
    grpc::CallbackServerContext* context, grpc::ByteBuffer* response) {
  return new ClassifyStreamReactor(core_, context,
                                   response);  // NOLINT: owned by gRPC
}

grpc::ServerUnaryReactor* ClassifierService::GetModelInfo(
    grpc::CallbackServerContext* context,
    const v1::GetModelInfoRequest* /*request*/, v1::ModelInfo* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const ModelBundle& bundle = core_.batcher().bundle();
  const ModelConfig& config = bundle.config;
  response->set_name(config.name);
  response->set_version(config.version);
  for (const std::string& label : bundle.labels) response->add_labels(label);
  response->set_problem_type(config.problem_type == ProblemType::kMultiLabel
                                 ? v1::MULTI_LABEL
                                 : v1::SINGLE_LABEL);
  response->set_max_tokens(static_cast<int32_t>(core_.preparer().max_tokens()));
  response->set_vocab_size(static_cast<int32_t>(config.vocab_size));
  v1::AttentionSettings* attention = response->mutable_attention();
  attention->set_kind(std::string(AttentionKindName(config.attention)));
  attention->set_d_model(static_cast<int32_t>(config.d_model));
  attention->set_num_layers(static_cast<int32_t>(config.num_layers));
  attention->set_num_heads(static_cast<int32_t>(config.num_heads));
  attention->set_wavelet_levels(static_cast<int32_t>(config.wavelet_levels));
  attention->set_random_features(static_cast<int32_t>(config.random_features));
  attention->set_shared_qk_features(config.shared_qk_features);
  response->set_device(core_.batcher().device());
  if (bundle.eval_json) response->set_evaluation_json(*bundle.eval_json);
  v1::Limits* limits = response->mutable_limits();
  const ServiceLimits& service = core_.limits();
  limits->set_max_tokens(static_cast<int32_t>(core_.preparer().max_tokens()));
  limits->set_default_truncation(
      ToProto(core_.preparer().default_truncation()));
  limits->set_max_queue_tokens(service.max_queue_tokens);
  limits->set_max_batch_tokens(service.max_batch_tokens);
  limits->set_max_batch_size(service.max_batch_size);
  limits->set_max_message_bytes(service.max_message_bytes);
  limits->set_max_batch_documents(service.max_batch_documents);
  limits->set_max_stream_bytes(service.max_stream_bytes);
  reactor->Finish(core_.Admit().ok() ? grpc::Status::OK
                                     : ToGrpc(core_.Admit()));
  return reactor;
}

}  // namespace wersa::server
