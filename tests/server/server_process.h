#ifndef WERSA_TESTS_SERVER_SERVER_PROCESS_H_
#define WERSA_TESTS_SERVER_SERVER_PROCESS_H_

#include <sys/types.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"

namespace wersa::testing_support {

// The real wersa-server binary, started on free loopback ports. Its log
// lines (stderr) are collected; the gRPC port comes from its "listening"
// line, the HTTP metrics port from its "metrics_listening" line.
class ServerProcess {
 public:
  // Starts `binary` with --host 127.0.0.1 --port 0 --metrics_port 0 plus
  // `arguments` (which may override them) and waits until it listens (or
  // fails the test).
  ServerProcess(const std::string& binary,
                const std::vector<std::string>& arguments);
  ~ServerProcess();  // SIGKILL if still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool started() const { return port_ > 0; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  // 0 when the server has no HTTP endpoint (--metrics_port=-1).
  int metrics_port() const { return metrics_port_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }

  void Signal(int signal_number) const;
  // Waits for the process to exit; its exit code, or -1 on timeout.
  int Wait(absl::Duration timeout);
  // Log lines so far, and whether one containing `text` appeared in time.
  std::vector<std::string> Lines();
  bool WaitForLine(const std::string& text, absl::Duration timeout);

 private:
  void ReadLogs(int fd);

  pid_t pid_ = -1;
  int port_ = 0;
  int metrics_port_ = 0;
  int exit_code_ = -1;
  bool exited_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  std::thread reader_;
};

}  // namespace wersa::testing_support

#endif  // WERSA_TESTS_SERVER_SERVER_PROCESS_H_
