// A client-side token bucket, as client-go's flowcontrol.NewTokenBucketRateLimiter(qps, burst)
// (golang.org/x/time/rate underneath): the bucket holds up to `burst` tokens, starts full and
// refills at `qps` tokens a second; each request takes one. It keeps one client from flooding the
// API server, which would answer with 429s and slow every other controller down.
//
// wait() reserves a token even when the bucket is empty (the balance goes negative) and then
// sleeps until that token would have arrived, so concurrent callers are served in the order they
// asked, each a 1/qps interval after the one before. try_accept() takes a token only if one is
// there now.
//
// qps <= 0 (or infinite or NaN) means unlimited: neither call ever waits. A burst below 1 is
// taken as 1, since a bucket that can hold no token would admit nothing.
//
// Both the clock and the sleep are injected so that tests run without real time passing.
//
// Thread-safety: all members may be called concurrently; the sleep happens outside the lock.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>

namespace lambda::kube {

class RateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  using Sleeper = std::function<void(std::chrono::steady_clock::duration)>;

  // Empty functions mean std::chrono::steady_clock::now and std::this_thread::sleep_for.
  RateLimiter(double qps, int burst, Clock clock = {}, Sleeper sleeper = {});

  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Blocks (through the sleeper) until the caller may send one request.
  void wait();
  // Takes a token if one is available now; never blocks.
  bool try_accept();

  double qps() const { return qps_; }
  int burst() const { return burst_; }
  bool unlimited() const { return unlimited_; }

 private:
  // Adds the tokens earned since the last call, up to burst_. Needs mutex_.
  void refill(std::chrono::steady_clock::time_point now);

  const double qps_;
  const int burst_;
  const bool unlimited_;
  Clock clock_;
  Sleeper sleeper_;
  std::mutex mutex_;
  double tokens_;  // may be negative: tokens already promised to sleeping callers
  std::chrono::steady_clock::time_point last_;
};

}  // namespace lambda::kube
