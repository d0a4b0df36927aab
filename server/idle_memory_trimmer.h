#ifndef WERSA_SERVER_IDLE_MEMORY_TRIMMER_H_
#define WERSA_SERVER_IDLE_MEMORY_TRIMMER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/time/time.h"

namespace wersa::server {

// Returns the heap's free memory to the operating system once the server
// goes quiet. glibc keeps the pages that freed request buffers (messages
// and uploads of many megabytes) and the per-thread arenas used, so after a
// burst the resident memory stays near its peak, and where it settles
// depends on how the burst's allocations happened to interleave.
// malloc_trim(0) releases the free pages of every arena; it holds each
// arena's lock while it walks it, so it runs only between calls: every
// `period` the trimmer asks `idle_after_work` (true when no call is in
// flight and some ended since it last asked) and trims when it says so.
class IdleMemoryTrimmer {
 public:
  IdleMemoryTrimmer(absl::Duration period,
                    std::function<bool()> idle_after_work);
  ~IdleMemoryTrimmer();  // stops the thread (at once, not after a period)
  IdleMemoryTrimmer(const IdleMemoryTrimmer&) = delete;
  IdleMemoryTrimmer& operator=(const IdleMemoryTrimmer&) = delete;

  int64_t trims() const;

 private:
  void Run();

  const absl::Duration period_;
  const std::function<bool()> idle_after_work_;
  mutable std::mutex mutex_;
  std::condition_variable stop_requested_;
  bool stopping_ = false;
  int64_t trims_ = 0;
  std::thread thread_;  // last: it starts once the members above exist
};

}  // namespace wersa::server

#endif  // WERSA_SERVER_IDLE_MEMORY_TRIMMER_H_
