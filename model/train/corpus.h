#ifndef WERSA_MODEL_TRAIN_CORPUS_H_
#define WERSA_MODEL_TRAIN_CORPUS_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/model_config.h"
#include "model/tokenizer.h"
#include "model/train/dataset.h"
#include "model/train/trainer.h"

namespace wersa::train {

// Reads a dataset named on the command line:
//   fulltext:TAR_GZ,LABELS_TSV   part A of the arXiv data (full texts)
//   abstracts:TSV_GZ             part B (titles and abstracts)
//   jsonl:PATH                   {"text", "label"} or {"text", "labels": [...]}
//   lines
absl::StatusOr<std::vector<Document>> LoadDocuments(const std::string& spec);

struct LabelSet {
  std::vector<std::string> names;  // head order
  std::map<std::string, int> index;
};

LabelSet MakeLabelSet(std::vector<std::string> names);

// The labels to train: the comma-separated `explicit_labels` when given,
// else every primary label with at least `min_documents` documents, most
// frequent first (ties by name).
LabelSet ChooseLabels(const std::vector<Document>& documents,
                      const std::string& explicit_labels,
                      int64_t min_documents);

// The documents whose primary label is in `labels`.
std::vector<Document> KeepLabelled(std::vector<Document> documents,
                                   const LabelSet& labels);

// A dataset read for evaluating a bundle: the documents whose primary label
// is in the bundle's label set, split by SplitByHash as wersa-train split
// them, and how many documents were left out for their label.
struct LabelledCorpus {
  std::vector<Document> documents;
  Split split;
  size_t outside_label_set = 0;
};

absl::StatusOr<LabelledCorpus> LoadLabelledCorpus(const std::string& spec,
                                                  const LabelSet& labels);

// The split as a bundle's eval.json records it: "split_rule" (SplitByHash in
// words) and "split_sizes" (train, validation, test).
nlohmann::json SplitToJson(const Split& split);

// Token ids and label indices. Single-label examples take the primary label;
// multi-label examples every label of the set (others are dropped). Runs on
// `threads` threads.
absl::StatusOr<std::vector<Example>> MakeExamples(
    const std::vector<Document>& documents, const std::vector<size_t>& indices,
    const Tokenizer& tokenizer, const LabelSet& labels, ProblemType problem,
    int threads);

}  // namespace wersa::train

#endif  // WERSA_MODEL_TRAIN_CORPUS_H_
