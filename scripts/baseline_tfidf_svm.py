#!/usr/bin/python3
"""TF-IDF (unigrams and bigrams) with a linear SVM on part A of the arXiv data.

The classical baseline that docs/MODEL_CARD.md compares the shipped WERSA model
with. It applies the same split rule as wersa-train (model/train/dataset.h:
per class, documents sorted by sha1(arxiv_id); 70% train, 15% validation, 15%
test, fractions in millionths, halves rounding up, at least one validation and
one test document per class of >= 3), picks C on the validation split, and
reports accuracy, macro-F1 and one-vs-rest macro ROC-AUC on validation and
test. Needs Debian's python3-sklearn (scripts/install-deps.sh --baseline).

For each split it also counts the papers listed (labels.tsv, `categories`)
in more than one of the 11 archives, and the errors whose predicted archive
is one the paper is listed in: how much of the error is the primary
category of a cross-listed paper. --predictions FILE... (wersa-eval
--predictions output) reports the same for a WERSA bundle's predictions.

What it reads, under ARXIV_DATA_DIR (see its README.md):
  part A   fulltext/korzen_groundtruth_labelled.tar.gz, with fulltext/labels.tsv
           (rows with included = 1 and an archive among the 11 LABELS): the
           train, validation and test splits.
  --train-extra SRC[@WEIGHT] (repeatable, each SRC once) adds training
  documents only; validation and test stay part A's split:
  D        abstracts11/abstracts11.part{1,2}.tsv.gz (csv module, tab); text =
           title + "\n\n" + abstract, as the C++ reader joins them; label =
           `archive` (rows outside the 11 archives are counted and dropped).
  A2       fulltext/korzen_groundtruth_archive_from_id.tar.gz, its rows of
           labels.tsv (label_source = id_prefix) found by `path`; label =
           `archive`, only rows in the 11 archives.
  WEIGHT (default 1) is each of the source's documents' sample weight in
  LinearSVC.fit(sample_weight=...), part A's training documents weighing 1: it
  mirrors wersa-train's per-source sampling weight (expected visits per
  document per epoch). An extra document whose arxiv_id is in part A's tar
  (any split, any archive) is dropped and counted. The vectorizer (min_df=2,
  max_df=0.9, sublinear tf, as for part A alone) is fitted on all training
  documents: with D that is about 1.6 million features and 2.7 GB peak RSS.
  `class_weight="balanced"` counts documents, not their weights.

C is picked on part A's validation split (accuracy, then macro-F1) from C in
{0.1, 0.3, 1, 3, 10} x class_weight {None, balanced}; with --train-extra C = 10
is left out: on A train + D a fit took about 30, 35, 55, 90 and 220 s for
C = 0.1, 0.3, 1, 3, 10 (2 busy cores), and C = 10 scored below C = 3 on
validation, so a run with D takes about 9 minutes.

The JSON report (--json OUT) also lists the training data: for part A's
train split and each extra source, its name, files, weight, documents and
per-class counts (and, for an extra source, how many were dropped).

usage: scripts/baseline_tfidf_svm.py ARXIV_DATA_DIR [--json OUT]
           [--train-extra {D,A2}[@WEIGHT]]... [--predictions FILE...]
"""
import argparse
import collections
import csv
import gzip
import hashlib
import json
import sys
import tarfile
import time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.svm import LinearSVC

LABELS = ["math", "physics", "cs", "cond-mat", "nlin", "q-bio", "stat", "quant-ph",
          "astro-ph", "math-ph", "q-fin"]
MILLION = 1000000
# (C, class_weight) tried on part A's validation split: the full grid for part A
# alone; without C = 10 with --train-extra (see the docstring for the timings).
GRID = [(c, weight) for c in (0.1, 0.3, 1.0, 3.0, 10.0) for weight in (None, "balanced")]
GRID_EXTRA = [(c, weight) for c in (0.1, 0.3, 1.0, 3.0) for weight in (None, "balanced")]
# labels.tsv's legacy archive names and their successors: the data README's
# table, as model/train/dataset.cc applies it to the `categories` column.
LEGACY_ARCHIVES = {
    "alg-geom": "math", "funct-an": "math", "q-alg": "math", "dg-ga": "math",
    "chao-dyn": "nlin", "patt-sol": "nlin", "solv-int": "nlin", "adap-org": "nlin",
    "comp-gas": "nlin", "cmp-lg": "cs", "mtrl-th": "cond-mat", "supr-con": "cond-mat",
    "acc-phys": "physics", "chem-ph": "physics", "atom-ph": "physics",
    "plasm-ph": "physics", "ao-sci": "physics", "bayes-an": "physics"}


def listed_archives(categories):
    archives = set()
    for category in categories.split(","):
        archive = category.strip().split(".")[0]
        archives.add(LEGACY_ARCHIVES.get(archive, archive))
    return archives & set(LABELS)


def read_part_a(data_dir):
    rows = {}
    with open(f"{data_dir}/fulltext/labels.tsv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["included"] == "1" and row["archive"] in LABELS:
                rows[row["path"]] = row
    documents = []
    with tarfile.open(f"{data_dir}/fulltext/korzen_groundtruth_labelled.tar.gz") as tar:
        for member in tar:
            if member.isfile() and member.name in rows:
                text = tar.extractfile(member).read().decode("utf-8")
                row = rows[member.name]
                documents.append((row["arxiv_id"], row["archive"], text,
                                  listed_archives(row["categories"])))
    documents.sort(key=lambda d: d[0])
    return documents


EXTRA_SOURCES = {
    "D": ["abstracts11/abstracts11.part1.tsv.gz", "abstracts11/abstracts11.part2.tsv.gz"],
    "A2": ["fulltext/korzen_groundtruth_archive_from_id.tar.gz", "fulltext/labels.tsv"],
}


def parse_extra(value):
    """SRC[@WEIGHT] of --train-extra."""
    source, _, weight = value.partition("@")
    if source not in EXTRA_SOURCES:
        raise argparse.ArgumentTypeError(
            f"unknown source '{source}' (expected one of {', '.join(EXTRA_SOURCES)})")
    try:
        weight = float(weight) if weight else 1.0
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad weight in '{value}'") from None
    if not weight > 0 or weight == float("inf"):
        raise argparse.ArgumentTypeError(f"weight must be positive and finite: '{value}'")
    return source, weight


def part_a_ids(data_dir):
    """Every arxiv_id of part A's tar (labels.tsv rows with included = 1), whatever
    its archive: a superset of the ids in part A's three splits."""
    with open(f"{data_dir}/fulltext/labels.tsv", newline="", encoding="utf-8") as f:
        return {row["arxiv_id"] for row in csv.DictReader(f, delimiter="\t")
                if row["included"] == "1"}


def read_part_d(data_dir):
    """Part D: (arxiv_id, archive, title + "\n\n" + abstract) of both halves, and
    the number of rows whose archive is not one of LABELS (expected 0; dropped)."""
    csv.field_size_limit(sys.maxsize)
    columns = ["arxiv_id", "created", "primary_cat", "archive", "categories", "title",
               "abstract"]
    documents, outside = [], 0
    for name in EXTRA_SOURCES["D"]:
        with gzip.open(f"{data_dir}/{name}", "rt", encoding="utf-8", newline="") as f:
            reader = csv.reader(f, delimiter="\t")
            header = next(reader)
            if header != columns:
                sys.exit(f"{name}: unexpected header {header}")
            for line, record in enumerate(reader, start=2):
                if len(record) != len(columns):
                    sys.exit(f"{name}: record {line} has {len(record)} fields")
                row = dict(zip(columns, record))
                if row["archive"] not in LABELS:
                    outside += 1
                    continue
                documents.append((row["arxiv_id"], row["archive"],
                                  row["title"] + "\n\n" + row["abstract"]))
    return documents, outside


def read_part_a2(data_dir):
    """Part A2: (arxiv_id, archive, text) of the labels.tsv rows with label_source =
    id_prefix whose archive is one of LABELS (their text found in the A2 tar by the
    `path` column), and the number of such rows in other archives (dropped)."""
    rows, outside = {}, 0
    with open(f"{data_dir}/fulltext/labels.tsv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["label_source"] != "id_prefix":
                continue
            if row["archive"] in LABELS:
                rows[row["path"]] = row
            else:
                outside += 1
    documents = []
    with tarfile.open(f"{data_dir}/{EXTRA_SOURCES['A2'][0]}") as tar:
        for member in tar:
            if member.isfile() and member.name in rows:
                text = tar.extractfile(member).read().decode("utf-8")
                row = rows.pop(member.name)
                documents.append((row["arxiv_id"], row["archive"], text))
    if rows:
        sys.exit(f"A2: {len(rows)} labels.tsv rows have no text in the tar, e.g. "
                 f"{next(iter(rows))}")
    documents.sort(key=lambda d: d[0])
    return documents, outside


def per_class(labels):
    counts = collections.Counter(labels)
    return {label: counts[label] for label in LABELS}


def split_by_hash(documents):
    classes = {}
    for i, (arxiv_id, label, *_) in enumerate(documents):
        classes.setdefault(label, []).append(i)
    t = 700000
    u = 850000
    split = {"train": [], "validation": [], "test": []}
    for members in classes.values():
        members.sort(key=lambda i: (hashlib.sha1(documents[i][0].encode()).hexdigest(), i))
        n = len(members)
        train_end = (n * t + MILLION // 2) // MILLION
        validation_end = (n * u + MILLION // 2) // MILLION
        train, validation, test = train_end, validation_end - train_end, n - validation_end
        if n >= 3:
            if validation == 0:
                validation += 1
                if train > 0:
                    train -= 1
                else:
                    test -= 1
            if test == 0:
                test += 1
                if train > 0:
                    train -= 1
                else:
                    validation -= 1
        split["train"] += members[:train]
        split["validation"] += members[train:train + validation]
        split["test"] += members[train + validation:]
    return split


def cross_listing(predicted, y, listed):
    errors = [i for i in range(len(y)) if predicted[i] != y[i]]
    return {"listed_in_several_archives": sum(len(archives) > 1 for archives in listed),
            "errors": len(errors),
            "errors_predicting_a_listed_archive":
                sum(LABELS[predicted[i]] in listed[i] for i in errors)}


def scores(model, x, y, listed):
    decision = model.decision_function(x)
    predicted = decision.argmax(axis=1)
    present = [c for c in range(len(LABELS)) if (y == c).any() and (y != c).any()]
    auc = np.mean([roc_auc_score(y == c, decision[:, c]) for c in present])
    return {"documents": int(len(y)), "accuracy": accuracy_score(y, predicted),
            "macro_f1": f1_score(y, predicted, average="macro", labels=range(len(LABELS)),
                                 zero_division=0),
            "macro_auc": auc, "cross_listing": cross_listing(predicted, y, listed)}


def predictions_cross_listing(path, documents):
    """The cross-listing counts of a wersa-eval --predictions file."""
    by_id = {d[0]: d for d in documents}
    predicted, y, listed = [], [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            document = by_id[row["id"]]
            predicted.append(LABELS.index(max(row["scores"], key=row["scores"].get)))
            y.append(LABELS.index(document[1]))
            listed.append(document[3])
    return {"documents": len(y), **cross_listing(predicted, y, listed)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_dir")
    parser.add_argument("--json")
    parser.add_argument("--predictions", nargs="*", default=[])
    parser.add_argument("--train-extra", action="append", default=[], type=parse_extra,
                        metavar="SRC[@WEIGHT]")
    args = parser.parse_args()
    if len({source for source, _ in args.train_extra}) != len(args.train_extra):
        parser.error("each --train-extra source may be given once")
    documents = read_part_a(args.data_dir)
    split = split_by_hash(documents)
    print({k: len(v) for k, v in split.items()}, file=sys.stderr)
    texts = [d[2] for d in documents]
    y = np.array([LABELS.index(d[1]) for d in documents])
    train_texts = [texts[i] for i in split["train"]]
    y_train = y[split["train"]]
    sample_weight = [np.ones(len(train_texts))]
    training_data = [{
        "name": "A train", "files": ["fulltext/korzen_groundtruth_labelled.tar.gz",
                                     "fulltext/labels.tsv"],
        "weight": 1.0, "documents": len(train_texts),
        "per_class": per_class(documents[i][1] for i in split["train"])}]
    if args.train_extra:
        in_part_a = part_a_ids(args.data_dir)
        seen = set()
        for source, weight in args.train_extra:
            extra, outside = (read_part_d if source == "D" else read_part_a2)(args.data_dir)
            kept = [d for d in extra if d[0] not in in_part_a]
            duplicates = sum(d[0] in seen for d in kept)
            seen.update(d[0] for d in kept)
            entry = {"name": source, "files": EXTRA_SOURCES[source], "weight": weight,
                     "documents": len(kept), "per_class": per_class(d[1] for d in kept),
                     "dropped_in_part_a": len(extra) - len(kept),
                     "dropped_outside_labels": outside,
                     "ids_also_in_an_earlier_extra_source": duplicates}
            print(f"{source}: {entry}", file=sys.stderr)
            training_data.append(entry)
            train_texts += [d[2] for d in kept]
            y_train = np.concatenate([y_train, [LABELS.index(d[1]) for d in kept]])
            sample_weight.append(np.full(len(kept), weight))
            del extra, kept
    sample_weight = np.concatenate(sample_weight)
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_df=0.9, sublinear_tf=True)
    started = time.monotonic()
    x_train = vectorizer.fit_transform(train_texts)
    del train_texts
    x_val = vectorizer.transform([texts[i] for i in split["validation"]])
    x_test = vectorizer.transform([texts[i] for i in split["test"]])
    print(f"features: {x_train.shape[1]} ({time.monotonic() - started:.0f} s)",
          file=sys.stderr)
    y_val, y_test = (y[split[s]] for s in ("validation", "test"))
    listed_val, listed_test = ([documents[i][3] for i in split[s]]
                               for s in ("validation", "test"))
    grid = GRID_EXTRA if args.train_extra else GRID
    best = None
    for c, weight in grid:
        started = time.monotonic()
        model = LinearSVC(C=c, class_weight=weight).fit(x_train, y_train,
                                                        sample_weight=sample_weight)
        result = scores(model, x_val, y_val, listed_val)
        print(f"C={c} class_weight={weight} ({time.monotonic() - started:.0f} s): {result}",
              file=sys.stderr)
        key = (result["accuracy"], result["macro_f1"])
        if best is None or key > best[0]:
            best = (key, c, weight, model)
    _, c, weight, model = best
    report = {"model": "TF-IDF uni+bigrams, LinearSVC", "C": c, "class_weight": weight,
              "features": len(vectorizer.vocabulary_),
              "split_sizes": {k: len(v) for k, v in split.items()},
              "training_data": training_data,
              "validation": scores(model, x_val, y_val, listed_val),
              "test": scores(model, x_test, y_test, listed_test)}
    if args.predictions:
        report["predictions_cross_listing"] = {
            path: predictions_cross_listing(path, documents) for path in args.predictions}
    print(json.dumps(report, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
