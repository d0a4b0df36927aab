#include "tests/server/prometheus_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/server/http_client.h"
#include "tests/subprocess.h"

namespace wersa::testing_support {
namespace {

// A loopback port nothing listens on now (the kernel's pick).
int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace

PrometheusProcess::PrometheusProcess(const std::string& binary,
                                     int target_port) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp",
                   "/wersa-prometheus.XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) return;
  directory_ = pattern;
  port_ = FreeLoopbackPort();
  if (port_ == 0) return;
  const std::string config = directory_ + "/prometheus.yml";
  std::ofstream(config) << "global:\n"
                        << "  scrape_interval: 1s\n"
                        << "  scrape_timeout: 1s\n"
                        << "  evaluation_interval: 1s\n"
                        << "scrape_configs:\n"
                        << "  - job_name: wersa\n"
                        << "    static_configs:\n"
                        << "      - targets: ['127.0.0.1:" << target_port
                        << "']\n";
  std::vector<std::string> words = {
      binary, "--config.file=" + config,
      "--storage.tsdb.path=" + directory_ + "/data",
      "--web.listen-address=127.0.0.1:" + std::to_string(port_),
      "--log.level=warn"};
  const std::string log = directory_ + "/prometheus.log";
  pid_ = fork();
  if (pid_ == 0) {
    const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out >= 0) {
      dup2(out, STDOUT_FILENO);
      dup2(out, STDERR_FILENO);
      close(out);
    }
    testing_support::ExecOrExit(std::move(words));
  }
  if (pid_ < 0) return;
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (absl::Now() < give_up) {
    if (HttpGet(port_, "/-/ready").status == 200) {
      ready_ = true;
      break;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {  // it died
      pid_ = -1;
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

PrometheusProcess::~PrometheusProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (absl::Now() >= give_up) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  if (!directory_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
}

std::string PrometheusProcess::Log() const {
  std::ifstream in(directory_ + "/prometheus.log");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<size_t> PrometheusProcess::QuerySeriesCount(
    const std::string& promql) const {
  const HttpResponse response =
      HttpGet(port_, "/api/v1/query", {{"query", promql}});
  const nlohmann::json answer =
      nlohmann::json::parse(response.body, nullptr, false);
  if (response.status != 200 || answer.is_discarded() ||
      answer.value("status", "") != "success") {
    return std::nullopt;
  }
  const nlohmann::json& result = answer["data"]["result"];
  return result.is_array() ? result.size() : 1;
}

std::optional<double> PrometheusProcess::QueryValue(
    const std::string& promql) const {
  const HttpResponse response =
      HttpGet(port_, "/api/v1/query", {{"query", promql}});
  if (response.status != 200) return std::nullopt;
  const nlohmann::json answer =
      nlohmann::json::parse(response.body, nullptr, false);
  if (answer.is_discarded() || answer.value("status", "") != "success") {
    return std::nullopt;
  }
  const nlohmann::json& data = answer["data"];
  nlohmann::json sample;
  if (data.value("resultType", "") == "scalar") {
    sample = data["result"];
  } else if (data.value("resultType", "") == "vector" &&
             data["result"].size() == 1) {
    sample = data["result"][0]["value"];
  } else {
    return std::nullopt;
  }
  // [ <time>, "<value>" ]; the value may be "NaN" or "+Inf".
  double value = 0;
  if (!sample.is_array() || sample.size() != 2 || !sample[1].is_string() ||
      !absl::SimpleAtod(sample[1].get<std::string>(), &value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace wersa::testing_support
