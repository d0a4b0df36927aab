#include "model/train/dataset.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "model/train/delimited_reader.h"
#include "model/train/sha1.h"
#include "model/train/tar_reader.h"
#include "model/utf8.h"

namespace wersa::train {
namespace {

using Json = nlohmann::json;

struct LegacyArchive {
  absl::string_view name;
  absl::string_view successor;
};

// From the data README, which maps the `archive` column the same way.
constexpr LegacyArchive kLegacyArchives[] = {
    {"alg-geom", "math"},    {"funct-an", "math"},    {"q-alg", "math"},
    {"dg-ga", "math"},       {"chao-dyn", "nlin"},    {"patt-sol", "nlin"},
    {"solv-int", "nlin"},    {"adap-org", "nlin"},    {"comp-gas", "nlin"},
    {"cmp-lg", "cs"},        {"mtrl-th", "cond-mat"}, {"supr-con", "cond-mat"},
    {"acc-phys", "physics"}, {"chem-ph", "physics"},  {"atom-ph", "physics"},
    {"plasm-ph", "physics"}, {"ao-sci", "physics"},   {"bayes-an", "physics"},
};

// The metadata separates categories with commas; arXiv's own listings use
// spaces, so both are accepted.
std::vector<absl::string_view> SplitCategories(absl::string_view categories) {
  return absl::StrSplit(categories, absl::ByAnyChar(", "), absl::SkipEmpty());
}

absl::Status CheckUtf8(absl::string_view text, absl::string_view where) {
  if (const std::optional<size_t> bad = FindInvalidUtf8(text)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": text is not UTF-8 (byte ", *bad, ")"));
  }
  return absl::OkStatus();
}

// Columns looked up by name, so that a reordered file still reads correctly.
absl::StatusOr<std::vector<size_t>> Columns(
    const DelimitedReader& reader,
    std::initializer_list<absl::string_view> names) {
  std::vector<size_t> columns;
  for (const absl::string_view name : names) {
    absl::StatusOr<size_t> column = reader.ColumnIndex(name);
    if (!column.ok()) return column.status();
    columns.push_back(*column);
  }
  return columns;
}

// The merged Systems and Control category has two names; the data README
// counts both as cs.SY.
std::string CanonicalCategory(absl::string_view category) {
  return category == "eess.SY" ? "cs.SY" : std::string(category);
}

}  // namespace

void AppendUnique(std::string label, std::vector<std::string>& labels) {
  if (std::find(labels.begin(), labels.end(), label) == labels.end()) {
    labels.push_back(std::move(label));
  }
}

absl::StatusOr<std::vector<Document>> ReadFullTextCorpus(
    const std::string& tar_gz, const std::string& labels_tsv) {
  absl::StatusOr<DelimitedReader> reader = DelimitedReader::Open(labels_tsv);
  if (!reader.ok()) return reader.status();
  absl::StatusOr<std::vector<size_t>> columns =
      Columns(*reader, {"arxiv_id", "path", "included", "categories", "archive",
                        "label_source"});
  if (!columns.ok()) return columns.status();
  const size_t id_column = (*columns)[0], path_column = (*columns)[1],
               included_column = (*columns)[2],
               categories_column = (*columns)[3],
               archive_column = (*columns)[4],
               label_source_column = (*columns)[5];

  // Every row of the index, whichever tar holds its text; the tar decides
  // which of them this corpus is.
  std::vector<Document> rows;
  std::vector<std::string> paths;
  std::vector<bool> included;
  absl::flat_hash_map<std::string, size_t> index_of_path;
  absl::flat_hash_set<std::string> ids;
  std::vector<std::string> record;
  while (true) {
    absl::StatusOr<bool> more = reader->Next(&record);
    if (!more.ok()) return more.status();
    if (!*more) break;
    const std::string& included_value = record[included_column];
    if (included_value != "0" && included_value != "1") {
      return absl::InvalidArgumentError(
          absl::StrCat(reader->Location(), ": included is '", included_value,
                       "', not 0 or 1"));
    }
    Document document;
    document.id = record[id_column];
    const std::string& archive = record[archive_column];
    const std::string& path = record[path_column];
    const std::string& label_source = record[label_source_column];
    const bool labelled = label_source != "none";
    if (document.id.empty() || path.empty() || (labelled && archive.empty())) {
      return absl::InvalidArgumentError(
          absl::StrCat(reader->Location(),
                       ": arxiv_id, path or (for a labelled row) archive is "
                       "empty"));
    }
    if (!ids.insert(document.id).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          reader->Location(), ": arxiv_id '", document.id, "' repeated"));
    }
    if (!index_of_path.emplace(path, rows.size()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(reader->Location(), ": path '", path, "' repeated"));
    }
    if (labelled) {
      document.labels.push_back(archive);
      for (const absl::string_view category :
           SplitCategories(record[categories_column])) {
        AppendUnique(ArchiveOfCategory(category), document.labels);
      }
    }
    rows.push_back(std::move(document));
    paths.push_back(path);
    included.push_back(included_value == "1");
  }

  std::vector<bool> found(rows.size(), false);
  absl::Status status = ForEachTarFile(
      tar_gz,
      [&](absl::string_view name, std::string contents) -> absl::Status {
        const auto it = index_of_path.find(name);
        if (it == index_of_path.end()) return absl::OkStatus();
        const std::string where = absl::StrCat(tar_gz, ": ", name);
        if (found[it->second]) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": appears twice in the archive"));
        }
        if (absl::Status utf8 = CheckUtf8(contents, where); !utf8.ok()) {
          return utf8;
        }
        found[it->second] = true;
        rows[it->second].text = std::move(contents);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  // Part A's tar holds exactly the included rows: when it holds any of them,
  // a missing one means a damaged or wrong archive.
  const bool holds_included = [&] {
    for (size_t i = 0; i < rows.size(); ++i) {
      if (found[i] && included[i]) return true;
    }
    return false;
  }();
  std::vector<Document> documents;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (holds_included && included[i] && !found[i]) {
      return absl::NotFoundError(absl::StrCat(tar_gz, ": has no file '",
                                              paths[i], "', which ", labels_tsv,
                                              " lists with included=1"));
    }
    if (found[i]) documents.push_back(std::move(rows[i]));
  }
  if (documents.empty()) {
    return absl::NotFoundError(absl::StrCat(
        tar_gz, ": holds none of the files ", labels_tsv, " lists"));
  }
  return documents;
}

absl::StatusOr<std::vector<Document>> ReadAbstracts(const std::string& tsv_gz) {
  absl::StatusOr<DelimitedReader> reader = DelimitedReader::Open(tsv_gz);
  if (!reader.ok()) return reader.status();
  absl::StatusOr<std::vector<size_t>> columns = Columns(
      *reader, {"arxiv_id", "title", "abstract", "primary_cat", "categories"});
  if (!columns.ok()) return columns.status();
  const size_t id_column = (*columns)[0], title_column = (*columns)[1],
               abstract_column = (*columns)[2], primary_column = (*columns)[3],
               categories_column = (*columns)[4];

  std::vector<Document> documents;
  absl::flat_hash_set<std::string> ids;
  std::vector<std::string> record;
  while (true) {
    absl::StatusOr<bool> more = reader->Next(&record);
    if (!more.ok()) return more.status();
    if (!*more) break;
    Document document;
    document.id = record[id_column];
    if (document.id.empty() || record[primary_column].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          reader->Location(), ": arxiv_id or primary_cat is empty"));
    }
    if (!ids.insert(document.id).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          reader->Location(), ": arxiv_id '", document.id, "' repeated"));
    }
    document.text =
        absl::StrCat(record[title_column], "\n\n", record[abstract_column]);
    if (absl::Status utf8 = CheckUtf8(document.text, reader->Location());
        !utf8.ok()) {
      return utf8;
    }
    document.labels.push_back(CanonicalCategory(record[primary_column]));
    for (const absl::string_view category :
         SplitCategories(record[categories_column])) {
      AppendUnique(CanonicalCategory(category), document.labels);
    }
    documents.push_back(std::move(document));
  }
  return documents;
}

absl::StatusOr<std::vector<Document>> ReadJsonl(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  }
  std::vector<Document> documents;
  absl::flat_hash_map<std::string, int64_t> line_of_id;
  std::string line;
  for (int64_t line_number = 1; std::getline(in, line); ++line_number) {
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    const std::string where = absl::StrCat(path, ": line ", line_number);
    const auto error = [&where](absl::string_view message) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", message));
    };
    Json json;
    try {
      json = Json::parse(line);
    } catch (const Json::parse_error& e) {
      return error(absl::StrCat("invalid JSON: ", e.what()));
    }
    if (!json.is_object()) return error("not a JSON object");

    Document document;
    const auto text = json.find("text");
    if (text == json.end() || !text->is_string()) {
      return error("\"text\" must be a string");
    }
    document.text = text->get<std::string>();

    const auto label = json.find("label");
    const auto labels = json.find("labels");
    if ((label == json.end()) == (labels == json.end())) {
      return error("needs exactly one of \"label\" and \"labels\"");
    }
    if (label != json.end()) {
      if (!label->is_string() || label->get_ref<const std::string&>().empty()) {
        return error("\"label\" must be a non-empty string");
      }
      document.labels.push_back(label->get<std::string>());
    } else {
      if (!labels->is_array() || labels->empty()) {
        return error("\"labels\" must be a non-empty array of strings");
      }
      for (const Json& value : *labels) {
        if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
          return error("\"labels\" must hold non-empty strings");
        }
        AppendUnique(value.get<std::string>(), document.labels);
      }
    }

    const auto id = json.find("id");
    if (id == json.end()) {
      document.id = absl::StrCat(line_number);
    } else if (id->is_string() && !id->get_ref<const std::string&>().empty()) {
      document.id = id->get<std::string>();
    } else if (id->is_number_integer()) {
      document.id = id->dump();
    } else {
      return error("\"id\" must be a non-empty string or an integer");
    }
    if (const auto [it, inserted] =
            line_of_id.emplace(document.id, line_number);
        !inserted) {
      return error(absl::StrCat("id '", document.id, "' already used on line ",
                                it->second));
    }
    documents.push_back(std::move(document));
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  return documents;
}

std::string ArchiveOfCategory(absl::string_view category) {
  const absl::string_view archive = category.substr(0, category.find('.'));
  for (const LegacyArchive& legacy : kLegacyArchives) {
    if (legacy.name == archive) return std::string(legacy.successor);
  }
  return std::string(archive);
}

Split SplitByHash(const std::vector<Document>& documents, double train_fraction,
                  double validation_fraction) {
  std::vector<std::string> hashes;
  hashes.reserve(documents.size());
  absl::flat_hash_map<absl::string_view, std::vector<size_t>> classes;
  for (size_t i = 0; i < documents.size(); ++i) {
    hashes.push_back(Sha1Hex(documents[i].id));
    const absl::string_view label =
        documents[i].labels.empty() ? absl::string_view()
                                    : absl::string_view(documents[i].labels[0]);
    classes[label].push_back(i);
  }

  constexpr int64_t kMillion = 1000000;
  const int64_t train_millionths =
      std::clamp<int64_t>(std::llround(train_fraction * kMillion), 0, kMillion);
  const int64_t through_validation_millionths = std::clamp<int64_t>(
      train_millionths + std::llround(validation_fraction * kMillion),
      train_millionths, kMillion);

  Split split;
  for (auto& [label, members] : classes) {
    std::sort(members.begin(), members.end(), [&hashes](size_t a, size_t b) {
      return std::tie(hashes[a], a) < std::tie(hashes[b], b);
    });
    const int64_t n = static_cast<int64_t>(members.size());
    const int64_t train_end = (n * train_millionths + kMillion / 2) / kMillion;
    const int64_t validation_end =
        (n * through_validation_millionths + kMillion / 2) / kMillion;
    int64_t train = train_end;
    int64_t validation = validation_end - train_end;
    int64_t test = n - validation_end;
    if (n >= 3) {
      if (validation == 0) {
        ++validation;
        if (train > 0) {
          --train;
        } else {
          --test;
        }
      }
      if (test == 0) {
        ++test;
        if (train > 0) {
          --train;
        } else {
          --validation;
        }
      }
    }
    const auto validation_begin = members.cbegin() + train;
    const auto test_begin = validation_begin + validation;
    split.train.insert(split.train.end(), members.cbegin(), validation_begin);
    split.validation.insert(split.validation.end(), validation_begin,
                            test_begin);
    split.test.insert(split.test.end(), test_begin, members.cend());
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.validation.begin(), split.validation.end());
  std::sort(split.test.begin(), split.test.end());
  return split;
}

}  // namespace wersa::train
