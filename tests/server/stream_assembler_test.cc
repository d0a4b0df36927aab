#include "server/stream_assembler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace wersa::server {
namespace {

using testing::HasSubstr;

v1::DocumentChunk Chunk(const std::string& text) {
  v1::DocumentChunk chunk;
  chunk.set_text(text);
  return chunk;
}

TEST(StreamAssemblerTest, JoinsChunksInOrderWithTheFirstChunksOptions) {
  StreamAssembler assembler(100);
  v1::DocumentChunk first = Chunk("Schr\xC3");  // splits "ö"
  first.mutable_options()->set_request_id("doc-1");
  first.mutable_options()->set_top_k(3);
  first.mutable_options()->set_truncation(v1::TRUNCATION_TAIL);
  v1::DocumentChunk second = Chunk(
      "\xB6"
      "dinger");
  second.mutable_options()->set_request_id("ignored");
  ASSERT_TRUE(assembler.Add(first).ok());
  ASSERT_TRUE(assembler.Add(second).ok());
  ASSERT_TRUE(assembler.Add(Chunk("")).ok());
  EXPECT_EQ(assembler.chunks(), 3);
  EXPECT_EQ(assembler.options().request_id(), "doc-1");
  EXPECT_EQ(assembler.options().top_k(), 3U);
  EXPECT_EQ(assembler.options().truncation(), v1::TRUNCATION_TAIL);
  absl::StatusOr<std::string> text = assembler.TakeText();
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text,
            "Schr\xC3\xB6"
            "dinger");
  EXPECT_EQ(assembler.bytes(), 0);
}

TEST(StreamAssemblerTest, TheLimitIsInclusive) {
  StreamAssembler assembler(10);
  ASSERT_TRUE(assembler.Add(Chunk("12345")).ok());
  ASSERT_TRUE(assembler.Add(Chunk("67890")).ok());
  const absl::Status over = assembler.Add(Chunk("x"));
  EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(over.message()),
              HasSubstr("the document passed 10 bytes (--max_stream_bytes)"));
  EXPECT_EQ(assembler.bytes(), 10);  // the refused chunk is not kept
}

TEST(StreamAssemblerTest, NoChunksIsInvalid) {
  StreamAssembler assembler(10);
  const absl::Status status = assembler.TakeText().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("the stream sent no chunks"));
}

}  // namespace
}  // namespace wersa::server
