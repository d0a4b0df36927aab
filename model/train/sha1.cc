#include "model/train/sha1.h"

#include <openssl/sha.h>

#include <array>

#include "absl/strings/escaping.h"

namespace wersa::train {

std::string Sha1Hex(absl::string_view data) {
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       digest.data());
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace wersa::train
