#include "common/base64.h"

#include <gtest/gtest.h>

namespace lambda::common {
namespace {

TEST(Base64, EncodesWithPaddingAndDecodesBack) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  auto decoded = base64_decode(base64_encode(bytes));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, bytes);
}

TEST(Base64, DecodingErrorsNameGosOffset) {
  EXPECT_EQ(base64_decode("Zm9v!").error(), "illegal base64 data at input byte 4");
  EXPECT_EQ(base64_decode("Zg").error(), "illegal base64 data at input byte 0");
  EXPECT_EQ(*base64_decode("Zm9v\nYmFy"), "foobar");
}

}  // namespace
}  // namespace lambda::common
