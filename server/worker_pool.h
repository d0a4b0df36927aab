#ifndef WERSA_SERVER_WORKER_POOL_H_
#define WERSA_SERVER_WORKER_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace wersa::server {

// A fixed number of threads that run posted tasks in the order they were
// posted. The service checks and tokenizes documents on one, so that gRPC's
// callback threads (a few, sized by the CPUs, and the ones that answer
// health checks) never wait for a long document's tokenization.
class WorkerPool {
 public:
  explicit WorkerPool(int threads);  // at least one thread
  ~WorkerPool();                     // runs what was posted, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Post(std::function<void()> task);

 private:
  void Run();

  std::mutex mutex_;
  std::condition_variable posted_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace wersa::server

#endif  // WERSA_SERVER_WORKER_POOL_H_
