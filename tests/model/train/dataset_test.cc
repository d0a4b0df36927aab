#include "model/train/dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "model/train/delimited_reader.h"
#include "model/train/gz_file_reader.h"
#include "model/train/sha1.h"
#include "model/train/tar_reader.h"

namespace wersa::train {
namespace {

namespace fs = std::filesystem;
using testing::AllOf;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::IsEmpty;
using testing::Pair;
using testing::SizeIs;

// An empty directory of its own for the running test.
std::string TestDirectory() {
  const testing::TestInfo* info =
      testing::UnitTest::GetInstance()->current_test_info();
  std::string name =
      absl::StrCat("dataset_test_", info->test_suite_name(), "_", info->name());
  std::replace(name.begin(), name.end(), '/', '_');
  const fs::path dir = fs::path(testing::TempDir()) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

std::string Quoted(const std::string& path) { return "'" + path + "'"; }

testing::AssertionResult Shell(const std::string& command) {
  if (std::system(command.c_str()) == 0) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "command failed: " << command;
}

testing::AssertionResult Gzip(const std::string& from, const std::string& to) {
  return Shell(absl::StrCat("gzip -n -c ", Quoted(from), " > ", Quoted(to)));
}

// ---------------------------------------------------------------- SHA-1

TEST(Sha1Test, FipsVectors) {
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Sha1Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(Sha1Hex(std::string(1000000, 'a')),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

// Lengths around the 55/56/64-byte padding boundaries, against Python's
// hashlib.
TEST(Sha1Test, PaddingBoundaries) {
  const std::vector<std::pair<size_t, std::string>> cases = {
      {55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"},
      {56, "c2db330f6083854c99d4b5bfb6e8f29f201be699"},
      {63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5"},
      {64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"},
      {65, "11655326c708d70319be2610e8a57d9a5b959d3b"},
      {119, "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56"},
      {120, "f34c1488385346a55709ba056ddd08280dd4c6d6"},
  };
  for (const auto& [length, digest] : cases) {
    EXPECT_EQ(Sha1Hex(std::string(length, 'a')), digest) << length;
  }
  EXPECT_EQ(Sha1Hex("\xc3\xa9\xe6\xbc\xa2\xe5\xad\x97"),
            "1ad1b4ea79618ab2d0842688157171f6e0170c03");
}

// ---------------------------------------------------------------- tar.gz

// Longer than the 100 bytes of the ustar name field, so that `tar` must use
// the prefix field (ustar), an 'L' entry (GNU) or a pax path record.
const std::string kLongDirectory(80, 'd');
const std::string kLongFile = std::string(60, 'f') + ".txt";

std::map<std::string, std::string> ExpectedTree() {
  return {
      {"root/short.txt", "hello\n"},
      {"root/empty.txt", ""},
      {"root/block.txt", std::string(512, 'b')},
      {"root/odd.txt", std::string(1000, 'o')},
      {absl::StrCat("root/", kLongDirectory, "/", kLongFile), "long name\n"},
  };
}

// Writes ExpectedTree() plus an empty directory under `dir`/tree.
void WriteTree(const std::string& dir) {
  for (const auto& [name, contents] : ExpectedTree()) {
    WriteFile(fs::path(dir) / "tree" / name, contents);
  }
  fs::create_directories(fs::path(dir) / "tree" / "root" / "empty_dir");
}

absl::StatusOr<std::map<std::string, std::string>> ReadTar(
    const std::string& path) {
  std::map<std::string, std::string> files;
  absl::Status status = ForEachTarFile(
      path, [&files](absl::string_view name, std::string contents) {
        files.emplace(std::string(name), std::move(contents));
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return files;
}

class TarGzReaderTest : public testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    dir_ = TestDirectory();
    WriteTree(dir_);
    archive_ = dir_ + "/archive.tar.gz";
    ASSERT_TRUE(Shell(absl::StrCat("tar --format=", GetParam(), " -czf ",
                                   Quoted(archive_), " -C ",
                                   Quoted(dir_ + "/tree"), " root")));
  }

  std::string dir_;
  std::string archive_;
};

TEST_P(TarGzReaderTest, ReadsRegularFilesAndSkipsDirectories) {
  absl::StatusOr<std::map<std::string, std::string>> files = ReadTar(archive_);
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(*files, ExpectedTree());
}

TEST_P(TarGzReaderTest, ReadsAnUncompressedTar) {
  const std::string plain = dir_ + "/archive.tar";
  ASSERT_TRUE(
      Shell(absl::StrCat("gzip -dc ", Quoted(archive_), " > ", Quoted(plain))));
  absl::StatusOr<std::map<std::string, std::string>> files = ReadTar(plain);
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(*files, ExpectedTree());
}

TEST_P(TarGzReaderTest, TruncatedGzipIsAnError) {
  const std::string bytes = ReadFile(archive_);
  const std::string truncated = dir_ + "/truncated.tar.gz";
  WriteFile(truncated, bytes.substr(0, bytes.size() / 2));
  absl::StatusOr<std::map<std::string, std::string>> files = ReadTar(truncated);
  EXPECT_EQ(files.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(files.status().message(), HasSubstr(truncated));
}

// A complete gzip stream around a tar cut off inside an entry.
TEST_P(TarGzReaderTest, TruncatedTarIsAnError) {
  const std::string truncated = dir_ + "/truncated_tar.tar.gz";
  ASSERT_TRUE(Shell(absl::StrCat("gzip -dc ", Quoted(archive_),
                                 " | head -c 2000 | gzip -n -c > ",
                                 Quoted(truncated))));
  absl::StatusOr<std::map<std::string, std::string>> files = ReadTar(truncated);
  EXPECT_EQ(files.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(
      files.status().message(),
      AllOf(HasSubstr(truncated),
            // libarchive's own words, after ours.
            HasSubstr("reading the next entry: Truncated tar archive")));
}

INSTANTIATE_TEST_SUITE_P(Formats, TarGzReaderTest,
                         testing::Values("ustar", "gnu", "pax"));

TEST(TarGzReaderErrorsTest, MissingFileIsNotFound) {
  const std::string missing = TestDirectory() + "/missing.tar.gz";
  absl::StatusOr<std::map<std::string, std::string>> files = ReadTar(missing);
  EXPECT_EQ(files.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(files.status().message(), HasSubstr(missing));
}

TEST(TarGzReaderErrorsTest, CorruptGzipIsAnError) {
  // A valid gzip header, then a deflate block of the reserved type 3.
  const std::string corrupt = TestDirectory() + "/corrupt.tar.gz";
  WriteFile(corrupt,
            std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10) +
                std::string(64, '\xff'));
  absl::StatusOr<std::map<std::string, std::string>> files = ReadTar(corrupt);
  EXPECT_EQ(files.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(files.status().message(), HasSubstr(corrupt));
}

TEST(TarGzReaderErrorsTest, NonTarContentIsAnError) {
  const std::string dir = TestDirectory();
  WriteFile(dir + "/text.txt", std::string(2000, 'x'));
  ASSERT_TRUE(Gzip(dir + "/text.txt", dir + "/text.tar.gz"));
  absl::StatusOr<std::map<std::string, std::string>> files =
      ReadTar(dir + "/text.tar.gz");
  EXPECT_EQ(files.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(files.status().message(), HasSubstr("text.tar.gz"));
}

TEST(TarGzReaderErrorsTest, VisitorErrorStopsTheWalk) {
  const std::string dir = TestDirectory();
  WriteTree(dir);
  ASSERT_TRUE(Shell(absl::StrCat("tar -czf ", Quoted(dir + "/a.tar.gz"), " -C ",
                                 Quoted(dir + "/tree"), " root")));
  int visits = 0;
  const absl::Status status = ForEachTarFile(
      dir + "/a.tar.gz", [&visits](absl::string_view, std::string) {
        ++visits;
        return absl::CancelledError("enough");
      });
  EXPECT_EQ(status, absl::CancelledError("enough"));
  EXPECT_EQ(visits, 1);
}

// ---------------------------------------------------------------- TSV

// As Python's csv.writer(delimiter='\t') writes it, plus what its reader
// also accepts: a CRLF line end, a blank line, a quote inside an unquoted
// field and no final line end.
constexpr char kTsv[] =
    "id\ttext\tnote\n"
    "1\t\"a\tb\"\tplain\n"
    "2\t\"line1\nline2\"\t\"say \"\"hi\"\"\"\n"
    "3\t\t\"\"\r\n"
    "\n"
    "4\tquote\"inside\tlast";

class DelimitedReaderTest : public testing::TestWithParam<bool> {
 protected:
  // The fixture file, gzipped when the parameter says so.
  std::string Fixture(const std::string& contents) {
    const std::string dir = TestDirectory();
    WriteFile(dir + "/data.tsv", contents);
    if (!GetParam()) return dir + "/data.tsv";
    EXPECT_TRUE(Gzip(dir + "/data.tsv", dir + "/data.tsv.gz"));
    return dir + "/data.tsv.gz";
  }
};

TEST_P(DelimitedReaderTest, ReadsQuotedFields) {
  const std::string path = Fixture(kTsv);
  absl::StatusOr<DelimitedReader> reader = DelimitedReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_THAT(reader->header(), ElementsAre("id", "text", "note"));
  absl::StatusOr<size_t> note = reader->ColumnIndex("note");
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(*note, 2u);

  const std::vector<std::vector<std::string>> expected = {
      {"1", "a\tb", "plain"},
      {"2", "line1\nline2", "say \"hi\""},
      {"3", "", ""},
      {"4", "quote\"inside", "last"},
  };
  const std::vector<std::string> locations = {
      "record 1 (line 2)", "record 2 (line 3)", "record 3 (line 5)",
      "record 4 (line 7)"};
  std::vector<std::string> record;
  for (size_t i = 0; i < expected.size(); ++i) {
    absl::StatusOr<bool> more = reader->Next(&record);
    ASSERT_TRUE(more.ok()) << more.status();
    ASSERT_TRUE(*more);
    EXPECT_EQ(record, expected[i]);
    EXPECT_EQ(reader->Location(), absl::StrCat(path, ": ", locations[i]));
  }
  absl::StatusOr<bool> more = reader->Next(&record);
  ASSERT_TRUE(more.ok()) << more.status();
  EXPECT_FALSE(*more);
  EXPECT_THAT(record, IsEmpty());
}

TEST_P(DelimitedReaderTest, UnterminatedQuoteNamesFileAndRecord) {
  const std::string path =
      Fixture("id\ttext\n1\tfine\n2\t\"never closed\n3\tx\n");
  absl::StatusOr<DelimitedReader> reader = DelimitedReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<std::string> record;
  ASSERT_TRUE(reader->Next(&record).ok());
  absl::StatusOr<bool> more = reader->Next(&record);
  EXPECT_EQ(more.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(more.status().message(),
              AllOf(HasSubstr(path), HasSubstr("record 2 (line 3)"),
                    HasSubstr("quoted field not closed")));
}

TEST_P(DelimitedReaderTest, TextAfterClosingQuoteIsAnError) {
  const std::string path = Fixture("id\ttext\n1\t\"a\"b\n");
  absl::StatusOr<DelimitedReader> reader = DelimitedReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<std::string> record;
  absl::StatusOr<bool> more = reader->Next(&record);
  EXPECT_THAT(more.status().message(),
              AllOf(HasSubstr(path), HasSubstr("record 1 (line 2)"),
                    HasSubstr("after a closing quote")));
}

TEST_P(DelimitedReaderTest, WrongFieldCountIsAnError) {
  const std::string path = Fixture("a\tb\tc\n1\t2\t3\n1\t2\n");
  absl::StatusOr<DelimitedReader> reader = DelimitedReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<std::string> record;
  ASSERT_TRUE(reader->Next(&record).ok());
  absl::StatusOr<bool> more = reader->Next(&record);
  EXPECT_THAT(more.status().message(),
              AllOf(HasSubstr("record 2 (line 3)"), HasSubstr("2 fields")));
}

TEST_P(DelimitedReaderTest, EmptyFileAndMissingColumnAreErrors) {
  const std::string empty = Fixture("");
  EXPECT_THAT(DelimitedReader::Open(empty).status().message(),
              AllOf(HasSubstr(empty), HasSubstr("no header")));

  const std::string path = Fixture("a\tb\n");
  absl::StatusOr<DelimitedReader> reader = DelimitedReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_THAT(reader->ColumnIndex("c").status().message(),
              AllOf(HasSubstr(path), HasSubstr("'c'")));
}

INSTANTIATE_TEST_SUITE_P(PlainAndGzip, DelimitedReaderTest, testing::Bool(),
                         [](const testing::TestParamInfo<bool>& info) {
                           return info.param ? "Gzip" : "Plain";
                         });

TEST(DelimitedReaderErrorsTest, MissingFileIsNotFound) {
  const std::string missing = TestDirectory() + "/missing.tsv";
  absl::StatusOr<DelimitedReader> reader = DelimitedReader::Open(missing);
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(reader.status().message(), HasSubstr(missing));
}

// ---------------------------------------------------------------- part A

constexpr char kLabelsHeader[] =
    "doc_id\tarxiv_id\tyymm\tpath\tincluded\tlabel_source\tprimary_cat\t"
    "categories\tarchive\twords\tbytes\tgit_blob\n";

std::string LabelsRow(const std::string& doc_id, const std::string& arxiv_id,
                      const std::string& included,
                      const std::string& primary_cat,
                      const std::string& categories,
                      const std::string& archive) {
  return absl::StrCat(doc_id, "\t", arxiv_id, "\t0001\tgroundtruth/0001/",
                      doc_id, ".body.txt\t", included, "\tmetadata\t",
                      primary_cat, "\t", categories, "\t", archive,
                      "\t3\t20\t0123456789abcdef0123456789abcdef01234567\n");
}

// Invented texts in the layout of part A; the real ones may not be copied
// into the repository.
struct FullTextFixture {
  std::string tar_gz;
  std::string labels_tsv;
};

FullTextFixture WriteFullTextFixture(const std::string& dir,
                                     const std::string& extra_row = "") {
  const fs::path texts = fs::path(dir) / "texts" / "groundtruth" / "0001";
  WriteFile(texts / "math0001001.body.txt",
            "On rings\n\nLet [formula] be a ring.\n");
  WriteFile(texts / "chao-dyn0001002.body.txt",
            "Chaos in maps\n\nWe iterate [formula] [\\cite=key].\n");
  WriteFile(texts / "0001.00003.body.txt", "Light\n\nPhotons \xc3\xa9.\n");
  // In the archive but not in labels.tsv: ignored.
  WriteFile(texts / "unlisted.body.txt", "nobody asked\n");
  FullTextFixture fixture{dir + "/texts.tar.gz", dir + "/labels.tsv"};
  EXPECT_TRUE(Shell(absl::StrCat("tar -czf ", Quoted(fixture.tar_gz), " -C ",
                                 Quoted(dir + "/texts"), " groundtruth")));
  WriteFile(
      fixture.labels_tsv,
      absl::StrCat(
          kLabelsHeader,
          LabelsRow("math0001001", "math/0001001", "1", "math.AC",
                    "math.AC,math.RA,cs.LO", "math"),
          LabelsRow("chao-dyn0001002", "chao-dyn/0001002", "1", "chao-dyn",
                    "chao-dyn,nlin.CD,cond-mat.stat-mech", "nlin"),
          LabelsRow("hep-th0001004", "hep-th/0001004", "0", "", "", "hep-th"),
          LabelsRow("0001.00003", "0001.00003", "1", "physics.optics",
                    "physics.optics,quant-ph", "physics"),
          extra_row));
  return fixture;
}

TEST(ReadFullTextCorpusTest, ReadsIncludedRowsWithArchiveLabels) {
  const FullTextFixture fixture = WriteFullTextFixture(TestDirectory());
  absl::StatusOr<std::vector<Document>> documents =
      ReadFullTextCorpus(fixture.tar_gz, fixture.labels_tsv);
  ASSERT_TRUE(documents.ok()) << documents.status();
  ASSERT_THAT(*documents, SizeIs(3));
  EXPECT_EQ((*documents)[0].id, "math/0001001");
  EXPECT_EQ((*documents)[0].text, "On rings\n\nLet [formula] be a ring.\n");
  EXPECT_THAT((*documents)[0].labels, ElementsAre("math", "cs"));
  EXPECT_EQ((*documents)[1].id, "chao-dyn/0001002");
  EXPECT_THAT((*documents)[1].labels, ElementsAre("nlin", "cond-mat"));
  EXPECT_EQ((*documents)[2].id, "0001.00003");
  EXPECT_EQ((*documents)[2].text, "Light\n\nPhotons \xc3\xa9.\n");
  EXPECT_THAT((*documents)[2].labels, ElementsAre("physics", "quant-ph"));
}

TEST(ReadFullTextCorpusTest, IncludedRowWithoutTextIsNotFound) {
  const FullTextFixture fixture = WriteFullTextFixture(
      TestDirectory(), LabelsRow("math0001009", "math/0001009", "1", "math.GR",
                                 "math.GR", "math"));
  absl::StatusOr<std::vector<Document>> documents =
      ReadFullTextCorpus(fixture.tar_gz, fixture.labels_tsv);
  EXPECT_EQ(documents.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(documents.status().message(),
              AllOf(HasSubstr(fixture.tar_gz),
                    HasSubstr("groundtruth/0001/math0001009.body.txt")));
}

TEST(ReadFullTextCorpusTest, BadIncludedValueNamesTheRecord) {
  const FullTextFixture fixture = WriteFullTextFixture(
      TestDirectory(), LabelsRow("math0001009", "math/0001009", "yes",
                                 "math.GR", "math.GR", "math"));
  absl::StatusOr<std::vector<Document>> documents =
      ReadFullTextCorpus(fixture.tar_gz, fixture.labels_tsv);
  EXPECT_THAT(documents.status().message(),
              AllOf(HasSubstr(fixture.labels_tsv), HasSubstr("record 5"),
                    HasSubstr("'yes'")));
}

// Parts A2 and A3: texts of rows with included=0, in a tar of their own,
// labelled by their id's archive (id_prefix) or not at all (none).
TEST(ReadFullTextCorpusTest, ReadsTheRowsItsTarHoldsWhateverTheirSource) {
  const std::string dir = TestDirectory();
  const FullTextFixture part_a = WriteFullTextFixture(dir);
  const fs::path texts = fs::path(dir) / "more" / "groundtruth" / "0001";
  WriteFile(texts / "astro-ph0001005.body.txt", "Stars\n\nThey shine.\n");
  WriteFile(texts / "0001.00006.body.txt", "Unknown\n\nNo metadata.\n");
  const std::string more = dir + "/more.tar.gz";
  ASSERT_TRUE(Shell(absl::StrCat("tar -czf ", Quoted(more), " -C ",
                                 Quoted(dir + "/more"), " groundtruth")));
  std::string rows;
  for (const auto& [doc_id, arxiv_id, source, archive] :
       {std::tuple{"astro-ph0001005", "astro-ph/0001005", "id_prefix",
                   "astro-ph"},
        std::tuple{"0001.00006", "0001.00006", "none", ""}}) {
    absl::StrAppend(&rows, doc_id, "\t", arxiv_id, "\t0001\tgroundtruth/0001/",
                    doc_id, ".body.txt\t0\t", source, "\t\t\t", archive,
                    "\t3\t20\t0123456789abcdef0123456789abcdef01234567\n");
  }
  std::ofstream(part_a.labels_tsv, std::ios::app) << rows;

  absl::StatusOr<std::vector<Document>> documents =
      ReadFullTextCorpus(more, part_a.labels_tsv);
  ASSERT_TRUE(documents.ok()) << documents.status();
  ASSERT_THAT(*documents, SizeIs(2));
  EXPECT_EQ((*documents)[0].id, "astro-ph/0001005");
  EXPECT_EQ((*documents)[0].text, "Stars\n\nThey shine.\n");
  EXPECT_THAT((*documents)[0].labels, ElementsAre("astro-ph"));
  EXPECT_EQ((*documents)[1].id, "0001.00006");
  EXPECT_THAT((*documents)[1].labels, IsEmpty());
  // Part A's tar still reads its three included rows, and nothing else.
  absl::StatusOr<std::vector<Document>> part_a_documents =
      ReadFullTextCorpus(part_a.tar_gz, part_a.labels_tsv);
  ASSERT_TRUE(part_a_documents.ok()) << part_a_documents.status();
  EXPECT_THAT(*part_a_documents, SizeIs(3));
}

TEST(ReadFullTextCorpusTest, TarHoldingNoListedFileIsNotFound) {
  const std::string dir = TestDirectory();
  const FullTextFixture fixture = WriteFullTextFixture(dir);
  WriteFile(fs::path(dir) / "other" / "x.txt", "x\n");
  const std::string other = dir + "/other.tar.gz";
  ASSERT_TRUE(Shell(absl::StrCat("tar -czf ", Quoted(other), " -C ",
                                 Quoted(dir + "/other"), " x.txt")));
  absl::StatusOr<std::vector<Document>> documents =
      ReadFullTextCorpus(other, fixture.labels_tsv);
  EXPECT_EQ(documents.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(documents.status().message(),
              HasSubstr("holds none of the files"));
}

// ---------------------------------------------------------------- part B

TEST(ReadAbstractsTest, ReadsTitleAbstractAndCategories) {
  const std::string dir = TestDirectory();
  const std::string header =
      "\tabstract\tacm_class\tarxiv_id\tauthor_text\tcategories\tcomments\t"
      "created\tdoi\tnum_authors\tnum_categories\tprimary_cat\ttitle\tupdated\t"
      "categories_list\n";
  const std::string rows =
      "11\t\"We prove a\tbound;\nsee \"\"Lemma 2\"\".\"\t\tmath/9901001\tA. "
      "Author\tmath.AC,math.RA\t4 pages\t1999-01-01\t\t1\t2\tmath.AC\tRings\t\t"
      "['math.AC', 'math.RA']\n"
      "12\tControl of plants. \t\t1901.00002\tB. Author\t"
      "eess.SY,cs.SY,math.OC\t\t2019-01-01\t\t1\t3\teess.SY\tPlants\t\t"
      "\"['eess.SY', 'cs.SY', 'math.OC']\"\n"
      "13\tSorting.\t\t1901.00003\tC. Author\tcs.DS cs.DM\t\t2019-01-01\t\t1\t"
      "2\tcs.DS\tSorts\t\t['cs.DS']\n";
  WriteFile(dir + "/abstracts.tsv", header + rows);
  ASSERT_TRUE(Gzip(dir + "/abstracts.tsv", dir + "/abstracts.tsv.gz"));

  absl::StatusOr<std::vector<Document>> documents =
      ReadAbstracts(dir + "/abstracts.tsv.gz");
  ASSERT_TRUE(documents.ok()) << documents.status();
  ASSERT_THAT(*documents, SizeIs(3));
  EXPECT_EQ((*documents)[0].id, "math/9901001");
  EXPECT_EQ((*documents)[0].text,
            "Rings\n\nWe prove a\tbound;\nsee \"Lemma 2\".");
  EXPECT_THAT((*documents)[0].labels, ElementsAre("math.AC", "math.RA"));
  EXPECT_EQ((*documents)[1].text, "Plants\n\nControl of plants. ");
  EXPECT_THAT((*documents)[1].labels, ElementsAre("cs.SY", "math.OC"));
  EXPECT_THAT((*documents)[2].labels, ElementsAre("cs.DS", "cs.DM"));
}

TEST(ReadAbstractsTest, MissingColumnIsAnError) {
  const std::string dir = TestDirectory();
  WriteFile(dir + "/abstracts.tsv", "arxiv_id\ttitle\n1\tx\n");
  EXPECT_THAT(ReadAbstracts(dir + "/abstracts.tsv").status().message(),
              HasSubstr("'abstract'"));
}

// ---------------------------------------------------------------- JSONL

TEST(ReadJsonlTest, ReadsLabelAndLabels) {
  const std::string path = TestDirectory() + "/data.jsonl";
  WriteFile(path,
            "{\"text\": \"first\", \"label\": \"x\"}\n"
            "\n"
            "{\"text\": \"second\", \"labels\": [\"y\", \"z\", \"y\"], "
            "\"id\": \"doc-b\", \"source\": \"ignored\"}\r\n"
            "{\"id\": 7, \"text\": \"caf\\u00e9\", \"labels\": [\"x\"]}");
  absl::StatusOr<std::vector<Document>> documents = ReadJsonl(path);
  ASSERT_TRUE(documents.ok()) << documents.status();
  ASSERT_THAT(*documents, SizeIs(3));
  EXPECT_EQ((*documents)[0].id, "1");
  EXPECT_EQ((*documents)[0].text, "first");
  EXPECT_THAT((*documents)[0].labels, ElementsAre("x"));
  EXPECT_EQ((*documents)[1].id, "doc-b");
  EXPECT_THAT((*documents)[1].labels, ElementsAre("y", "z"));
  EXPECT_EQ((*documents)[2].id, "7");
  EXPECT_EQ((*documents)[2].text, "caf\xc3\xa9");
}

TEST(ReadJsonlTest, ErrorsNameFileAndLine) {
  const std::string dir = TestDirectory();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": ", "invalid JSON"},
      {"[1, 2]", "not a JSON object"},
      {"{\"label\": \"x\"}", "\"text\""},
      {"{\"text\": \"a\"}", "exactly one of"},
      {"{\"text\": \"a\", \"label\": \"x\", \"labels\": [\"x\"]}",
       "exactly one of"},
      {"{\"text\": \"a\", \"labels\": []}", "non-empty array"},
      {"{\"text\": \"a\", \"labels\": [3]}", "non-empty strings"},
      {"{\"text\": \"a\", \"label\": \"x\", \"id\": 1.5}", "\"id\""},
      {"{\"text\": \"a\", \"label\": \"x\", \"id\": \"2\"}\n"
       "{\"text\": \"b\", \"label\": \"x\"}",
       "already used on line 1"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string path = absl::StrCat(dir, "/case", i, ".jsonl");
    WriteFile(path, cases[i].first);
    const int line = cases[i].first.find('\n') == std::string::npos ? 1 : 2;
    absl::StatusOr<std::vector<Document>> documents = ReadJsonl(path);
    EXPECT_EQ(documents.status().code(), absl::StatusCode::kInvalidArgument)
        << cases[i].first;
    EXPECT_THAT(documents.status().message(),
                AllOf(HasSubstr(absl::StrCat(path, ": line ", line)),
                      HasSubstr(cases[i].second)))
        << cases[i].first;
  }
}

TEST(ReadJsonlTest, MissingFileIsNotFound) {
  const std::string missing = TestDirectory() + "/missing.jsonl";
  absl::StatusOr<std::vector<Document>> documents = ReadJsonl(missing);
  EXPECT_EQ(documents.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(documents.status().message(), HasSubstr(missing));
}

// ---------------------------------------------------------------- archives

TEST(ArchiveOfCategoryTest, MapsCategoriesAndLegacyArchives) {
  EXPECT_EQ(ArchiveOfCategory("math.AC"), "math");
  EXPECT_EQ(ArchiveOfCategory("cond-mat.stat-mech"), "cond-mat");
  EXPECT_EQ(ArchiveOfCategory("hep-th"), "hep-th");
  EXPECT_EQ(ArchiveOfCategory("math-ph"), "math-ph");
  EXPECT_EQ(ArchiveOfCategory("physics.optics"), "physics");
  EXPECT_EQ(ArchiveOfCategory("eess.SY"), "eess");
  const std::vector<std::pair<std::string, std::string>> legacy = {
      {"alg-geom", "math"},    {"funct-an", "math"},
      {"q-alg", "math"},       {"dg-ga", "math"},
      {"chao-dyn", "nlin"},    {"patt-sol", "nlin"},
      {"solv-int", "nlin"},    {"adap-org", "nlin"},
      {"comp-gas", "nlin"},    {"cmp-lg", "cs"},
      {"mtrl-th", "cond-mat"}, {"supr-con", "cond-mat"},
      {"acc-phys", "physics"}, {"chem-ph", "physics"},
      {"atom-ph", "physics"},  {"plasm-ph", "physics"},
      {"ao-sci", "physics"},   {"bayes-an", "physics"},
  };
  for (const auto& [category, archive] : legacy) {
    EXPECT_EQ(ArchiveOfCategory(category), archive) << category;
  }
}

// ---------------------------------------------------------------- split

std::vector<Document> Documents(const std::string& label, int count,
                                const std::string& id_prefix) {
  std::vector<Document> documents;
  for (int i = 0; i < count; ++i) {
    documents.push_back({absl::StrCat(id_prefix, i), "text", {label}});
  }
  return documents;
}

std::set<std::string> Ids(const std::vector<Document>& documents,
                          const std::vector<size_t>& indices) {
  std::set<std::string> ids;
  for (const size_t i : indices) ids.insert(documents[i].id);
  return ids;
}

// Every index exactly once, each list ascending.
void ExpectPartition(const Split& split, size_t size) {
  for (const auto* list : {&split.train, &split.validation, &split.test}) {
    EXPECT_TRUE(std::is_sorted(list->begin(), list->end()));
  }
  std::vector<size_t> all = split.train;
  all.insert(all.end(), split.validation.begin(), split.validation.end());
  all.insert(all.end(), split.test.begin(), split.test.end());
  std::sort(all.begin(), all.end());
  std::vector<size_t> expected(size);
  for (size_t i = 0; i < size; ++i) expected[i] = i;
  EXPECT_EQ(all, expected);
}

TEST(SplitByHashTest, HundredDocumentsSplit70_15_15ByHashOrder) {
  const std::vector<Document> documents = Documents("math", 100, "doc-");
  const Split split = SplitByHash(documents);
  EXPECT_THAT(split.train, SizeIs(70));
  EXPECT_THAT(split.validation, SizeIs(15));
  EXPECT_THAT(split.test, SizeIs(15));
  ExpectPartition(split, documents.size());

  std::vector<std::pair<std::string, std::string>> by_hash;
  for (const Document& document : documents) {
    by_hash.emplace_back(Sha1Hex(document.id), document.id);
  }
  std::sort(by_hash.begin(), by_hash.end());
  std::set<std::string> first_70;
  for (size_t i = 0; i < 70; ++i) first_70.insert(by_hash[i].second);
  EXPECT_EQ(Ids(documents, split.train), first_70);
}

TEST(SplitByHashTest, DependsOnIdsNotOnOrder) {
  std::vector<Document> documents = Documents("math", 40, "a-");
  for (Document& document : Documents("cs", 25, "b-")) {
    documents.push_back(std::move(document));
  }
  const Split split = SplitByHash(documents);
  const Split again = SplitByHash(documents);
  EXPECT_EQ(split.train, again.train);
  EXPECT_EQ(split.validation, again.validation);
  EXPECT_EQ(split.test, again.test);

  std::vector<Document> reversed(documents.rbegin(), documents.rend());
  const Split split_reversed = SplitByHash(reversed);
  EXPECT_EQ(Ids(reversed, split_reversed.train), Ids(documents, split.train));
  EXPECT_EQ(Ids(reversed, split_reversed.validation),
            Ids(documents, split.validation));
  EXPECT_EQ(Ids(reversed, split_reversed.test), Ids(documents, split.test));
}

TEST(SplitByHashTest, StratifiedByPrimaryLabel) {
  std::vector<Document> documents;
  for (const auto& [label, count] : std::vector<std::pair<std::string, int>>{
           {"math", 20}, {"cs", 10}, {"q-fin", 3}, {"stat", 2}, {"nlin", 1}}) {
    for (Document& document : Documents(label, count, label + "-")) {
      documents.push_back(std::move(document));
    }
  }
  // Secondary labels must not change the class.
  documents[0].labels.push_back("cs");
  const Split split = SplitByHash(documents);
  ExpectPartition(split, documents.size());

  std::map<std::string, std::vector<int>> counts;  // train, validation, test
  for (const auto& [list, slot] :
       {std::pair{&split.train, 0}, std::pair{&split.validation, 1},
        std::pair{&split.test, 2}}) {
    for (const size_t i : *list) {
      std::vector<int>& count = counts[documents[i].labels[0]];
      count.resize(3);
      ++count[slot];
    }
  }
  EXPECT_THAT(counts, ElementsAre(Pair("cs", ElementsAre(7, 2, 1)),
                                  Pair("math", ElementsAre(14, 3, 3)),
                                  Pair("nlin", ElementsAre(1, 0, 0)),
                                  Pair("q-fin", ElementsAre(1, 1, 1)),
                                  Pair("stat", ElementsAre(1, 1, 0))));
}

TEST(SplitByHashTest, OtherFractions) {
  const std::vector<Document> documents = Documents("math", 10, "doc-");
  const Split split = SplitByHash(documents, 0.8, 0.1);
  EXPECT_THAT(split.train, SizeIs(8));
  EXPECT_THAT(split.validation, SizeIs(1));
  EXPECT_THAT(split.test, SizeIs(1));

  // Nothing asked for train: the at-least-one rule takes from the others.
  const Split no_train = SplitByHash(Documents("math", 3, "doc-"), 0.0, 1.0);
  EXPECT_THAT(no_train.train, IsEmpty());
  EXPECT_THAT(no_train.validation, SizeIs(2));
  EXPECT_THAT(no_train.test, SizeIs(1));
}

// ---------------------------------------------------------------- real data

// The real part A, only where WERSA_ARXIV_DATA names the arxiv data folder
// (its texts may not be copied into the repository).
TEST(RealArxivDataTest, ReadsPartA) {
  const char* root = std::getenv("WERSA_ARXIV_DATA");
  if (root == nullptr || *root == '\0') {
    GTEST_SKIP() << "WERSA_ARXIV_DATA is not set to the arxiv data folder";
  }
  absl::StatusOr<std::vector<Document>> documents = ReadFullTextCorpus(
      absl::StrCat(root, "/fulltext/korzen_groundtruth_labelled.tar.gz"),
      absl::StrCat(root, "/fulltext/labels.tsv"));
  ASSERT_TRUE(documents.ok()) << documents.status();
  EXPECT_THAT(*documents, SizeIs(3537));

  std::map<std::string, int> counts;
  for (const Document& document : *documents) {
    EXPECT_FALSE(document.text.empty()) << document.id;
    ++counts[document.labels[0]];
  }
  const auto largest = std::max_element(
      counts.begin(), counts.end(),
      [](const auto& a, const auto& b) { return a.second < b.second; });
  EXPECT_EQ(largest->first, "math");
  // About 85% of the README's per-archive counts, which start at 42 (q-fin)
  // for these 11 archives and together cover almost all documents.
  int eleven = 0;
  for (const char* archive :
       {"math", "physics", "cs", "cond-mat", "nlin", "q-bio", "stat",
        "quant-ph", "astro-ph", "math-ph", "q-fin"}) {
    EXPECT_GE(counts[archive], 30) << archive;
    eleven += counts[archive];
  }
  EXPECT_GT(eleven, 0.95 * 3537);
  EXPECT_GT(counts["math"], 1000);
}

// The real part B, under the same condition.
TEST(RealArxivDataTest, ReadsPartB) {
  const char* root = std::getenv("WERSA_ARXIV_DATA");
  if (root == nullptr || *root == '\0') {
    GTEST_SKIP() << "WERSA_ARXIV_DATA is not set to the arxiv data folder";
  }
  absl::StatusOr<std::vector<Document>> documents = ReadAbstracts(absl::StrCat(
      root, "/abstracts/geiger_arxiv_archive_wersa8_primary.tsv.gz"));
  ASSERT_TRUE(documents.ok()) << documents.status();
  // The corrected part B (canonical ids; data README, 2026-12-06).
  EXPECT_THAT(*documents, SizeIs(47790));
  std::map<std::string, int> counts;
  for (const Document& document : *documents) ++counts[document.labels[0]];
  EXPECT_THAT(counts,
              ElementsAre(Pair("cs.CE", 1767), Pair("cs.DS", 8035),
                          Pair("cs.NE", 3294), Pair("cs.PL", 2881),
                          Pair("cs.SY", 6216), Pair("math.AC", 5926),
                          Pair("math.GR", 9796), Pair("math.ST", 9875)));
}

// The real parts A2 and A3 (their rows in labels.tsv, found by path) and
// part D's two halves, under the same condition.
TEST(RealArxivDataTest, ReadsPartsA2A3AndD) {
  const char* root = std::getenv("WERSA_ARXIV_DATA");
  if (root == nullptr || *root == '\0') {
    GTEST_SKIP() << "WERSA_ARXIV_DATA is not set to the arxiv data folder";
  }
  const std::string fulltext = absl::StrCat(root, "/fulltext/");
  absl::StatusOr<std::vector<Document>> a2 =
      ReadFullTextCorpus(fulltext + "korzen_groundtruth_archive_from_id.tar.gz",
                         fulltext + "labels.tsv");
  ASSERT_TRUE(a2.ok()) << a2.status();
  ASSERT_THAT(*a2, SizeIs(3312));
  std::map<std::string, int> a2_counts;
  for (const Document& document : *a2) {
    ASSERT_THAT(document.labels, SizeIs(1)) << document.id;
    ++a2_counts[document.labels[0]];
  }
  // The data README's counts of the 11 archives and of the rest.
  for (const auto& [archive, count] :
       std::map<std::string, int>{{"astro-ph", 822},
                                  {"cond-mat", 403},
                                  {"quant-ph", 266},
                                  {"math", 249},
                                  {"math-ph", 52},
                                  {"cs", 10},
                                  {"physics", 7},
                                  {"hep-ph", 599},
                                  {"hep-th", 417},
                                  {"gr-qc", 237}}) {
    EXPECT_EQ(a2_counts[archive], count) << archive;
  }

  absl::StatusOr<std::vector<Document>> a3 =
      ReadFullTextCorpus(fulltext + "korzen_groundtruth_unlabelled.tar.gz",
                         fulltext + "labels.tsv");
  ASSERT_TRUE(a3.ok()) << a3.status();
  EXPECT_THAT(*a3, SizeIs(4638));
  for (const Document& document : *a3) {
    EXPECT_THAT(document.labels, IsEmpty()) << document.id;
    EXPECT_FALSE(document.text.empty()) << document.id;
  }

  const std::string d = absl::StrCat(root, "/abstracts11/abstracts11.part");
  std::map<std::string, int> d_counts;
  size_t d_documents = 0;
  for (const char* half : {"1", "2"}) {
    absl::StatusOr<std::vector<Document>> read =
        ReadAbstracts(absl::StrCat(d, half, ".tsv.gz"));
    ASSERT_TRUE(read.ok()) << read.status();
    d_documents += read->size();
    for (const Document& document : *read) {
      ++d_counts[ArchiveOfCategory(document.labels[0])];
    }
  }
  EXPECT_EQ(d_documents, 165305u);
  // The README's "kept" column: every primary category maps to its archive.
  EXPECT_THAT(
      d_counts,
      ElementsAre(Pair("astro-ph", 6214), Pair("cond-mat", 20000),
                  Pair("cs", 20000), Pair("math", 20000), Pair("math-ph", 6692),
                  Pair("nlin", 18829), Pair("physics", 20000),
                  Pair("q-bio", 17867), Pair("q-fin", 7097),
                  Pair("quant-ph", 8899), Pair("stat", 19707)));
}

}  // namespace
}  // namespace wersa::train
