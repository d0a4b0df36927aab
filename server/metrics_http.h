#ifndef WERSA_SERVER_METRICS_HTTP_H_
#define WERSA_SERVER_METRICS_HTTP_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace wersa::server {

// The operations endpoint beside the gRPC port, on its own small thread pool
// (cpp-httplib, whose threads have ordinary stacks; docs/toolchain.md says
// why not civetweb):
//   GET /metrics  200, Prometheus text format 0.0.4 from `scrape`
//   GET /healthz  200 while the process lives
//   GET /readyz   200 while `ready` says so, 503 otherwise
// Anything else is 404.
class MetricsHttpServer {
 public:
  struct Handlers {
    std::function<std::string()> scrape;
    std::function<bool()> ready;
  };

  // Binds host:port (port 0: any free port) and serves until destroyed.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      const std::string& host, int port, Handlers handlers);
  ~MetricsHttpServer();  // stops listening and joins its threads
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  int port() const { return port_; }

 private:
  MetricsHttpServer();

  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace wersa::server

#endif  // WERSA_SERVER_METRICS_HTTP_H_
