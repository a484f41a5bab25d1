#include "kube/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>

namespace lambda::kube {

RateLimiter::RateLimiter(double qps, int burst, Clock clock, Sleeper sleeper)
    : qps_(qps),
      burst_(std::max(burst, 1)),
      unlimited_(!(qps > 0) || std::isinf(qps)),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })),
      sleeper_(sleeper ? std::move(sleeper) : Sleeper([](std::chrono::steady_clock::duration d) {
        std::this_thread::sleep_for(d);
      })),
      tokens_(static_cast<double>(burst_)),
      last_(unlimited_ ? std::chrono::steady_clock::time_point{} : clock_()) {}

void RateLimiter::refill(std::chrono::steady_clock::time_point now) {
  if (now <= last_) return;  // an injected clock may stand still; never run backwards
  double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(static_cast<double>(burst_), tokens_ + elapsed * qps_);
  last_ = now;
}

void RateLimiter::wait() {
  if (unlimited_) return;
  std::chrono::steady_clock::duration delay{};
  {
    std::lock_guard lock(mutex_);
    refill(clock_());
    tokens_ -= 1;
    if (tokens_ >= 0) return;
    // Rounded up so that the caller never wakes before its token exists.
    delay = std::chrono::ceil<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(-tokens_ / qps_));
  }
  sleeper_(delay);
}

bool RateLimiter::try_accept() {
  if (unlimited_) return true;
  std::lock_guard lock(mutex_);
  refill(clock_());
  // The tolerance absorbs rounding in elapsed * qps_, so that exactly 1/qps later a token is there.
  if (tokens_ < 1 - 1e-9) return false;
  tokens_ -= 1;
  return true;
}

}  // namespace lambda::kube
