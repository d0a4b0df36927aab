#!/usr/bin/python3
"""Builds tests/data/unarxive/documents.jsonl from the unarXive 2022 sample.

What: reads unarXive_data_sample.tar.gz (part C of the shared arXiv data; see
../shared/data/arxiv/README.md beside the checkout, section "C. unarXive 2022
data sample") directly with the tarfile module, keeps every paper whose
PRIMARY category belongs to one of the 11 archives that wersa-serve
classifies, and writes one JSON object per line, sorted by arXiv id:

  {"id": "2212.11867", "labels": ["math"], "license": "<licence URL>",
   "title": "<title>", "text": "<full text>"}

"labels" holds the primary category's archive first, then the archives of
the other categories that are among the 11, without duplicates. There is no
"label" key: ReadJsonl (model/train/dataset.h) takes exactly one of the two.

Why: part A of the data (the full texts the model trains on) may not be copied
into this repository, but every paper in the unarXive sample is CC BY 4.0,
CC BY-SA 4.0 or CC0, so these texts can be shipped as test fixtures with
attribution (tests/data/unarxive/README.md). The texts are reformatted to look
like part A's ("Format of a text file"), the training distribution:

  * the title, then for each section its heading once, followed by its
    paragraphs; blocks separated by a blank line ("\\n\\n"); no trailing
    newline; no abstract, no reference list, no captions;
  * inside a paragraph, source line breaks become spaces, a blank line starts
    a new block, and a line holding only formulas (display maths) is a block
    of its own, as in part A; runs of spaces are collapsed;
  * {{formula:...}} becomes [formula] (with unarXive's space before a
    following punctuation mark removed), {{cite:KEY}} becomes [\\cite=KEY],
    and any other {{TYPE:KEY}} ({{figure:...}}, {{table:...}}) becomes
    [\\ref=KEY]; $...$ in the title becomes [formula].

unarXive writes a LaTeX \\ref as the bare word "REF"; that is left as it is.

The output depends only on the tar's contents, so running this again
reproduces the file byte for byte. Standard library only.

Usage: scripts/make-unarxive-fixtures.py [--tar PATH] [--out PATH] [--table]
(--table also prints the Markdown table of papers used in the README.)
"""

import argparse
import collections
import hashlib
import json
import os
import re
import sys
import tarfile
import unicodedata

# Part C in the shared arXiv data: WERSA_ARXIV_DATA, as scripts/test.sh sets
# it, else ../shared/data/arxiv beside the checkout.
DATA_DIR = os.environ.get("WERSA_ARXIV_DATA") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data",
    "arxiv")
DEFAULT_TAR = os.path.join(DATA_DIR, "unarxive_sample",
                           "unarXive_data_sample.tar.gz")
MEMBER = "unarXive_data_sample/arXiv_src_2212_086.jsonl"
# Git blob id of doc/unarXive_data_sample.tar.gz in IllDepence/unarXive.
EXPECTED_BLOB = "3914758ddcc4b598cd407ab6c433995b2d2c3ac7"

ARCHIVES = ("math", "physics", "cs", "cond-mat", "nlin", "q-bio", "stat",
            "quant-ph", "astro-ph", "math-ph", "q-fin")
# As ArchiveOfCategory in model/train/dataset.cc (none occur in this sample).
LEGACY = {
    "alg-geom": "math", "funct-an": "math", "q-alg": "math", "dg-ga": "math",
    "chao-dyn": "nlin", "patt-sol": "nlin", "solv-int": "nlin",
    "adap-org": "nlin", "comp-gas": "nlin", "cmp-lg": "cs",
    "mtrl-th": "cond-mat", "supr-con": "cond-mat", "acc-phys": "physics",
    "chem-ph": "physics", "atom-ph": "physics", "plasm-ph": "physics",
    "ao-sci": "physics", "bayes-an": "physics",
}

PLACEHOLDER = re.compile(r"\{\{([a-z_]+):([^{}]*)\}\}")
DISPLAY_LINE = re.compile(r"(?:\{\{formula:[^{}]*\}\}\s*)+")
FORMULA_BEFORE_PUNCT = re.compile(r"\[formula\] +(?=[.,;:!?)\]])")
TITLE_MATH = re.compile(r"\$[^$]*\$")
SPACES = re.compile(r"\s+")


def archive_of(category):
    archive = category.split(".", 1)[0]
    return LEGACY.get(archive, archive)


LATEX_ACCENT = re.compile(r"""\\(["'`^~=.]|[vcuH](?![a-zA-Z]))\s*"""
                          r"(?:\{(\\?[a-zA-Z])\}|(\\?[a-zA-Z]))")
ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302",
           "~": "\u0303", "=": "\u0304", ".": "\u0307", "v": "\u030C",
           "c": "\u0327", "u": "\u0306", "H": "\u030B"}
LATEX_LETTERS = {"\\l": "\u0142", "\\L": "\u0141", "\\ss": "\u00DF",
                 "\\o": "\u00F8", "\\O": "\u00D8", "\\i": "i",
                 "\\ae": "\u00E6", "\\AE": "\u00C6"}


def latex_names(text):
    """Turns LaTeX accents in author names (F\\"arber) into Unicode."""
    def accent(match):
        letter = match.group(2) or match.group(3)
        letter = LATEX_LETTERS.get(letter, letter)
        return unicodedata.normalize("NFC", letter + ACCENTS[match.group(1)])
    text = LATEX_ACCENT.sub(accent, text)
    text = re.sub(r"\\(ss|ae|AE|[lLoOi])(?![a-zA-Z])\s*",
                  lambda m: LATEX_LETTERS["\\" + m.group(1)], text)
    text = re.sub(r"\{([^{}\\]*)\}", r"\1", text)
    return text


def git_blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def replace_placeholders(text):
    def one(match):
        kind, key = match.group(1), match.group(2)
        if kind == "formula":
            return "[formula]"
        if kind == "cite":
            return "[\\cite=%s]" % key
        return "[\\ref=%s]" % key
    return FORMULA_BEFORE_PUNCT.sub("[formula]", PLACEHOLDER.sub(one, text))


def clean(text):
    return SPACES.sub(" ", text).strip()


def paragraph_blocks(text):
    """Splits one unarXive paragraph into part-A-style blocks."""
    blocks, current = [], []

    def flush():
        if current:
            block = clean(replace_placeholders(" ".join(current)))
            if block:
                blocks.append(block)
            current.clear()

    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            flush()
        elif DISPLAY_LINE.fullmatch(stripped):
            flush()
            blocks.append(clean(replace_placeholders(stripped)))
        else:
            current.append(stripped)
    flush()
    return blocks


def title_text(title):
    return clean(TITLE_MATH.sub("[formula]", title))


def full_text(paper):
    blocks = [title_text(paper["metadata"]["title"])]
    previous = None
    for paragraph in paper["body_text"]:
        key = (paragraph.get("section"), paragraph.get("sec_number"))
        if key != previous:
            previous = key
            section = paragraph.get("section") or ""
            heading = clean(replace_placeholders(section))
            if heading:
                blocks.append(heading)
        blocks.extend(paragraph_blocks(paragraph["text"]))
    return "\n\n".join(blocks)


def check_text(text, where):
    text.encode("utf-8")  # Raises on lone surrogates.
    bad = sorted({"U+%04X" % ord(c) for c in text
                  if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0
                  or ord(c) in (0xFFFD, 0xFFFE, 0xFFFF)})
    if bad:
        sys.exit("%s: unexpected characters %s" % (where, " ".join(bad)))
    if PLACEHOLDER.search(text):
        sys.exit("%s: placeholder left in the text" % where)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tar", default=DEFAULT_TAR)
    parser.add_argument("--out", default=os.path.join(
        here, "..", "tests", "data", "unarxive", "documents.jsonl"))
    parser.add_argument("--table", action="store_true",
                        help="print the README's Markdown table of papers")
    args = parser.parse_args()

    with open(args.tar, "rb") as f:
        blob = git_blob_id(f.read())
    if blob != EXPECTED_BLOB:
        sys.exit("%s: git blob %s, expected %s" % (args.tar, blob,
                                                     EXPECTED_BLOB))

    with tarfile.open(args.tar, "r:gz") as tar:
        data = tar.extractfile(MEMBER).read()

    rows, skipped = [], []
    for line in data.decode("utf-8").splitlines():
        if not line.strip():
            continue
        paper = json.loads(line)
        meta = paper["metadata"]
        categories = meta["categories"].split()
        primary = archive_of(categories[0])
        if primary not in ARCHIVES:
            skipped.append((meta["id"], categories[0]))
            continue
        labels = []
        for category in categories:
            archive = archive_of(category)
            if archive in ARCHIVES and archive not in labels:
                labels.append(archive)
        text = full_text(paper)
        check_text(text, meta["id"])
        rows.append({
            "id": meta["id"],
            "labels": labels,
            "license": meta["license"],
            "title": clean(meta["title"]),
            "text": text,
            "_authors": latex_names(clean(meta["authors"])),
            "_raw_authors": meta["authors"],
            "_primary": categories[0],
        })
    rows.sort(key=lambda row: row["id"])
    if len({row["id"] for row in rows}) != len(rows):
        sys.exit("duplicate arXiv ids")

    out = bytearray()
    for row in rows:
        record = {k: v for k, v in row.items() if not k.startswith("_")}
        out += json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "wb") as f:
        f.write(out)

    counts = collections.Counter(row["labels"][0] for row in rows)
    print("wrote %d papers, %d bytes to %s" % (len(rows), len(out),
                                                os.path.normpath(args.out)),
          file=sys.stderr)
    for archive in ARCHIVES:
        print("  %-9s %d" % (archive, counts[archive]), file=sys.stderr)
    print("left out (primary archive not among the 11): %s" % ", ".join(
        "%s (%s)" % s for s in sorted(skipped)), file=sys.stderr)

    if args.table:
        licences = {
            "http://creativecommons.org/licenses/by/4.0/": "CC BY 4.0",
            "http://creativecommons.org/licenses/by-sa/4.0/": "CC BY-SA 4.0",
            "http://creativecommons.org/publicdomain/zero/1.0/": "CC0 1.0",
        }
        print("| arXiv id | title | authors | primary category | archive "
              "| licence |")
        print("|---|---|---|---|---|---|")
        for row in rows:
            if "\\" in row["_authors"]:
                sys.exit("%s: LaTeX left in authors %r" % (row["id"],
                                                          row["_raw_authors"]))
            cells = [
                "[%s](https://arxiv.org/abs/%s)" % (row["id"], row["id"]),
                row["title"], row["_authors"], row["_primary"],
                row["labels"][0],
                "[%s](%s)" % (licences.get(row["license"], row["license"]),
                              row["license"]),
            ]
            print("| %s |" % " | ".join(c.replace("|", "\\|") for c in cells))


if __name__ == "__main__":
    main()
