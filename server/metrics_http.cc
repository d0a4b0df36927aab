#include "server/metrics_http.h"

#include <httplib.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace wersa::server {
namespace {

constexpr char kMetricsContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";
constexpr int kThreads = 2;  // a scraper, a probe: nothing here is slow

}  // namespace

MetricsHttpServer::MetricsHttpServer()
    : server_(std::make_unique<httplib::Server>()) {}

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const std::string& host, int port, Handlers handlers) {
  // Not make_unique: the constructor is private.
  std::unique_ptr<MetricsHttpServer> http(new MetricsHttpServer());
  httplib::Server& server = *http->server_;
  // cpp-httplib takes ownership of the raw pointer.
  server.new_task_queue = [] {
    // NOLINTNEXTLINE(cppcoreguidelines-owning-memory)
    return new httplib::ThreadPool(kThreads);
  };
  server.set_keep_alive_max_count(1000);
  server.set_keep_alive_timeout(5);
  server.Get("/metrics", [scrape = std::move(handlers.scrape)](
                             const httplib::Request&, httplib::Response& res) {
    res.set_content(scrape(), kMetricsContentType);
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server.Get("/readyz", [ready = std::move(handlers.ready)](
                            const httplib::Request&, httplib::Response& res) {
    const bool is_ready = ready();
    res.status = is_ready ? 200 : 503;
    res.set_content(is_ready ? "ready\n" : "not ready\n", "text/plain");
  });

  if (port == 0) {
    http->port_ = server.bind_to_any_port(host);
  } else if (server.bind_to_port(host, port)) {
    http->port_ = port;
  }
  if (http->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", host, ":", port, " for /metrics"));
  }
  http->thread_ = std::thread([&server] { server.listen_after_bind(); });
  // stop() only reaches a server that is already running: wait for it, so
  // the destructor can always stop it.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!server.is_running() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  if (!server.is_running()) {
    return absl::InternalError("the /metrics server did not start");
  }
  return http;
}

MetricsHttpServer::~MetricsHttpServer() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace wersa::server
