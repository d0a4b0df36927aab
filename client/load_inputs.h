#ifndef WERSA_CLIENT_LOAD_INPUTS_H_
#define WERSA_CLIENT_LOAD_INPUTS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "wersa/v1/classifier.pb.h"

namespace wersa::client {

// Inputs a load run cycles through, prepared before it starts so that
// building them costs nothing while it measures.
using Inputs = std::vector<v1::ClassifyRequest>;

// `count` requests of exactly `tokens` random token ids in [1, vocab_size).
absl::StatusOr<Inputs> FixedLengthInputs(int64_t tokens, int64_t vocab_size,
                                         int count, uint64_t seed);
// Token-id requests whose lengths are drawn from a file of token counts (one
// per line; '#' starts a comment): an empirical length distribution.
absl::StatusOr<Inputs> LengthFileInputs(const std::string& path,
                                        int64_t vocab_size, int count,
                                        uint64_t seed);
// Text requests from the files of a folder. With target_tokens > 0,
// documents are joined (in a seeded order) until each input holds about that
// many tokens, at `bytes_per_token` (measured by the caller).
absl::StatusOr<Inputs> DocumentInputs(const std::string& folder,
                                      int64_t target_tokens,
                                      double bytes_per_token, int count,
                                      uint64_t seed);

// The text files of a folder (sorted by name), for FromDocuments and for
// measuring bytes per token.
absl::StatusOr<std::vector<std::string>> ReadFolder(const std::string& folder);

}  // namespace wersa::client

#endif  // WERSA_CLIENT_LOAD_INPUTS_H_
