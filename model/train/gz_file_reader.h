#ifndef WERSA_MODEL_TRAIN_GZ_FILE_READER_H_
#define WERSA_MODEL_TRAIN_GZ_FILE_READER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"

// zlib's handle type, declared here so that zlib.h stays private to the
// library.
struct gzFile_s;

namespace wersa::train {

// Sequential reader of a gzip-compressed file through zlib. A file that is
// not gzip-compressed is read as it is (zlib's transparent mode), so one
// reader serves both `.tsv` and `.tsv.gz`. Every error message names the path.
class GzFileReader {
 public:
  static absl::StatusOr<GzFileReader> Open(const std::string& path);

  // Reads up to `size` bytes into `buffer`; returns how many were read, 0 only
  // at the end of the file. A gzip stream that ends early is an error, not an
  // end of file.
  absl::StatusOr<size_t> Read(char* buffer, size_t size);

  const std::string& path() const { return path_; }

 private:
  struct Closer {
    void operator()(gzFile_s* file) const;
  };

  GzFileReader(std::string path, std::unique_ptr<gzFile_s, Closer> file)
      : path_(std::move(path)), file_(std::move(file)) {}

  std::string path_;
  std::unique_ptr<gzFile_s, Closer> file_;
};

}  // namespace wersa::train

#endif  // WERSA_MODEL_TRAIN_GZ_FILE_READER_H_
