// The container check that stands before LibTorch's zip reader
// (ValidateZipContainer). It must never read out of bounds, and what it
// accepts must have the shape LibTorch's reader relies on.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_support.h"
#include "model/zip_container.h"

namespace {

uint32_t U32(absl::string_view bytes, size_t offset) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) {
    value = value << 8 | static_cast<unsigned char>(bytes[offset + i]);
  }
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using wersa::fuzz::Check;
  // libFuzzer hands over an exact-size heap copy: AddressSanitizer sees any
  // read past its end.
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  const absl::Status status = wersa::ValidateZipContainer(bytes);
  if (!status.ok()) {
    Check(status.code() == absl::StatusCode::kDataLoss ||
              status.code() == absl::StatusCode::kInvalidArgument,
          status.ToString());
    Check(!status.message().empty(), "a refusal without a message");
    return 0;
  }
  // A local header, one central directory entry and the end record at least.
  Check(size >= 30 + 46 + 22, "accepted an archive too small to be one");
  Check(U32(bytes, 0) == 0x04034b50, "accepted without a local header");
  // The end record is in the last 4 KiB, where LibTorch's reader finds it
  // without stepping back.
  bool found = false;
  for (size_t back = 22;
       back <= 22 + wersa::kMaxZipCommentBytes && back <= size; ++back) {
    found = found || U32(bytes, size - back) == 0x06054b50;
  }
  Check(found, "accepted without an end record in the last 4 KiB");
  return 0;
}
