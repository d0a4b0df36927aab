#include "model/zip_container.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace wersa {
namespace {

using testing::AllOf;
using testing::HasSubstr;

// A weights archive as LibTorch writes it (with its ZIP64 end records).
std::string LibTorchArchive() {
  torch::manual_seed(3);
  c10::Dict<std::string, torch::Tensor> state;
  state.insert("a.weight", torch::randn({16, 32}));
  state.insert("a.bias", torch::randn({16}));
  state.insert("b.weight", torch::randn({4, 16}));
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(state));
  return std::string(bytes.begin(), bytes.end());
}

uint64_t Get(const std::string& bytes, size_t offset, int width) {
  uint64_t value = 0;
  for (int i = width - 1; i >= 0; --i) {
    value = value << 8 | static_cast<unsigned char>(bytes[offset + i]);
  }
  return value;
}

void Put(std::string& bytes, size_t offset, int width, uint64_t value) {
  for (int i = 0; i < width; ++i) {
    bytes[offset + i] = static_cast<char>(value >> (8 * i) & 0xFF);
  }
}

// Offsets of the records at the end of a LibTorch archive (no comment).
struct Layout {
  size_t end;      // end-of-central-directory record
  size_t locator;  // ZIP64 locator
  size_t zip64;    // ZIP64 end record
  size_t directory;
};

Layout LayoutOf(const std::string& bytes) {
  Layout layout{};
  layout.end = bytes.size() - 22;
  layout.locator = layout.end - 20;
  layout.zip64 = Get(bytes, layout.locator + 8, 8);
  layout.directory = Get(bytes, layout.zip64 + 48, 8);
  return layout;
}

void ExpectCorrupt(const std::string& bytes, const std::string& detail) {
  const absl::Status status = ValidateZipContainer(bytes);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(
      std::string(status.message()),
      AllOf(HasSubstr("truncated or corrupt zip archive"), HasSubstr(detail)));
}

TEST(ZipContainerTest, AcceptsWhatLibTorchWrites) {
  const std::string bytes = LibTorchArchive();
  ASSERT_EQ(Get(bytes, LayoutOf(bytes).zip64, 4), 0x06064b50U);
  EXPECT_TRUE(ValidateZipContainer(bytes).ok()) << ValidateZipContainer(bytes);
}

TEST(ZipContainerTest, RefusesEveryTruncation) {
  const std::string bytes = LibTorchArchive();
  for (size_t size = 1; size < bytes.size(); ++size) {
    const absl::Status status = ValidateZipContainer(bytes.substr(0, size));
    ASSERT_EQ(status.code(), size < 4 ? absl::StatusCode::kInvalidArgument
                                      : absl::StatusCode::kDataLoss)
        << "cut to " << size << " bytes: " << status;
  }
}

TEST(ZipContainerTest, Empty) {
  const absl::Status status = ValidateZipContainer("");
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("is empty (0 bytes)"));
}

TEST(ZipContainerTest, NotAZipArchive) {
  const absl::Status status =
      ValidateZipContainer("{\"weights\": [1, 2, 3]}\n");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("does not start with a zip local file header"));
}

TEST(ZipContainerTest, CommentMustReachTheEndOfTheFile) {
  std::string bytes = LibTorchArchive();
  const size_t end = LayoutOf(bytes).end;
  Put(bytes, end + 20, 2, 5);
  ExpectCorrupt(bytes + "12345" + "x",
                "has a 5-byte comment, but the file "
                "ends 6 bytes after it");
  EXPECT_TRUE(ValidateZipContainer(bytes + "12345").ok());
}

TEST(ZipContainerTest, CommentLongerThanLibTorchsReaderSearches) {
  std::string bytes = LibTorchArchive();
  const size_t end = LayoutOf(bytes).end;
  Put(bytes, end + 20, 2, kMaxZipCommentBytes);
  EXPECT_TRUE(
      ValidateZipContainer(bytes + std::string(kMaxZipCommentBytes, 'c')).ok());
  Put(bytes, end + 20, 2, kMaxZipCommentBytes + 1);
  ExpectCorrupt(bytes + std::string(kMaxZipCommentBytes + 1, 'c'),
                "no end-of-central-directory record in the last 4096");
}

TEST(ZipContainerTest, CentralDirectoryOutsideTheFile) {
  std::string bytes = LibTorchArchive();
  const Layout layout = LayoutOf(bytes);
  Put(bytes, layout.zip64 + 48, 8, bytes.size());
  Put(bytes, layout.end + 16, 4, 0xFFFFFFFF);
  ExpectCorrupt(bytes, "does not fit before its end record");
}

TEST(ZipContainerTest, CentralDirectorySizeOverflows) {
  std::string bytes = LibTorchArchive();
  const Layout layout = LayoutOf(bytes);
  Put(bytes, layout.zip64 + 40, 8, ~uint64_t{0});
  Put(bytes, layout.end + 12, 4, 0xFFFFFFFF);
  ExpectCorrupt(bytes, "does not fit before its end record");
}

TEST(ZipContainerTest, EndRecordsDisagree) {
  std::string bytes = LibTorchArchive();
  const Layout layout = LayoutOf(bytes);
  Put(bytes, layout.end + 16, 4, layout.directory + 1);
  ExpectCorrupt(bytes, "disagree");
}

TEST(ZipContainerTest, LocatorPointsNowhere) {
  std::string bytes = LibTorchArchive();
  const Layout layout = LayoutOf(bytes);
  Put(bytes, layout.locator + 8, 8, layout.zip64 + 1);
  ExpectCorrupt(bytes, "where there is no ZIP64 end record");
  Put(bytes, layout.locator + 8, 8, ~uint64_t{0} - 8);
  ExpectCorrupt(bytes, "where there is no ZIP64 end record");
}

TEST(ZipContainerTest, MoreEntriesThanTheDirectoryHolds) {
  std::string bytes = LibTorchArchive();
  const Layout layout = LayoutOf(bytes);
  const uint64_t entries = Get(bytes, layout.zip64 + 32, 8);
  Put(bytes, layout.zip64 + 24, 8, entries + 1);
  Put(bytes, layout.zip64 + 32, 8, entries + 1);
  Put(bytes, layout.end + 8, 2, entries + 1);
  Put(bytes, layout.end + 10, 2, entries + 1);
  ExpectCorrupt(bytes, "is missing");
}

TEST(ZipContainerTest, FewerEntriesThanTheDirectoryHolds) {
  std::string bytes = LibTorchArchive();
  const Layout layout = LayoutOf(bytes);
  const uint64_t entries = Get(bytes, layout.zip64 + 32, 8);
  Put(bytes, layout.zip64 + 24, 8, entries - 1);
  Put(bytes, layout.zip64 + 32, 8, entries - 1);
  Put(bytes, layout.end + 8, 2, entries - 1);
  Put(bytes, layout.end + 10, 2, entries - 1);
  ExpectCorrupt(bytes, "bytes after its");
}

TEST(ZipContainerTest, LocalHeaderOutsideTheFile) {
  std::string bytes = LibTorchArchive();
  const size_t entry = LayoutOf(bytes).directory;
  Put(bytes, entry + 42, 4, bytes.size() + 100);
  ExpectCorrupt(bytes, "where there is no local file header");
}

TEST(ZipContainerTest, LocalHeaderOffsetIsNotAHeader) {
  std::string bytes = LibTorchArchive();
  const size_t entry = LayoutOf(bytes).directory;
  Put(bytes, entry + 42, 4, Get(bytes, entry + 42, 4) + 1);
  ExpectCorrupt(bytes, "where there is no local file header");
}

TEST(ZipContainerTest, EntryDataRunsIntoTheDirectory) {
  std::string bytes = LibTorchArchive();
  const size_t entry = LayoutOf(bytes).directory;
  Put(bytes, entry + 20, 4, bytes.size());
  ExpectCorrupt(bytes, "run past the start of the central directory");
}

TEST(ZipContainerTest, SaturatedSizeWithoutZip64ExtraField) {
  std::string bytes = LibTorchArchive();
  const size_t entry = LayoutOf(bytes).directory;
  ASSERT_EQ(Get(bytes, entry + 30, 2), 0U);  // LibTorch writes no extra field
  Put(bytes, entry + 20, 4, 0xFFFFFFFF);
  ExpectCorrupt(bytes, "ZIP64 extra field is missing or short");
}

TEST(ZipContainerTest, NoEntries) {
  // A local header, then an empty central directory and its end record.
  std::string bytes(30 + 22, '\0');
  Put(bytes, 0, 4, 0x04034b50);
  Put(bytes, 30, 4, 0x06054b50);
  Put(bytes, 30 + 16, 4, 30);
  const absl::Status status = ValidateZipContainer(bytes);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("holds no files"));
}

}  // namespace
}  // namespace wersa
