#include "model/train/delimited_reader.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace wersa::train {
namespace {

constexpr size_t kBufferBytes = 1 << 16;

}  // namespace

absl::StatusOr<DelimitedReader> DelimitedReader::Open(const std::string& path,
                                                      char delimiter) {
  absl::StatusOr<GzFileReader> file = GzFileReader::Open(path);
  if (!file.ok()) return file.status();
  DelimitedReader reader(*std::move(file), delimiter);
  absl::StatusOr<bool> has_header = reader.ReadRecord(&reader.header_);
  if (!has_header.ok()) return has_header.status();
  if (!*has_header) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": empty file: no header record"));
  }
  return reader;
}

absl::StatusOr<size_t> DelimitedReader::ColumnIndex(
    absl::string_view name) const {
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return i;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(file_.path(), ": the header has no column '", name, "'"));
}

absl::StatusOr<bool> DelimitedReader::Next(std::vector<std::string>* record) {
  absl::StatusOr<bool> has_record = ReadRecord(record);
  if (!has_record.ok() || !*has_record) return has_record;
  if (record->size() != header_.size()) {
    return absl::InvalidArgumentError(absl::StrCat(Location(), ": ",
                                                   record->size(),
                                                   " fields where the "
                                                   "header has ",
                                                   header_.size()));
  }
  return true;
}

std::string DelimitedReader::Location() const {
  return absl::StrCat(file_.path(), ": record ", record_number_, " (line ",
                      record_line_, ")");
}

absl::StatusOr<bool> DelimitedReader::Refill() {
  buffer_.resize(kBufferBytes);
  absl::StatusOr<size_t> read = file_.Read(buffer_.data(), buffer_.size());
  if (!read.ok()) return read.status();
  buffer_.resize(*read);
  buffer_position_ = 0;
  return *read > 0;
}

absl::StatusOr<bool> DelimitedReader::ReadRecord(
    std::vector<std::string>* record) {
  enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };
  record->clear();
  State state = State::kFieldStart;
  bool started = false;
  std::string field;
  while (true) {
    if (buffer_position_ == buffer_.size()) {
      absl::StatusOr<bool> more = Refill();
      if (!more.ok()) return more.status();
      if (!*more) break;
    }
    const char c = buffer_[buffer_position_++];
    const bool line_end = c == '\n' || c == '\r';
    if (c == '\r' || (c == '\n' && !after_cr_)) ++line_;
    after_cr_ = c == '\r';
    if (!started) {
      if (line_end) continue;
      started = true;
      ++record_number_;
      record_line_ = line_;
    }
    switch (state) {
      case State::kFieldStart:
        if (c == '"') {
          state = State::kQuoted;
          continue;
        }
        state = State::kUnquoted;
        [[fallthrough]];
      case State::kUnquoted:
        if (c == delimiter_) {
          record->push_back(std::move(field));
          field.clear();
          state = State::kFieldStart;
        } else if (line_end) {
          record->push_back(std::move(field));
          return true;
        } else {
          field.push_back(c);
        }
        continue;
      case State::kQuoted:
        if (c == '"') {
          state = State::kQuoteInQuoted;
        } else {
          field.push_back(c);
        }
        continue;
      case State::kQuoteInQuoted:
        if (c == '"') {
          field.push_back('"');
          state = State::kQuoted;
        } else if (c == delimiter_) {
          record->push_back(std::move(field));
          field.clear();
          state = State::kFieldStart;
        } else if (line_end) {
          record->push_back(std::move(field));
          return true;
        } else {
          return absl::InvalidArgumentError(absl::StrCat(
              Location(), ": unexpected character after a closing quote"));
        }
        continue;
    }
  }
  if (!started) return false;
  if (state == State::kQuoted) {
    return absl::InvalidArgumentError(absl::StrCat(
        Location(), ": quoted field not closed at the end of the file"));
  }
  record->push_back(std::move(field));
  return true;
}

}  // namespace wersa::train
