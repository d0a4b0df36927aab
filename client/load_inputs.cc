#include "client/load_inputs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace wersa::client {
namespace {

namespace fs = std::filesystem;

v1::ClassifyRequest RandomIds(int64_t tokens, int64_t vocab_size,
                              std::mt19937_64& rng) {
  std::uniform_int_distribution<int32_t> id(
      1, static_cast<int32_t>(vocab_size - 1));
  v1::ClassifyRequest request;
  auto* ids = request.mutable_token_ids()->mutable_ids();
  ids->Reserve(static_cast<int>(tokens));
  for (int64_t t = 0; t < tokens; ++t) ids->Add(id(rng));
  return request;
}

}  // namespace

absl::StatusOr<Inputs> FixedLengthInputs(int64_t tokens, int64_t vocab_size,
                                         int count, uint64_t seed) {
  if (tokens < 1 || vocab_size < 2 || count < 1) {
    return absl::InvalidArgumentError(
        "fixed-length inputs need tokens >= 1 and a vocabulary");
  }
  std::mt19937_64 rng(seed);
  std::vector<v1::ClassifyRequest> requests;
  for (int i = 0; i < count; ++i)
    requests.push_back(RandomIds(tokens, vocab_size, rng));
  return requests;
}

absl::StatusOr<Inputs> LengthFileInputs(const std::string& path,
                                        int64_t vocab_size, int count,
                                        uint64_t seed) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::vector<int64_t> lengths;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    absl::string_view text =
        absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (text.empty()) continue;
    int64_t length = 0;
    if (!absl::SimpleAtoi(text, &length) || length < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number,
                       ": expected a token count >= 1, got '", text, "'"));
    }
    lengths.push_back(length);
  }
  if (lengths.empty())
    return absl::InvalidArgumentError(absl::StrCat(path, ": no lengths"));
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, lengths.size() - 1);
  std::vector<v1::ClassifyRequest> requests;
  for (int i = 0; i < count; ++i)
    requests.push_back(RandomIds(lengths[pick(rng)], vocab_size, rng));
  return requests;
}

absl::StatusOr<std::vector<std::string>> ReadFolder(const std::string& folder) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) {
    return absl::NotFoundError(absl::StrCat(folder, ": not a folder"));
  }
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file()) paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> texts;
  for (const fs::path& path : paths) {
    std::ifstream in(path, std::ios::binary);
    texts.emplace_back(std::istreambuf_iterator<char>(in),
                       std::istreambuf_iterator<char>());
  }
  if (texts.empty())
    return absl::NotFoundError(absl::StrCat(folder, ": no files"));
  return texts;
}

absl::StatusOr<Inputs> DocumentInputs(const std::string& folder,
                                      int64_t target_tokens,
                                      double bytes_per_token, int count,
                                      uint64_t seed) {
  absl::StatusOr<std::vector<std::string>> texts = ReadFolder(folder);
  if (!texts.ok()) return texts.status();
  std::mt19937_64 rng(seed);
  std::vector<v1::ClassifyRequest> requests;
  if (target_tokens <= 0) {
    for (const std::string& text : *texts) {
      requests.emplace_back().set_text(text);
    }
    return requests;
  }
  const auto target_bytes =
      static_cast<size_t>(static_cast<double>(target_tokens) * bytes_per_token);
  std::uniform_int_distribution<size_t> pick(0, texts->size() - 1);
  for (int i = 0; i < count; ++i) {
    std::string joined;
    while (joined.size() < target_bytes) {
      joined += (*texts)[pick(rng)];
      joined += "\n\n";
    }
    requests.emplace_back().set_text(std::move(joined));
  }
  return requests;
}

}  // namespace wersa::client
