#include "model/train/tar_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace wersa::train {
namespace {

// Large reads: the archives are hundreds of megabytes.
constexpr size_t kReadBlockBytes = 1 << 17;

struct ArchiveFree {
  void operator()(archive* reader) const { archive_read_free(reader); }
};
using ArchiveReader = std::unique_ptr<archive, ArchiveFree>;

absl::Status ArchiveError(archive* reader, const std::string& path,
                          absl::string_view doing) {
  const char* message = archive_error_string(reader);
  const std::string text =
      absl::StrCat(path, ": ", doing, ": ", message != nullptr ? message : "");
  if (archive_errno(reader) == ENOENT) return absl::NotFoundError(text);
  return absl::DataLossError(text);
}

// The bytes of the entry the reader stands at, `size` as its header says.
absl::StatusOr<std::string> ReadEntry(archive* reader, int64_t size,
                                      const std::string& path,
                                      absl::string_view name) {
  std::string contents(static_cast<size_t>(size), '\0');
  size_t filled = 0;
  while (filled < contents.size()) {
    const la_ssize_t read = archive_read_data(reader, contents.data() + filled,
                                              contents.size() - filled);
    if (read < 0) {
      return ArchiveError(reader, path, absl::StrCat("reading '", name, "'"));
    }
    if (read == 0) {
      return absl::DataLossError(
          absl::StrCat(path, ": '", name, "' ends early"));
    }
    filled += static_cast<size_t>(read);
  }
  return contents;
}

}  // namespace

absl::Status ForEachTarFile(const std::string& path,
                            const TarFileVisitor& visit) {
  ArchiveReader reader(archive_read_new());
  if (reader == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": cannot allocate an archive reader"));
  }
  archive_read_support_filter_gzip(reader.get());
  archive_read_support_format_tar(reader.get());
  if (archive_read_open_filename(reader.get(), path.c_str(), kReadBlockBytes) !=
      ARCHIVE_OK) {
    return ArchiveError(reader.get(), path, "cannot open");
  }
  while (true) {
    archive_entry* entry = nullptr;
    const int header = archive_read_next_header(reader.get(), &entry);
    if (header == ARCHIVE_EOF) return absl::OkStatus();
    // ARCHIVE_WARN (an unknown pax keyword, say) still yields the entry.
    if (header < ARCHIVE_WARN) {
      return ArchiveError(reader.get(), path, "reading the next entry");
    }
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    const char* name = archive_entry_pathname(entry);
    if (name == nullptr) {
      return absl::DataLossError(
          absl::StrCat(path, ": an entry has no readable name"));
    }
    absl::StatusOr<std::string> contents =
        ReadEntry(reader.get(), archive_entry_size(entry), path, name);
    if (!contents.ok()) return contents.status();
    if (absl::Status visited = visit(name, *std::move(contents));
        !visited.ok()) {
      return visited;
    }
  }
}

}  // namespace wersa::train
