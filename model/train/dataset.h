#ifndef WERSA_MODEL_TRAIN_DATASET_H_
#define WERSA_MODEL_TRAIN_DATASET_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace wersa::train {

// One document. labels[0] is the primary label (the class of single-label
// training), the rest are the other labels (for multi-label training),
// without duplicates. `labels` is empty only for text without labels (part
// A3 of the arXiv data), which serves pre-training and the tokenizer.
struct Document {
  std::string id;
  std::string text;
  std::vector<std::string> labels;
};

// Full texts of the arXiv data (shared/data/arxiv/README.md): the rows of
// `labels_tsv` whose `path` is in `tar_gz`, in file order, each with that
// file's text. So part A's tar gives its included=1 rows, A2's and A3's tars
// theirs. id = `arxiv_id`; labels[0] = `archive`, then the archive
// (ArchiveOfCategory) of every entry of `categories`; a row whose
// label_source is "none" has no labels. When the tar holds any included=1
// row, every included=1 row must be in it (part A whole). A tar holding no
// listed file, a duplicate id or path, and text that is not UTF-8 are
// errors.
absl::StatusOr<std::vector<Document>> ReadFullTextCorpus(
    const std::string& tar_gz, const std::string& labels_tsv);

// Part B of the arXiv data: the abstracts .tsv.gz, in file order. id =
// `arxiv_id`; text = title + "\n\n" + abstract; labels[0] = `primary_cat`,
// then the other entries of `categories` (split at commas and spaces). eess.SY
// becomes cs.SY wherever it appears, as the data README merges the two.
absl::StatusOr<std::vector<Document>> ReadAbstracts(const std::string& tsv_gz);

// User data: one JSON object per line, {"text": "...", "label": "x"} or
// {"text": "...", "labels": ["x", "y"]} (labels[0] primary), with an optional
// "id" (a string or an integer; default: the 1-based line number). Blank
// lines are skipped; other keys are ignored. Errors name the file and line.
absl::StatusOr<std::vector<Document>> ReadJsonl(const std::string& path);

// The arXiv archive of a category: "math.AC" -> "math",
// "cond-mat.stat-mech" -> "cond-mat", "hep-th" -> "hep-th"; the legacy
// archives are mapped to their successors as in the data README (e.g.
// "alg-geom" -> "math", "chao-dyn" -> "nlin", "cmp-lg" -> "cs").
std::string ArchiveOfCategory(absl::string_view category);

// Appends `label` unless `labels` already holds it: labels stay in first-seen
// order without duplicates.
void AppendUnique(std::string label, std::vector<std::string>& labels);

// Indices into a document vector, each list in ascending order.
struct Split {
  std::vector<size_t> train, validation, test;
};

// The deterministic split rule of the data README. Within each class
// (labels[0]; a document without labels counts as class ""), documents are
// ordered by Sha1Hex(id), equal ids by index. For a class of n documents, with
// the fractions taken in millionths so that the result does not hinge on
// floating-point rounding and is easy to reproduce elsewhere,
//   t = round(1e6 * train_fraction) clamped to [0, 1e6],
//   u = t + round(1e6 * validation_fraction) clamped to [t, 1e6],
// and integer division (halves round up):
//   train_end      = (n * t + 500000) / 1000000
//   validation_end = (n * u + 500000) / 1000000
// The first train_end documents go to train, those up to validation_end to
// validation, the rest to test. When n >= 3, an empty validation or test list
// then takes one document from train (from the other of the two when train is
// empty). So at 0.70/0.15: 100 documents give 70/15/15, 10 give 7/2/1, 3 give
// 1/1/1, 2 give 1/1/0 and 1 gives 1/0/0.
Split SplitByHash(const std::vector<Document>& documents,
                  double train_fraction = 0.70,
                  double validation_fraction = 0.15);

}  // namespace wersa::train

#endif  // WERSA_MODEL_TRAIN_DATASET_H_
