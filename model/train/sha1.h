#ifndef WERSA_MODEL_TRAIN_SHA1_H_
#define WERSA_MODEL_TRAIN_SHA1_H_

#include <string>

#include "absl/strings/string_view.h"

namespace wersa::train {

// SHA-1 (FIPS 180-4) of `data` as 40 lowercase hex digits. It exists so the
// split rule of the data README can be reproduced with Python's hashlib; it is
// not meant for security.
std::string Sha1Hex(absl::string_view data);

}  // namespace wersa::train

#endif  // WERSA_MODEL_TRAIN_SHA1_H_
