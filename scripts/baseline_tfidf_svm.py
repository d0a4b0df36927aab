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

usage: scripts/baseline_tfidf_svm.py ARXIV_DATA_DIR [--json OUT]
           [--predictions FILE...]
"""
import argparse
import csv
import hashlib
import json
import sys
import tarfile

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.svm import LinearSVC

LABELS = ["math", "physics", "cs", "cond-mat", "nlin", "q-bio", "stat", "quant-ph",
          "astro-ph", "math-ph", "q-fin"]
MILLION = 1000000
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
    args = parser.parse_args()
    documents = read_part_a(args.data_dir)
    split = split_by_hash(documents)
    print({k: len(v) for k, v in split.items()}, file=sys.stderr)
    texts = [d[2] for d in documents]
    y = np.array([LABELS.index(d[1]) for d in documents])
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_df=0.9, sublinear_tf=True)
    x_train = vectorizer.fit_transform([texts[i] for i in split["train"]])
    x_val = vectorizer.transform([texts[i] for i in split["validation"]])
    x_test = vectorizer.transform([texts[i] for i in split["test"]])
    y_train, y_val, y_test = (y[split[s]] for s in ("train", "validation", "test"))
    listed_val, listed_test = ([documents[i][3] for i in split[s]]
                               for s in ("validation", "test"))
    best = None
    for c in (0.1, 0.3, 1.0, 3.0, 10.0):
        for weight in (None, "balanced"):
            model = LinearSVC(C=c, class_weight=weight).fit(x_train, y_train)
            result = scores(model, x_val, y_val, listed_val)
            print(f"C={c} class_weight={weight}: {result}", file=sys.stderr)
            key = (result["accuracy"], result["macro_f1"])
            if best is None or key > best[0]:
                best = (key, c, weight, model)
    _, c, weight, model = best
    report = {"model": "TF-IDF uni+bigrams, LinearSVC", "C": c, "class_weight": weight,
              "features": len(vectorizer.vocabulary_),
              "split_sizes": {k: len(v) for k, v in split.items()},
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
