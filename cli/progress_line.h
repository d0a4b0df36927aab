#ifndef WERSA_CLI_PROGRESS_LINE_H_
#define WERSA_CLI_PROGRESS_LINE_H_

#include <chrono>
#include <cstdio>
#include <string>

namespace wersa::cli {

// A progress line on stderr: rewritten in place on a terminal, otherwise
// printed at most every `interval` so logs stay readable.
class ProgressLine {
 public:
  explicit ProgressLine(
      std::chrono::seconds interval = std::chrono::seconds(30));
  void Update(const std::string& text);
  // Ends the current line (on a terminal) and prints `text` on its own line.
  void Print(const std::string& text);

 private:
  bool terminal_;
  std::chrono::seconds interval_;
  std::chrono::steady_clock::time_point last_;
  bool pending_newline_ = false;
};

std::string FormatDuration(double seconds);   // "1h02m", "4m05s", "12s"
std::string Bar(double fraction, int width);  // "[#####.....]"

}  // namespace wersa::cli

#endif  // WERSA_CLI_PROGRESS_LINE_H_
