#include "model/train/gz_file_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace wersa::train {
namespace {

// zlib's default 8 KiB buffer makes a read() system call per few pages.
constexpr unsigned kGzBufferBytes = 1 << 17;

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

}  // namespace wersa::train
