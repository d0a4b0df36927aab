#ifndef WERSA_TESTS_SERVER_PROMETHEUS_PROCESS_H_
#define WERSA_TESTS_SERVER_PROMETHEUS_PROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>

namespace wersa::testing_support {

// A real Prometheus server (the Debian package's binary) on a free loopback
// port, with its own configuration and TSDB in a fresh temporary directory,
// scraping one target every second.
class PrometheusProcess {
 public:
  // Starts `binary` scraping 127.0.0.1:target_port/metrics as job "wersa" and
  // waits (at most 30 s) until it answers /-/ready; see ready().
  PrometheusProcess(const std::string& binary, int target_port);
  ~PrometheusProcess();  // SIGTERM, then SIGKILL after 10 s
  PrometheusProcess(const PrometheusProcess&) = delete;
  PrometheusProcess& operator=(const PrometheusProcess&) = delete;

  bool ready() const { return ready_; }
  int port() const { return port_; }
  // Its own log, for failure messages.
  std::string Log() const;

  // The value of an instant PromQL query whose result is one sample (a
  // vector of one element, or a scalar); nullopt for anything else.
  std::optional<double> QueryValue(const std::string& promql) const;
  // How many series an instant query returns; nullopt when Prometheus
  // refuses it (a syntax error, an unknown function).
  std::optional<size_t> QuerySeriesCount(const std::string& promql) const;

 private:
  std::string directory_;
  pid_t pid_ = -1;
  int port_ = 0;
  bool ready_ = false;
};

}  // namespace wersa::testing_support

#endif  // WERSA_TESTS_SERVER_PROMETHEUS_PROCESS_H_
