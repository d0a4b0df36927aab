#include "cli/progress_line.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace wersa::cli {

ProgressLine::ProgressLine(std::chrono::seconds interval)
    : terminal_(isatty(STDERR_FILENO) != 0), interval_(interval) {}

void ProgressLine::Update(const std::string& text) {
  const auto now = std::chrono::steady_clock::now();
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    pending_newline_ = true;
  } else if (now - last_ >= interval_) {
    std::fprintf(stderr, "%s\n", text.c_str());
    last_ = now;
  }
  std::fflush(stderr);
}

void ProgressLine::Print(const std::string& text) {
  if (pending_newline_) std::fprintf(stderr, "\n");
  pending_newline_ = false;
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
}

std::string FormatDuration(double seconds) {
  const auto total = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  if (total >= 3600)
    return absl::StrFormat("%dh%02dm", total / 3600, total % 3600 / 60);
  if (total >= 60) return absl::StrFormat("%dm%02ds", total / 60, total % 60);
  return absl::StrFormat("%ds", total);
}

std::string Bar(double fraction, int width) {
  const int filled = std::clamp(static_cast<int>(fraction * width), 0, width);
  return "[" + std::string(filled, '#') + std::string(width - filled, '.') +
         "]";
}

}  // namespace wersa::cli
