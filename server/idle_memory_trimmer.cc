#include "server/idle_memory_trimmer.h"

#include <utility>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace wersa::server {
namespace {

void ReturnFreeHeapMemory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace

IdleMemoryTrimmer::IdleMemoryTrimmer(absl::Duration period,
                                     std::function<bool()> idle_after_work)
    : period_(period),
      idle_after_work_(std::move(idle_after_work)),
      thread_([this] { Run(); }) {}

IdleMemoryTrimmer::~IdleMemoryTrimmer() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  stop_requested_.notify_all();
  thread_.join();
}

int64_t IdleMemoryTrimmer::trims() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return trims_;
}

void IdleMemoryTrimmer::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_requested_.wait_for(lock, absl::ToChronoNanoseconds(period_),
                                   [this] { return stopping_; })) {
    lock.unlock();
    const bool trim = idle_after_work_();
    if (trim) ReturnFreeHeapMemory();
    lock.lock();
    if (trim) ++trims_;
  }
}

}  // namespace wersa::server
