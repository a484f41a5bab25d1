#include "common/http/wire.h"

#include <gtest/gtest.h>

namespace lambda::http::wire {
namespace {

TEST(WireParser, ParsesARequestFedOneByteAtATime) {
  const std::string text =
      "POST /a?b=c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n";
  Parser parser(Parser::Kind::kRequest, 8192, 1024);
  std::string pending;
  std::size_t fed = 0;
  while (!parser.done() && fed < text.size()) {
    pending += text[fed++];
    auto used = parser.put(pending);
    ASSERT_TRUE(used);
    pending.erase(0, *used);
  }
  ASSERT_TRUE(parser.done());
  EXPECT_EQ(parser.method(), "POST");
  EXPECT_EQ(parser.target(), "/a?b=c");
  EXPECT_EQ(parser.version(), 11);
  EXPECT_EQ(find_header(parser.headers(), "host"), "x");
  EXPECT_EQ(parser.body(), "hello");
  EXPECT_TRUE(parser.keep_alive());
  EXPECT_EQ(fed, text.find("GET"));  // nothing of the next message was consumed
}

TEST(WireParser, DechunksResponseBodiesAndLeavesFollowingBytes) {
  Parser parser(Parser::Kind::kResponse, 8192, std::nullopt);
  const std::string text =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n1\r\nd\r\n0\r\n\r\nHTTP";
  auto used = parser.put(text);
  ASSERT_TRUE(used);
  EXPECT_TRUE(parser.done());
  EXPECT_TRUE(parser.chunked());
  EXPECT_EQ(parser.status(), 200);
  EXPECT_EQ(parser.take_body(), "abcd");
  EXPECT_EQ(text.substr(*used), "HTTP");
}

TEST(WireParser, ReportsLimitsAndMalformedInput) {
  Parser big_body(Parser::Kind::kRequest, 8192, 4);
  EXPECT_EQ(big_body.put("PUT / HTTP/1.1\r\nContent-Length: 5\r\n\r\n").error(),
            ParseError::kBodyTooLarge);
  Parser big_header(Parser::Kind::kRequest, 64, 4);
  EXPECT_EQ(big_header.put("GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n").error(),
            ParseError::kHeaderTooLarge);
  Parser garbage(Parser::Kind::kRequest, 8192, 4);
  EXPECT_EQ(garbage.put("\x16\x03\x01 hello\r\n\r\n").error(), ParseError::kBadMessage);
  Parser http2(Parser::Kind::kRequest, 8192, 4);
  EXPECT_FALSE(http2.put("GET / HTTP/2.0\r\n\r\n"));
}

TEST(WireParser, BodyDelimitedByEndOfInputCompletesOnEof) {
  Parser parser(Parser::Kind::kResponse, 8192, std::nullopt);
  ASSERT_TRUE(parser.put("HTTP/1.0 200 OK\r\n\r\nuntil close"));
  EXPECT_FALSE(parser.done());
  EXPECT_TRUE(parser.put_eof());
  EXPECT_TRUE(parser.done());
  EXPECT_EQ(parser.body(), "until close");
  EXPECT_FALSE(parser.keep_alive());

  Parser cut(Parser::Kind::kResponse, 8192, std::nullopt);
  ASSERT_TRUE(cut.put("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
  EXPECT_EQ(cut.put_eof().error(), ParseError::kPartialMessage);
}

TEST(WireSerializers, DropFramingHeadersAndHeadersThatCouldSplitAMessage) {
  std::string out;
  append_headers(out,
                 {{"Content-Type", "text/plain"},
                  {"content-length", "99"},
                  {"Transfer-Encoding", "chunked"},
                  {"X-Evil", "a\r\nSet-Cookie: b"},
                  {"Bad Name", "v"},
                  {"Host", "h"}},
                 "Host");
  EXPECT_EQ(out, "Content-Type: text/plain\r\n");
}

TEST(WireSerializers, FramesChunksInHexAndSkipsEmptyOnes) {
  std::string out;
  append_chunk(out, std::string(26, 'a'));
  append_chunk(out, "");
  EXPECT_EQ(out, "1a\r\n" + std::string(26, 'a') + "\r\n");
  EXPECT_EQ(reason_phrase(404), "Not Found");
  EXPECT_EQ(reason_phrase(799), "");
  EXPECT_TRUE(has_token("keep-alive, Close", "close"));
  EXPECT_FALSE(has_token("closed", "close"));
}

}  // namespace
}  // namespace lambda::http::wire
