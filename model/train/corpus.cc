#include "model/train/corpus.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
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
    std::vector<Document> documents;
    absl::flat_hash_set<std::string> ids;
    for (const absl::string_view path : absl::StrSplit(rest, ',')) {
      absl::StatusOr<std::vector<Document>> read =
          ReadAbstracts(std::string(path));
      if (!read.ok()) return read.status();
      for (Document& document : *read) {
        if (!ids.insert(document.id).second) {
          return absl::InvalidArgumentError(absl::StrCat(
              path, ": arxiv_id '", document.id, "' is in an earlier file"));
        }
        documents.push_back(std::move(document));
      }
    }
    return documents;
  }
  if (absl::ConsumePrefix(&rest, "jsonl:")) return ReadJsonl(std::string(rest));
  return absl::InvalidArgumentError(
      absl::StrCat("dataset '", spec,
                   "': expected fulltext:TAR_GZ,LABELS_TSV, "
                   "abstracts:TSV_GZ[,TSV_GZ...] or jsonl:PATH"));
}

absl::StatusOr<std::vector<DataSource>> ParseDataSources(
    absl::string_view list) {
  std::vector<DataSource> sources;
  for (const absl::string_view entry :
       absl::StrSplit(list, ';', absl::SkipWhitespace())) {
    DataSource source;
    source.spec = std::string(absl::StripAsciiWhitespace(entry));
    const size_t at = source.spec.rfind('@');
    if (at != std::string::npos) {
      const std::string weight = source.spec.substr(at + 1);
      if (!absl::SimpleAtod(weight, &source.weight) ||
          !std::isfinite(source.weight) || source.weight <= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("data source '", source.spec, "': weight '", weight,
                         "' is not a number > 0"));
      }
      source.spec.resize(at);
    }
    sources.push_back(std::move(source));
  }
  if (sources.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no data source in '", list, "'"));
  }
  return sources;
}

absl::StatusOr<LabelLevel> ParseLabelLevel(absl::string_view name) {
  if (name == "as_read") return LabelLevel::kAsRead;
  if (name == "archive") return LabelLevel::kArchive;
  return absl::InvalidArgumentError(
      absl::StrCat("label level '", name, "': expected as_read or archive"));
}

void ApplyLabelLevel(LabelLevel level, std::vector<Document>& documents) {
  if (level == LabelLevel::kAsRead) return;
  for (Document& document : documents) {
    std::vector<std::string> archives;
    for (const std::string& label : document.labels) {
      AppendUnique(ArchiveOfCategory(label), archives);
    }
    document.labels = std::move(archives);
  }
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
  for (const Document& document : documents) {
    if (!document.labels.empty()) ++counts[document.labels.front()];
  }
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
                       return document.labels.empty() ||
                              labels.index.count(document.labels.front()) == 0;
                     }),
      documents.end());
  return documents;
}

absl::StatusOr<LabelledCorpus> LoadLabelledCorpus(const std::string& data,
                                                  const LabelSet& labels,
                                                  LabelLevel level) {
  absl::StatusOr<std::vector<DataSource>> sources = ParseDataSources(data);
  if (!sources.ok()) return sources.status();
  absl::StatusOr<std::vector<Document>> all =
      LoadDocuments(sources->front().spec);
  if (!all.ok()) return all.status();
  ApplyLabelLevel(level, *all);
  const size_t read = all->size();
  LabelledCorpus corpus;
  corpus.documents = KeepLabelled(*std::move(all), labels);
  corpus.split = SplitByHash(corpus.documents);
  corpus.outside_label_set = read - corpus.documents.size();
  return corpus;
}

absl::StatusOr<TrainingCorpus> LoadTrainingCorpus(
    const std::vector<DataSource>& sources, LabelLevel level,
    const std::string& explicit_labels, int64_t min_documents) {
  TrainingCorpus corpus;
  absl::flat_hash_set<std::string> first_ids;
  for (size_t s = 0; s < sources.size(); ++s) {
    absl::StatusOr<std::vector<Document>> read = LoadDocuments(sources[s].spec);
    if (!read.ok()) return read.status();
    ApplyLabelLevel(level, *read);
    TrainingCorpus::Source summary{sources[s].spec, sources[s].weight,
                                   read->size()};
    if (s == 0) {
      corpus.labels = ChooseLabels(*read, explicit_labels, min_documents);
      if (corpus.labels.names.empty()) {
        return absl::InvalidArgumentError("no label has enough documents");
      }
      for (const Document& document : *read) first_ids.insert(document.id);
      corpus.documents = KeepLabelled(*std::move(read), corpus.labels);
      corpus.split = SplitByHash(corpus.documents);
      corpus.sampling_weights.assign(corpus.documents.size(),
                                     sources[s].weight);
      summary.kept = corpus.documents.size();
    } else {
      for (Document& document : KeepLabelled(*std::move(read), corpus.labels)) {
        // Nothing of a validation or test document may reach training.
        if (first_ids.count(document.id) != 0) {
          ++summary.shared_ids;
          continue;
        }
        corpus.split.train.push_back(corpus.documents.size());
        corpus.documents.push_back(std::move(document));
        corpus.sampling_weights.push_back(sources[s].weight);
        ++summary.kept;
      }
    }
    corpus.sources.push_back(std::move(summary));
  }
  return corpus;
}

nlohmann::json SourcesToJson(const TrainingCorpus& corpus) {
  nlohmann::json sources = nlohmann::json::array();
  for (const TrainingCorpus::Source& source : corpus.sources) {
    sources.push_back({{"spec", source.spec},
                       {"weight", source.weight},
                       {"documents_read", source.read},
                       {"documents_kept", source.kept},
                       {"shared_ids_left_out", source.shared_ids}});
  }
  return sources;
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
