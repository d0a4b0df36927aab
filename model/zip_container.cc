#include "model/zip_container.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace wersa {
namespace {

// Record signatures and fixed sizes (PKWARE APPNOTE 6.3, sections 4.3.7,
// 4.3.12, 4.3.14 to 4.3.16).
constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint64_t kLocalHeaderSize = 30;
constexpr uint64_t kCentralHeaderSize = 46;
constexpr uint64_t kEndSize = 22;
constexpr uint64_t kZip64EndSize = 56;
constexpr uint64_t kZip64LocatorSize = 20;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint16_t kSaturated16 = 0xFFFF;
constexpr uint32_t kSaturated32 = 0xFFFFFFFF;

// True when [offset, offset + length) lies inside [0, limit), without
// overflow for any values read from the file.
bool Fits(uint64_t offset, uint64_t length, uint64_t limit) {
  return offset <= limit && length <= limit - offset;
}

// Little-endian fields of the archive; callers check bounds first.
class Bytes {
 public:
  explicit Bytes(absl::string_view bytes) : bytes_(bytes) {}

  uint64_t size() const { return bytes_.size(); }
  uint16_t U16(uint64_t offset) const {
    return static_cast<uint16_t>(Byte(offset) | Byte(offset + 1) << 8);
  }
  uint32_t U32(uint64_t offset) const {
    return static_cast<uint32_t>(U16(offset)) |
           static_cast<uint32_t>(U16(offset + 2)) << 16;
  }
  uint64_t U64(uint64_t offset) const {
    return static_cast<uint64_t>(U32(offset)) |
           static_cast<uint64_t>(U32(offset + 4)) << 32;
  }
  absl::string_view Slice(uint64_t offset, uint64_t length) const {
    return bytes_.substr(offset, length);
  }

 private:
  uint32_t Byte(uint64_t offset) const {
    return static_cast<unsigned char>(bytes_[offset]);
  }
  absl::string_view bytes_;
};

// Where the central directory is, from the end records.
struct Directory {
  uint64_t entries = 0;
  uint64_t size = 0;
  uint64_t offset = 0;
  uint64_t end = 0;  // where the end records start: the directory's limit
};

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("truncated or corrupt zip archive: ", what));
}

// The offset of the end-of-central-directory record: the last signature in
// the final kEndSize + kMaxZipCommentBytes bytes, as miniz finds it.
absl::StatusOr<uint64_t> FindEndRecord(const Bytes& bytes) {
  if (bytes.size() < kEndSize) {
    return Corrupt(absl::StrCat("no end-of-central-directory record (",
                                bytes.size(), " bytes)"));
  }
  const uint64_t last = bytes.size() - kEndSize;
  const uint64_t first =
      last > kMaxZipCommentBytes ? last - kMaxZipCommentBytes : 0;
  for (uint64_t back = 0; back <= last - first; ++back) {
    const uint64_t offset = last - back;
    if (bytes.U32(offset) != kEndSignature) continue;
    const uint64_t comment = bytes.U16(offset + 20);
    if (offset + kEndSize + comment != bytes.size()) {
      return Corrupt(
          absl::StrCat("the end-of-central-directory record at offset ", offset,
                       " has a ", comment, "-byte comment, but the file ends ",
                       bytes.size() - offset - kEndSize, " bytes after it"));
    }
    return offset;
  }
  return Corrupt(absl::StrCat("no end-of-central-directory record in the last ",
                              bytes.size() - first, " of its ", bytes.size(),
                              " bytes"));
}

// A 32-bit field of the classic end record must agree with its ZIP64 value
// unless it is saturated (then only the ZIP64 value holds it).
bool Agrees(uint64_t classic, uint64_t saturated, uint64_t zip64) {
  return classic == saturated || classic == zip64;
}

absl::StatusOr<Directory> ReadEndRecords(const Bytes& bytes) {
  absl::StatusOr<uint64_t> end = FindEndRecord(bytes);
  if (!end.ok()) return end.status();
  const uint64_t record = *end;
  if (bytes.U16(record + 4) != 0 || bytes.U16(record + 6) != 0 ||
      bytes.U16(record + 8) != bytes.U16(record + 10)) {
    return Corrupt("the end record names more than one disk");
  }
  Directory directory{bytes.U16(record + 10), bytes.U32(record + 12),
                      bytes.U32(record + 16), record};

  const bool has_locator =
      record >= kZip64LocatorSize &&
      bytes.U32(record - kZip64LocatorSize) == kZip64LocatorSignature;
  if (!has_locator) {
    if (directory.entries == kSaturated16 || directory.size == kSaturated32 ||
        directory.offset == kSaturated32) {
      return Corrupt("the end record needs a ZIP64 record, which is missing");
    }
    return directory;
  }
  const uint64_t locator = record - kZip64LocatorSize;
  const uint64_t zip64 = bytes.U64(locator + 8);
  if (bytes.U32(locator + 4) != 0 || bytes.U32(locator + 16) != 1) {
    return Corrupt("the ZIP64 locator names more than one disk");
  }
  if (!Fits(zip64, kZip64EndSize, locator) ||
      bytes.U32(zip64) != kZip64EndSignature) {
    return Corrupt(absl::StrCat("the ZIP64 locator points to offset ", zip64,
                                ", where there is no ZIP64 end record"));
  }
  const uint64_t record_size = bytes.U64(zip64 + 4);
  if (record_size < kZip64EndSize - 12 ||
      !Fits(zip64 + 12, record_size, locator)) {
    return Corrupt(absl::StrCat("the ZIP64 end record claims ", record_size,
                                " bytes, which do not fit before its locator"));
  }
  if (bytes.U32(zip64 + 16) != 0 || bytes.U32(zip64 + 20) != 0 ||
      bytes.U64(zip64 + 24) != bytes.U64(zip64 + 32)) {
    return Corrupt("the ZIP64 end record names more than one disk");
  }
  const Directory wide{bytes.U64(zip64 + 32), bytes.U64(zip64 + 40),
                       bytes.U64(zip64 + 48), zip64};
  if (!Agrees(directory.entries, kSaturated16, wide.entries) ||
      !Agrees(directory.size, kSaturated32, wide.size) ||
      !Agrees(directory.offset, kSaturated32, wide.offset)) {
    return Corrupt("the end record and the ZIP64 end record disagree");
  }
  return wide;
}

// One central directory entry's sizes and local header offset.
struct Entry {
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header = 0;
  uint64_t disk = 0;
};

// Replaces the saturated fields of `entry` from the ZIP64 extra field inside
// [extra, extra + length), in the order APPNOTE 4.5.3 gives.
absl::Status ReadZip64Extra(const Bytes& bytes, uint64_t extra, uint64_t length,
                            Entry* entry) {
  const bool need_uncompressed = entry->uncompressed_size == kSaturated32;
  const bool need_compressed = entry->compressed_size == kSaturated32;
  const bool need_offset = entry->local_header == kSaturated32;
  const bool need_disk = entry->disk == kSaturated16;
  if (!need_uncompressed && !need_compressed && !need_offset && !need_disk) {
    return absl::OkStatus();
  }
  const uint64_t limit = extra + length;
  for (uint64_t field = extra; Fits(field, 4, limit);) {
    const uint16_t id = bytes.U16(field);
    const uint64_t size = bytes.U16(field + 2);
    const uint64_t data = field + 4;
    if (!Fits(data, size, limit)) break;
    if (id == kZip64ExtraId) {
      const uint64_t needed =
          8 * (need_uncompressed + need_compressed + need_offset) +
          4 * need_disk;
      if (size < needed) break;
      uint64_t at = data;
      if (need_uncompressed) {
        entry->uncompressed_size = bytes.U64(at);
        at += 8;
      }
      if (need_compressed) {
        entry->compressed_size = bytes.U64(at);
        at += 8;
      }
      if (need_offset) {
        entry->local_header = bytes.U64(at);
        at += 8;
      }
      if (need_disk) entry->disk = bytes.U32(at);
      return absl::OkStatus();
    }
    field = data + size;
  }
  return absl::InvalidArgumentError(
      "its ZIP64 extra field is missing or short");
}

// Checks the central directory entry at `offset` (which ends at or before
// `limit`) and the local header and data it points to; returns where the next
// entry starts.
absl::StatusOr<uint64_t> CheckEntry(const Bytes& bytes,
                                    const Directory& directory, uint64_t index,
                                    uint64_t offset, uint64_t limit) {
  const std::string where = absl::StrCat("central directory entry ", index);
  if (!Fits(offset, kCentralHeaderSize, limit) ||
      bytes.U32(offset) != kCentralHeaderSignature) {
    return Corrupt(absl::StrCat(where, " is missing (the directory holds ",
                                directory.entries, " entries in ",
                                directory.size, " bytes)"));
  }
  const uint64_t name_length = bytes.U16(offset + 28);
  const uint64_t extra_length = bytes.U16(offset + 30);
  const uint64_t comment_length = bytes.U16(offset + 32);
  const uint64_t next =
      offset + kCentralHeaderSize + name_length + extra_length + comment_length;
  if (next > limit) {
    return Corrupt(absl::StrCat(where, " runs past the central directory"));
  }
  // The name as the message shows it: escaped, at most 64 bytes of it.
  const std::string name = absl::StrCat(
      where, " ('",
      absl::CHexEscape(bytes.Slice(offset + kCentralHeaderSize,
                                   std::min<uint64_t>(name_length, 64))),
      "')");
  Entry entry{bytes.U32(offset + 20), bytes.U32(offset + 24),
              bytes.U32(offset + 42), bytes.U16(offset + 34)};
  if (absl::Status read =
          ReadZip64Extra(bytes, offset + kCentralHeaderSize + name_length,
                         extra_length, &entry);
      !read.ok()) {
    return Corrupt(absl::StrCat(name, ": ", read.message()));
  }
  if (entry.disk != 0) {
    return Corrupt(absl::StrCat(name, " is on another disk"));
  }
  // Everything an entry owns lies before the central directory.
  const uint64_t header = entry.local_header;
  if (!Fits(header, kLocalHeaderSize, directory.offset) ||
      bytes.U32(header) != kLocalHeaderSignature) {
    return Corrupt(absl::StrCat(name, " points to offset ", header,
                                ", where there is no local file header"));
  }
  const uint64_t data = header + kLocalHeaderSize + bytes.U16(header + 26) +
                        bytes.U16(header + 28);
  if (!Fits(data, entry.compressed_size, directory.offset)) {
    return Corrupt(absl::StrCat(name, ": its ", entry.compressed_size,
                                " bytes of data at offset ", data,
                                " run past the start of the central directory "
                                "at ",
                                directory.offset));
  }
  return next;
}

}  // namespace

absl::Status ValidateZipContainer(absl::string_view text) {
  const Bytes bytes(text);
  if (bytes.size() == 0) {
    return absl::DataLossError(
        "is empty (0 bytes): truncated, or never written");
  }
  if (bytes.size() < 4 || bytes.U32(0) != kLocalHeaderSignature) {
    return absl::InvalidArgumentError(
        "is not a LibTorch archive: it does not start with a zip local file "
        "header");
  }
  absl::StatusOr<Directory> directory = ReadEndRecords(bytes);
  if (!directory.ok()) return directory.status();
  if (!Fits(directory->offset, directory->size, directory->end)) {
    return Corrupt(absl::StrCat("the central directory (", directory->size,
                                " bytes at offset ", directory->offset,
                                ") does not fit before its end record at ",
                                directory->end));
  }
  if (directory->entries == 0) {
    return absl::InvalidArgumentError("the zip archive holds no files");
  }
  const uint64_t limit = directory->offset + directory->size;
  uint64_t offset = directory->offset;
  for (uint64_t index = 0; index < directory->entries; ++index) {
    absl::StatusOr<uint64_t> next =
        CheckEntry(bytes, *directory, index, offset, limit);
    if (!next.ok()) return next.status();
    offset = *next;
  }
  if (offset != limit) {
    return Corrupt(absl::StrCat("the central directory has ", limit - offset,
                                " bytes after its ", directory->entries,
                                " entries"));
  }
  return absl::OkStatus();
}

}  // namespace wersa
