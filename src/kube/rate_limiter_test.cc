#include "kube/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace lambda::kube {
namespace {

using std::chrono::milliseconds;
using Duration = std::chrono::steady_clock::duration;
using TimePoint = std::chrono::steady_clock::time_point;

// Time that moves only when a test or the limiter's sleep moves it.
struct FakeTime {
  TimePoint now = TimePoint{} + std::chrono::hours(1);
  std::vector<Duration> sleeps;

  RateLimiter::Clock clock() {
    return [this] { return now; };
  }
  RateLimiter::Sleeper sleeper() {
    return [this](Duration d) {
      sleeps.push_back(d);
      now += d;
    };
  }
};

TEST(RateLimiter, StartsFullSoTheFirstBurstRequestsDoNotWait) {
  FakeTime time;
  RateLimiter limiter(10, 3, time.clock(), time.sleeper());
  for (int i = 0; i < 3; ++i) limiter.wait();
  EXPECT_TRUE(time.sleeps.empty());
}

TEST(RateLimiter, AfterTheBurstWaitPacesRequestsAtOneOverQps) {
  FakeTime time;
  TimePoint start = time.now;
  RateLimiter limiter(10, 3, time.clock(), time.sleeper());
  for (int i = 0; i < 3 + 5; ++i) limiter.wait();
  ASSERT_EQ(time.sleeps.size(), 5u);
  for (Duration d : time.sleeps) EXPECT_EQ(d, milliseconds(100));
  EXPECT_EQ(time.now - start, milliseconds(500));
}

TEST(RateLimiter, TryAcceptIsFalseOnceTheBucketIsEmpty) {
  FakeTime time;
  RateLimiter limiter(1, 2, time.clock(), time.sleeper());
  EXPECT_TRUE(limiter.try_accept());
  EXPECT_TRUE(limiter.try_accept());
  EXPECT_FALSE(limiter.try_accept());
  EXPECT_FALSE(limiter.try_accept());
  EXPECT_TRUE(time.sleeps.empty());
}

TEST(RateLimiter, RefillsAtQpsOverTime) {
  FakeTime time;
  RateLimiter limiter(2, 1, time.clock(), time.sleeper());
  EXPECT_TRUE(limiter.try_accept());
  time.now += milliseconds(499);
  EXPECT_FALSE(limiter.try_accept());
  time.now += milliseconds(1);
  EXPECT_TRUE(limiter.try_accept());
  EXPECT_FALSE(limiter.try_accept());
}

TEST(RateLimiter, RefillNeverExceedsTheBurst) {
  FakeTime time;
  RateLimiter limiter(100, 4, time.clock(), time.sleeper());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(limiter.try_accept());
  time.now += std::chrono::hours(1);
  int accepted = 0;
  while (limiter.try_accept()) ++accepted;
  EXPECT_EQ(accepted, 4);
}

TEST(RateLimiter, WaitReservesTokensSoLaterTryAcceptSeesTheDebt) {
  FakeTime time;
  // A sleeper that does not move time: the reservation stays outstanding.
  std::vector<Duration> sleeps;
  RateLimiter limiter(10, 1, time.clock(), [&](Duration d) { sleeps.push_back(d); });
  limiter.wait();
  limiter.wait();
  limiter.wait();
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_EQ(sleeps[0], milliseconds(100));
  EXPECT_EQ(sleeps[1], milliseconds(200));
  time.now += milliseconds(250);
  EXPECT_FALSE(limiter.try_accept());
  time.now += milliseconds(50);
  EXPECT_TRUE(limiter.try_accept());
}

TEST(RateLimiter, ZeroOrNegativeQpsMeansUnlimited) {
  for (double qps : {0.0, -1.0}) {
    FakeTime time;
    RateLimiter limiter(qps, 1, time.clock(), time.sleeper());
    EXPECT_TRUE(limiter.unlimited());
    for (int i = 0; i < 1000; ++i) {
      limiter.wait();
      ASSERT_TRUE(limiter.try_accept());
    }
    EXPECT_TRUE(time.sleeps.empty());
  }
}

TEST(RateLimiter, BurstBelowOneIsTakenAsOne) {
  FakeTime time;
  RateLimiter limiter(5, 0, time.clock(), time.sleeper());
  EXPECT_EQ(limiter.burst(), 1);
  EXPECT_TRUE(limiter.try_accept());
  EXPECT_FALSE(limiter.try_accept());
}

TEST(RateLimiter, ConcurrentCallersTogetherGetExactlyTheBurst) {
  FakeTime time;  // frozen: no refill while the threads run
  RateLimiter limiter(1, 100, time.clock(), time.sleeper());
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (limiter.try_accept()) accepted.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 100);
}

}  // namespace
}  // namespace lambda::kube
