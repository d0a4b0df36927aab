#include "model/train/sha1.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace wersa::train {
namespace {

constexpr size_t kBlockBytes = 64;

uint32_t RotateLeft(uint32_t value, int bits) {
  return (value << bits) | (value >> (32 - bits));
}

class Sha1 {
 public:
  void Update(absl::string_view data) {
    for (const char c : data) {
      block_[block_size_++] = static_cast<uint8_t>(c);
      if (block_size_ == kBlockBytes) {
        ProcessBlock();
        block_size_ = 0;
      }
    }
    message_bytes_ += data.size();
  }

  std::string HexDigest() && {
    // Padding: one 1 bit, zeros up to 56 bytes mod 64, then the message
    // length in bits as a 64-bit big-endian number.
    const uint64_t message_bits = message_bytes_ * 8;
    Update(absl::string_view("\x80", 1));
    while (block_size_ != kBlockBytes - 8) {
      Update(absl::string_view("\0", 1));
    }
    std::array<char, 8> length;
    for (int i = 0; i < 8; ++i) {
      length[i] = static_cast<char>(message_bits >> (56 - 8 * i));
    }
    Update(absl::string_view(length.data(), length.size()));

    static constexpr char kHexDigits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(40);
    for (const uint32_t word : state_) {
      for (int shift = 28; shift >= 0; shift -= 4) {
        hex.push_back(kHexDigits[(word >> shift) & 0xf]);
      }
    }
    return hex;
  }

 private:
  void ProcessBlock() {
    std::array<uint32_t, 80> w;
    for (int t = 0; t < 16; ++t) {
      w[t] = (uint32_t{block_[4 * t]} << 24) |
             (uint32_t{block_[4 * t + 1]} << 16) |
             (uint32_t{block_[4 * t + 2]} << 8) | uint32_t{block_[4 * t + 3]};
    }
    for (int t = 16; t < 80; ++t) {
      w[t] = RotateLeft(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    }
    uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3],
             e = state_[4];
    for (int t = 0; t < 80; ++t) {
      uint32_t f;
      uint32_t k;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const uint32_t temp = RotateLeft(a, 5) + f + e + k + w[t];
      e = d;
      d = c;
      c = RotateLeft(b, 30);
      b = a;
      a = temp;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
    state_[4] += e;
  }

  std::array<uint32_t, 5> state_ = {0x67452301, 0xefcdab89, 0x98badcfe,
                                    0x10325476, 0xc3d2e1f0};
  std::array<uint8_t, kBlockBytes> block_{};
  size_t block_size_ = 0;
  uint64_t message_bytes_ = 0;
};

}  // namespace

std::string Sha1Hex(absl::string_view data) {
  Sha1 sha1;
  sha1.Update(data);
  return std::move(sha1).HexDigest();
}

}  // namespace wersa::train
