#ifndef WERSA_MODEL_TRAIN_SHA1_H_
#define WERSA_MODEL_TRAIN_SHA1_H_

#include <string>

#include "absl/strings/string_view.h"

namespace wersa::train {

// SHA-1 of `data` (OpenSSL's) as 40 lowercase hex digits: the split rule of
// the data README, reproducible with Python's hashlib; not for security.
std::string Sha1Hex(absl::string_view data);

}  // namespace wersa::train

#endif  // WERSA_MODEL_TRAIN_SHA1_H_
