#include "server/heap_thresholds.h"

#include <malloc.h>

#include <climits>
#include <string_view>
#include <tuple>

#include "absl/strings/str_cat.h"

namespace wersa::server {

absl::Status FixHeapThresholds(const HeapThresholds& thresholds,
                               const char* glibc_tunables) {
  if (glibc_tunables != nullptr) {
    const std::string_view tunables(glibc_tunables);
    if (tunables.find("glibc.malloc.mmap_threshold") !=
            std::string_view::npos ||
        tunables.find("glibc.malloc.trim_threshold") !=
            std::string_view::npos) {
      return absl::OkStatus();
    }
  }
  for (const auto& [option, name, bytes] :
       {std::tuple{M_MMAP_THRESHOLD, "M_MMAP_THRESHOLD",
                   thresholds.mmap_threshold},
        std::tuple{M_TRIM_THRESHOLD, "M_TRIM_THRESHOLD",
                   thresholds.trim_threshold}}) {
    if (bytes > static_cast<size_t>(INT_MAX)) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, " of ", bytes, " bytes is over mallopt's INT_MAX"));
    }
    // glibc takes any value here; AddressSanitizer's malloc takes none.
    if (mallopt(option, static_cast<int>(bytes)) != 1) {
      return absl::FailedPreconditionError(
          absl::StrCat("mallopt(", name, ", ", bytes,
                       ") refused; glibc's thresholds stay in effect"));
    }
  }
  return absl::OkStatus();
}

}  // namespace wersa::server
