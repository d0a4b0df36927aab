#include "client/document_reader.h"

#include <glob.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "absl/strings/str_cat.h"

namespace wersa::client {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  return text;
}

}  // namespace

absl::StatusOr<std::vector<InputDocument>> ReadInputs(
    const std::vector<std::string>& arguments) {
  std::vector<InputDocument> documents;
  for (const std::string& argument : arguments) {
    if (argument == "-") {
      std::string text((std::istreambuf_iterator<char>(std::cin)),
                       std::istreambuf_iterator<char>());
      documents.push_back({"-", std::move(text)});
      continue;
    }
    glob_t matches{};
    const int result =
        glob(argument.c_str(), GLOB_NOCHECK | GLOB_TILDE, nullptr, &matches);
    const std::unique_ptr<glob_t, void (*)(glob_t*)> cleanup(&matches,
                                                             globfree);
    if (result != 0)
      return absl::InvalidArgumentError(
          absl::StrCat(argument, ": bad pattern"));
    for (size_t i = 0; i < matches.gl_pathc; ++i) {
      const std::string path = matches.gl_pathv[i];
      absl::StatusOr<std::string> text = ReadFile(path);
      if (!text.ok()) {
        return path == argument &&
                       argument.find_first_of("*?[") != std::string::npos
                   ? absl::NotFoundError(
                         absl::StrCat(argument, ": no file matches"))
                   : text.status();
      }
      documents.push_back({path, *std::move(text)});
    }
  }
  return documents;
}

}  // namespace wersa::client
