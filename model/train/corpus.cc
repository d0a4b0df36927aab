#include "model/train/corpus.h"

#include <algorithm>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace wersa::train {

absl::StatusOr<std::vector<Document>> LoadDocuments(const std::string& spec) {
  absl::string_view rest = spec;
  if (absl::ConsumePrefix(&rest, "fulltext:")) {
    const std::vector<std::string> paths = absl::StrSplit(rest, ',');
    if (paths.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", spec, "': expected fulltext:TAR_GZ,LABELS_TSV"));
    }
    return ReadFullTextCorpus(paths[0], paths[1]);
  }
  if (absl::ConsumePrefix(&rest, "abstracts:")) {
    return ReadAbstracts(std::string(rest));
  }
  if (absl::ConsumePrefix(&rest, "jsonl:")) return ReadJsonl(std::string(rest));
  return absl::InvalidArgumentError(
      absl::StrCat("dataset '", spec,
                   "': expected fulltext:TAR_GZ,LABELS_TSV, abstracts:TSV_GZ "
                   "or jsonl:PATH"));
}

LabelSet MakeLabelSet(std::vector<std::string> names) {
  LabelSet labels;
  labels.names = std::move(names);
  for (size_t i = 0; i < labels.names.size(); ++i) {
    labels.index[labels.names[i]] = static_cast<int>(i);
  }
  return labels;
}

LabelSet ChooseLabels(const std::vector<Document>& documents,
                      const std::string& explicit_labels,
                      int64_t min_documents) {
  if (!explicit_labels.empty()) {
    return MakeLabelSet(
        absl::StrSplit(explicit_labels, ',', absl::SkipEmpty()));
  }
  std::map<std::string, int64_t> counts;
  for (const Document& document : documents) ++counts[document.labels.front()];
  std::vector<std::pair<std::string, int64_t>> frequent;
  for (const auto& [label, count] : counts) {
    if (count >= min_documents) frequent.emplace_back(label, count);
  }
  std::sort(frequent.begin(), frequent.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<std::string> names;
  names.reserve(frequent.size());
  for (const auto& entry : frequent) names.push_back(entry.first);
  return MakeLabelSet(std::move(names));
}

std::vector<Document> KeepLabelled(std::vector<Document> documents,
                                   const LabelSet& labels) {
  documents.erase(
      std::remove_if(documents.begin(), documents.end(),
                     [&](const Document& document) {
                       return labels.index.count(document.labels.front()) == 0;
                     }),
      documents.end());
  return documents;
}

absl::StatusOr<LabelledCorpus> LoadLabelledCorpus(const std::string& spec,
                                                  const LabelSet& labels) {
  absl::StatusOr<std::vector<Document>> all = LoadDocuments(spec);
  if (!all.ok()) return all.status();
  const size_t read = all->size();
  LabelledCorpus corpus;
  corpus.documents = KeepLabelled(*std::move(all), labels);
  corpus.split = SplitByHash(corpus.documents);
  corpus.outside_label_set = read - corpus.documents.size();
  return corpus;
}

nlohmann::json SplitToJson(const Split& split) {
  return {{"split_rule",
           "per class: documents sorted by sha1(arxiv id); first 70% train, "
           "next 15% validation, rest test; at least one validation and one "
           "test document per class of >= 3"},
          {"split_sizes",
           {{"train", split.train.size()},
            {"validation", split.validation.size()},
            {"test", split.test.size()}}}};
}

absl::StatusOr<std::vector<Example>> MakeExamples(
    const std::vector<Document>& documents, const std::vector<size_t>& indices,
    const Tokenizer& tokenizer, const LabelSet& labels, ProblemType problem,
    int threads) {
  std::vector<Example> examples(indices.size());
  absl::Status failure;
  std::mutex failure_mutex;
  const auto work = [&](size_t worker, size_t workers) {
    for (size_t i = worker; i < indices.size(); i += workers) {
      const Document& document = documents[indices[i]];
      absl::StatusOr<std::vector<int32_t>> ids =
          tokenizer.Encode(document.text);
      if (!ids.ok() || ids->empty()) {
        const std::lock_guard<std::mutex> lock(failure_mutex);
        failure = absl::InvalidArgumentError(
            absl::StrCat("document '", document.id, "': ",
                         ids.ok() ? std::string("no tokens")
                                  : std::string(ids.status().message())));
        return;
      }
      examples[i].ids = *std::move(ids);
      for (const std::string& label : document.labels) {
        const auto it = labels.index.find(label);
        if (it == labels.index.end()) continue;
        if (std::find(examples[i].labels.begin(), examples[i].labels.end(),
                      it->second) == examples[i].labels.end()) {
          examples[i].labels.push_back(it->second);
        }
        if (problem == ProblemType::kSingleLabel) break;
      }
    }
  };
  const auto workers = static_cast<size_t>(std::max(1, threads));
  std::vector<std::thread> pool;
  for (size_t w = 0; w < workers; ++w) pool.emplace_back(work, w, workers);
  for (std::thread& thread : pool) thread.join();
  if (!failure.ok()) return failure;
  return examples;
}

}  // namespace wersa::train
