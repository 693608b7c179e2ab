#include "lib/base/time.h"

#include <gtest/gtest.h>

namespace tern {
namespace {

TEST(Duration, UnitsConvert) {
  EXPECT_EQ(Duration::Seconds(2).ToMillis(), 2000);
  EXPECT_EQ(Duration::Millis(3).ToMicros(), 3000);
  EXPECT_EQ(Duration::Micros(7).ToNanos(), 7000);
  EXPECT_EQ(Duration::Nanos(1999).ToMicros(), 1);
  EXPECT_EQ((Duration::Seconds(1) * 3 / 2).ToMillis(), 1500);
  EXPECT_LT(Duration::Millis(999), Duration::Seconds(1));
  EXPECT_EQ(Duration::Seconds(7200).ToSeconds(), 7200);
}

TEST(Instant, Arithmetic) {
  Instant t0 = Instant::FromNanos(1000);
  Instant t1 = t0 + Duration::Micros(5);
  EXPECT_EQ((t1 - t0).ToNanos(), 5000);
  EXPECT_GT(t1, t0);
  EXPECT_EQ(t1 - Duration::Micros(5), t0);
  EXPECT_LT(t1, Instant::Never());
}

}  // namespace
}  // namespace tern
