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
//   fulltext:TAR_GZ,LABELS_TSV   the rows of LABELS_TSV whose text is in
//                                TAR_GZ: part A, A2 or A3 of the arXiv data
//                                (ReadFullTextCorpus; A3's are unlabelled)
//   abstracts:TSV_GZ[,TSV_GZ...] part B, or part D's two halves (ReadAbstracts;
//                                an id repeated across files is an error)
//   jsonl:PATH                   {"text", "label"} or {"text", "labels": [...]}
//                                lines
absl::StatusOr<std::vector<Document>> LoadDocuments(const std::string& spec);

// One source of a run's data: a dataset (LoadDocuments) and how many times
// each of its documents is drawn per training epoch, in expectation.
struct DataSource {
  std::string spec;
  double weight = 1.0;
};

// "SPEC[@WEIGHT][;SPEC[@WEIGHT]...]": sources separated by ';', each with an
// optional weight after its last '@' (a finite number > 0; default 1).
absl::StatusOr<std::vector<DataSource>> ParseDataSources(
    absl::string_view list);

// Which names documents' labels are compared under. kArchive maps every label
// through ArchiveOfCategory (part D's "math.AC" trains the archive "math"),
// dropping the duplicates that makes.
enum class LabelLevel { kAsRead, kArchive };

// "as_read" or "archive".
absl::StatusOr<LabelLevel> ParseLabelLevel(absl::string_view name);

void ApplyLabelLevel(LabelLevel level, std::vector<Document>& documents);

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

// The documents whose primary label is in `labels` (never an unlabelled one).
std::vector<Document> KeepLabelled(std::vector<Document> documents,
                                   const LabelSet& labels);

// A run's labelled data (wersa-train --data): the first source's documents
// whose primary label is in the label set, split by SplitByHash, then every
// later source's labelled documents whose id is not among the first's, all
// of them for training. Unlabelled documents of any source are left out.
struct TrainingCorpus {
  std::vector<Document> documents;
  Split split;  // indices into documents; train holds the later sources too
  std::vector<double> sampling_weights;  // per document: its source's weight
  LabelSet labels;
  struct Source {
    std::string spec;
    double weight = 1.0;
    size_t read = 0;        // documents in the source
    size_t kept = 0;        // labelled, in the label set, not in the first
    size_t shared_ids = 0;  // left out: their id is in the first source
  };
  std::vector<Source> sources;
};

// Labels as ChooseLabels picks them from the first source.
absl::StatusOr<TrainingCorpus> LoadTrainingCorpus(
    const std::vector<DataSource>& sources, LabelLevel level,
    const std::string& explicit_labels, int64_t min_documents);

// The sources as eval.json records them.
nlohmann::json SourcesToJson(const TrainingCorpus& corpus);

// A dataset read for evaluating a bundle: the documents of the first source
// of `data` (ParseDataSources; the one wersa-train splits) whose primary label,
// at `level`, is in the bundle's label set, split by SplitByHash as
// wersa-train split them, and how many documents were left out for their
// label.
struct LabelledCorpus {
  std::vector<Document> documents;
  Split split;
  size_t outside_label_set = 0;
};

absl::StatusOr<LabelledCorpus> LoadLabelledCorpus(const std::string& data,
                                                  const LabelSet& labels,
                                                  LabelLevel level);

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
