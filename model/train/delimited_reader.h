#ifndef WERSA_MODEL_TRAIN_DELIMITED_READER_H_
#define WERSA_MODEL_TRAIN_DELIMITED_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/train/gz_file_reader.h"

namespace wersa::train {

// Reads delimited text as Python's csv module writes it with minimal quoting
// (`csv.writer(f, delimiter='\t')`), from a plain or a gzip-compressed file
// (detected from the content, not the name):
// - a field that starts with '"' is quoted; inside it delimiters, CR and LF
//   are literal and '""' is one '"'; after the closing quote only a
//   delimiter or the end of the record may follow;
// - in an unquoted field a '"' is literal, as Python reads it;
// - a record ends at LF, CRLF or CR outside quotes, or at the end of the file;
// - empty lines are skipped (Python writes a record of one empty field as
//   '""', so an empty line is never a record).
// The first record is the header; every later record must have as many fields
// as the header. Errors name the file, the record and the line it starts on.
class DelimitedReader {
 public:
  // Opens `path` and reads its header record.
  static absl::StatusOr<DelimitedReader> Open(const std::string& path,
                                              char delimiter = '\t');

  const std::vector<std::string>& header() const { return header_; }

  // The index of the header field `name`; an error naming the file if the
  // header does not have it.
  absl::StatusOr<size_t> ColumnIndex(absl::string_view name) const;

  // Reads the next record into `record`. Returns false, leaving `record`
  // empty, at the end of the file.
  absl::StatusOr<bool> Next(std::vector<std::string>* record);

  // "<path>: record <n> (line <l>)" for the record last read (the header is
  // record 0), for messages about its content.
  std::string Location() const;

 private:
  DelimitedReader(GzFileReader file, char delimiter)
      : file_(std::move(file)), delimiter_(delimiter) {}

  // Parses one record; false when the file holds no further record.
  absl::StatusOr<bool> ReadRecord(std::vector<std::string>* record);
  // Reads the next part of the file into `buffer_`; false at the end of it.
  absl::StatusOr<bool> Refill();

  GzFileReader file_;
  char delimiter_;
  std::vector<std::string> header_;
  std::string buffer_;
  size_t buffer_position_ = 0;
  // Whether the last byte read was a CR, so that CRLF counts as one line.
  bool after_cr_ = false;
  int64_t line_ = 1;
  int64_t record_number_ = -1;
  int64_t record_line_ = 1;
};

}  // namespace wersa::train

#endif  // WERSA_MODEL_TRAIN_DELIMITED_READER_H_
