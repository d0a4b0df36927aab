#include "tests/server/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/time/clock.h"
#include "tests/subprocess.h"

namespace wersa::testing_support {

ServerProcess::ServerProcess(const std::string& binary,
                             const std::vector<std::string>& arguments) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return;
  std::vector<std::string> words = {
      binary, "--host", "127.0.0.1", "--port", "0", "--metrics_port", "0"};
  words.insert(words.end(), arguments.begin(), arguments.end());
  pid_ = fork();
  if (pid_ == 0) {
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    testing_support::ExecOrExit(std::move(words));
  }
  close(pipe_fds[1]);
  reader_ = std::thread([this, fd = pipe_fds[0]] { ReadLogs(fd); });
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, std::chrono::seconds(60),
                    [this] { return port_ > 0 || exited_; });
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && Wait(absl::ZeroDuration()) == -1) {
    kill(pid_, SIGKILL);
    Wait(absl::Seconds(10));
  }
  if (reader_.joinable()) reader_.join();
}

void ServerProcess::ReadLogs(int fd) {
  FILE* stream = fdopen(fd, "r");
  char* line = nullptr;
  size_t capacity = 0;
  ssize_t length = 0;
  while ((length = getline(&line, &capacity, stream)) > 0) {
    std::string text(line, static_cast<size_t>(length));
    if (!text.empty() && text.back() == '\n') text.pop_back();
    const std::lock_guard<std::mutex> lock(mutex_);
    if (port_ == 0 && text.find("\"listening\"") != std::string::npos) {
      port_ = nlohmann::json::parse(text, nullptr, false).value("port", 0);
    }
    if (metrics_port_ == 0 &&
        text.find("\"metrics_listening\"") != std::string::npos) {
      metrics_port_ =
          nlohmann::json::parse(text, nullptr, false).value("port", 0);
    }
    lines_.push_back(std::move(text));
    changed_.notify_all();
  }
  free(line);  // NOLINT(cppcoreguidelines-no-malloc): getline's buffer
  fclose(stream);
  int status = 0;
  waitpid(pid_, &status, 0);
  const std::lock_guard<std::mutex> lock(mutex_);
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  exited_ = true;
  changed_.notify_all();
}

void ServerProcess::Signal(int signal_number) const {
  kill(pid_, signal_number);
}

int ServerProcess::Wait(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                    [this] { return exited_; });
  return exited_ ? exit_code_ : -1;
}

std::vector<std::string> ServerProcess::Lines() {
  const std::lock_guard<std::mutex> lock(mutex_);
  return lines_;
}

bool ServerProcess::WaitForLine(const std::string& text,
                                absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
    for (const std::string& line : lines_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  });
}

}  // namespace wersa::testing_support
