#include "model/train/tar_gz_reader.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace wersa::train {
namespace {

constexpr size_t kBlockBytes = 512;
// zlib's default 8 KiB buffer makes a read() system call per few pages.
constexpr unsigned kGzBufferBytes = 1 << 17;

// Offsets and lengths of the ustar header fields this reader uses.
constexpr size_t kNameOffset = 0, kNameLength = 100;
constexpr size_t kSizeOffset = 124, kSizeLength = 12;
constexpr size_t kChecksumOffset = 148, kChecksumLength = 8;
constexpr size_t kTypeOffset = 156;
constexpr size_t kMagicOffset = 257;
constexpr size_t kPrefixOffset = 345, kPrefixLength = 155;
// POSIX ustar; GNU tar writes "ustar  \0" and uses the prefix bytes for other
// fields, so the prefix is honoured only after this magic.
constexpr absl::string_view kUstarMagic("ustar\0", 6);

using Block = std::array<char, kBlockBytes>;

// A NUL-terminated (or full-width) header field.
absl::string_view TextField(const Block& block, size_t offset, size_t length) {
  const absl::string_view field(block.data() + offset, length);
  return field.substr(0, field.find('\0'));
}

// Octal number, optionally padded with leading spaces and trailing spaces or
// NULs, as tar writers disagree on the padding.
std::optional<uint64_t> ParseOctal(absl::string_view field) {
  size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  uint64_t value = 0;
  size_t digits = 0;
  for (; i < field.size() && field[i] >= '0' && field[i] <= '7'; ++i) {
    value = value * 8 + static_cast<uint64_t>(field[i] - '0');
    ++digits;
  }
  for (; i < field.size(); ++i) {
    if (field[i] != ' ' && field[i] != '\0') return std::nullopt;
  }
  if (digits == 0) return std::nullopt;
  return value;
}

bool IsZeroBlock(const Block& block) {
  return std::all_of(block.begin(), block.end(),
                     [](char c) { return c == '\0'; });
}

// Old writers summed signed chars, so either sum is accepted, as GNU tar does.
bool ChecksumMatches(const Block& block, uint64_t expected) {
  uint64_t unsigned_sum = 0;
  int64_t signed_sum = 0;
  for (size_t i = 0; i < kBlockBytes; ++i) {
    const bool in_checksum =
        i >= kChecksumOffset && i < kChecksumOffset + kChecksumLength;
    const char c = in_checksum ? ' ' : block[i];
    unsigned_sum += static_cast<unsigned char>(c);
    signed_sum += static_cast<signed char>(c);
  }
  return unsigned_sum == expected ||
         signed_sum == static_cast<int64_t>(expected);
}

// Fills `buffer` completely; a short read means the archive was cut off
// `where` ("inside entry 'x'").
absl::Status ReadExactly(GzFileReader& in, char* buffer, size_t size,
                         absl::string_view where) {
  size_t done = 0;
  while (done < size) {
    absl::StatusOr<size_t> read = in.Read(buffer + done, size - done);
    if (!read.ok()) return read.status();
    if (*read == 0) {
      return absl::DataLossError(
          absl::StrCat(in.path(), ": truncated tar archive: it ends ", where));
    }
    done += *read;
  }
  return absl::OkStatus();
}

// The overrides a pax extended header ('x') gives the entry that follows.
struct PaxOverrides {
  std::optional<std::string> path;
  std::optional<uint64_t> size;
};

// Records are "<length> <key>=<value>\n", the length counting the whole
// record.
absl::Status ParsePaxRecords(absl::string_view data,
                             absl::string_view archive_path,
                             PaxOverrides& overrides) {
  while (!data.empty()) {
    const size_t space = data.find(' ');
    size_t length = 0;
    if (space == absl::string_view::npos ||
        !absl::SimpleAtoi(data.substr(0, space), &length) ||
        length <= space + 1 || length > data.size() ||
        data[length - 1] != '\n') {
      return absl::DataLossError(
          absl::StrCat(archive_path, ": malformed pax extended header"));
    }
    const absl::string_view record = data.substr(space + 1, length - space - 2);
    data.remove_prefix(length);
    const size_t equals = record.find('=');
    if (equals == absl::string_view::npos) {
      return absl::DataLossError(
          absl::StrCat(archive_path, ": malformed pax extended header"));
    }
    const absl::string_view key = record.substr(0, equals);
    const absl::string_view value = record.substr(equals + 1);
    if (key == "path") {
      overrides.path = std::string(value);
    } else if (key == "size") {
      uint64_t size = 0;
      if (!absl::SimpleAtoi(value, &size)) {
        return absl::DataLossError(
            absl::StrCat(archive_path, ": malformed pax size record"));
      }
      overrides.size = size;
    }
  }
  return absl::OkStatus();
}

}  // namespace

void GzFileReader::Closer::operator()(gzFile_s* file) const { gzclose(file); }

absl::StatusOr<GzFileReader> GzFileReader::Open(const std::string& path) {
  errno = 0;
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    if (errno != 0) return absl::ErrnoToStatus(errno, path);
    return absl::UnknownError(absl::StrCat(path, ": cannot open"));
  }
  std::unique_ptr<gzFile_s, Closer> owned(file);
  gzbuffer(file, kGzBufferBytes);
  return GzFileReader(path, std::move(owned));
}

absl::StatusOr<size_t> GzFileReader::Read(char* buffer, size_t size) {
  const int read =
      gzread(file_.get(), buffer,
             static_cast<unsigned>(std::min<size_t>(size, INT_MAX)));
  int code = Z_OK;
  const char* message = gzerror(file_.get(), &code);
  if (read < 0) {
    return absl::DataLossError(
        absl::StrCat(path_, ": cannot read gzip data: ", message));
  }
  // zlib reports a stream cut short only through gzerror, as Z_BUF_ERROR.
  if (code == Z_BUF_ERROR) {
    return absl::DataLossError(
        absl::StrCat(path_, ": truncated gzip stream: ", message));
  }
  return static_cast<size_t>(read);
}

absl::Status ForEachTarGzFile(const std::string& path,
                              const TarFileVisitor& visit) {
  absl::StatusOr<GzFileReader> in = GzFileReader::Open(path);
  if (!in.ok()) return in.status();

  // A GNU 'L' entry or a pax 'x' header describes the entry after it.
  std::optional<std::string> long_name;
  PaxOverrides pax;
  Block block;
  while (true) {
    if (absl::Status status = ReadExactly(*in, block.data(), kBlockBytes,
                                          "before its end-of-archive block");
        !status.ok()) {
      return status;
    }
    if (IsZeroBlock(block)) return absl::OkStatus();

    const std::optional<uint64_t> checksum = ParseOctal(
        absl::string_view(block.data() + kChecksumOffset, kChecksumLength));
    if (!checksum.has_value() || !ChecksumMatches(block, *checksum)) {
      return absl::DataLossError(
          absl::StrCat(path, ": not a tar archive or corrupt tar header"));
    }
    const char type = block[kTypeOffset];
    const bool is_extension =
        type == 'L' || type == 'K' || type == 'x' || type == 'g';
    std::string name(TextField(block, kNameOffset, kNameLength));
    if (absl::string_view(block.data() + kMagicOffset, kUstarMagic.size()) ==
        kUstarMagic) {
      const absl::string_view prefix =
          TextField(block, kPrefixOffset, kPrefixLength);
      if (!prefix.empty()) name = absl::StrCat(prefix, "/", name);
    }
    std::optional<uint64_t> size =
        ParseOctal(absl::string_view(block.data() + kSizeOffset, kSizeLength));
    if (!is_extension) {
      if (pax.path.has_value()) {
        name = *std::move(pax.path);
      } else if (long_name.has_value()) {
        name = *std::move(long_name);
      }
      if (pax.size.has_value()) size = pax.size;
      long_name.reset();
      pax = PaxOverrides();
    }
    if (!size.has_value()) {
      return absl::DataLossError(
          absl::StrCat(path, ": entry '", name, "' has an unreadable size"));
    }

    std::string contents(*size, '\0');
    const std::string where = absl::StrCat("inside entry '", name, "'");
    const size_t padding = (kBlockBytes - *size % kBlockBytes) % kBlockBytes;
    if (absl::Status status =
            ReadExactly(*in, contents.data(), contents.size(), where);
        !status.ok()) {
      return status;
    }
    if (absl::Status status = ReadExactly(*in, block.data(), padding, where);
        !status.ok()) {
      return status;
    }

    switch (type) {
      case 'L':
        long_name = contents.substr(0, contents.find('\0'));
        break;
      case 'x':
        if (absl::Status status = ParsePaxRecords(contents, path, pax);
            !status.ok()) {
          return status;
        }
        break;
      // '\0' is the pre-POSIX regular file and '7' a contiguous file, which
      // POSIX says to read as regular. Everything else (directories, links,
      // devices, GNU 'K' link names, pax global headers) is skipped.
      case '0':
      case '\0':
      case '7':
        if (absl::Status status = visit(name, std::move(contents));
            !status.ok()) {
          return status;
        }
        break;
      default:
        break;
    }
  }
}

}  // namespace wersa::train
