#ifndef WERSA_MODEL_THREAD_COUNT_H_
#define WERSA_MODEL_THREAD_COUNT_H_

#include <algorithm>
#include <cstdint>
#include <thread>

namespace wersa {

// The threads a --threads value asks for, for every binary: `requested` when
// positive, otherwise one per CPU, and never fewer than one
// (std::thread::hardware_concurrency() may answer 0).
inline int ResolveThreadCount(int64_t requested) {
  if (requested > 0) return static_cast<int>(requested);
  return static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

}  // namespace wersa

#endif  // WERSA_MODEL_THREAD_COUNT_H_
