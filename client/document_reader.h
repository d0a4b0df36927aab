#ifndef WERSA_CLIENT_DOCUMENT_READER_H_
#define WERSA_CLIENT_DOCUMENT_READER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace wersa::client {

struct InputDocument {
  std::string name;  // the path, or "-" for standard input
  std::string text;
};

// Reads the documents named on a command line: paths, shell-style globs
// (expanded here, so they work quoted too), and "-" for standard input.
// A glob that matches nothing or an unreadable file is an error naming it.
absl::StatusOr<std::vector<InputDocument>> ReadInputs(
    const std::vector<std::string>& arguments);

}  // namespace wersa::client

#endif  // WERSA_CLIENT_DOCUMENT_READER_H_
