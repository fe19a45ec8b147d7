// Data loaders on small generated files, including every kind of corruption users meet.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <torch/types.h>
#include <zlib.h>

#include <fstream>

#include "../../training/src/data_readers.h"
#include "flatland/errors.h"
#include "flatland/training/dataset.h"
#include "test_util.h"

using namespace flatland;
using namespace flatland::training;
using flatland::testing::TempDir;

namespace {

void putBigEndian(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(uint8_t(v >> s));
}

std::vector<uint8_t> idxImages(uint32_t n, uint32_t h, uint32_t w, uint32_t magic = 0x803) {
  std::vector<uint8_t> b;
  putBigEndian(b, magic);
  putBigEndian(b, n);
  putBigEndian(b, h);
  putBigEndian(b, w);
  for (uint32_t i = 0; i < n * h * w; ++i) b.push_back(uint8_t(i % 256));
  return b;
}

std::vector<uint8_t> idxLabels(uint32_t n, uint32_t classes = 10) {
  std::vector<uint8_t> b;
  putBigEndian(b, 0x801);
  putBigEndian(b, n);
  for (uint32_t i = 0; i < n; ++i) b.push_back(uint8_t(i % classes));
  return b;
}

void writeGz(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
}

void writeRaw(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// Expects a DataError whose message contains every fragment.
template <typename F>
void expectDataError(F&& f, std::initializer_list<std::string> fragments) {
  try {
    f();
    FAIL() << "expected a DataError";
  } catch (const DataError& e) {
    for (auto& fragment : fragments)
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
          << "message: " << e.what() << "\nmissing: " << fragment;
  }
}

}  // namespace

TEST(IdxReader, ReadsGzipAndPlainFiles) {
  TempDir dir;
  writeGz(dir.file("img.gz"), idxImages(12, 4, 5));
  writeRaw(dir.file("lab"), idxLabels(12, 3));
  auto data = readIdxPair(dir.file("img.gz"), dir.file("lab"));
  ASSERT_EQ(data.size(), 12);
  EXPECT_EQ(data.sampleShape(), (std::vector<int64_t>{1, 4, 5}));
  EXPECT_EQ(data.numClasses, 3);
  EXPECT_EQ(data.inputs.scalar_type(), torch::kFloat32);
  // Pixel i of the file is i % 256, scaled to [0, 1].
  EXPECT_FLOAT_EQ(data.inputs.flatten()[7].item<float>(), 7.0f / 255.0f);
  EXPECT_EQ(data.labels[4].item<int64_t>(), 1);
}

TEST(IdxReader, RejectsWrongMagicNumber) {
  TempDir dir;
  writeGz(dir.file("img.gz"), idxImages(3, 2, 2, 0x801));
  writeGz(dir.file("lab.gz"), idxLabels(3));
  expectDataError([&] { readIdxPair(dir.file("img.gz"), dir.file("lab.gz")); },
                  {dir.file("img.gz"), "wrong magic number"});
}

TEST(IdxReader, RejectsLabelsFileWithWrongMagicNumber) {
  TempDir dir;
  writeGz(dir.file("img.gz"), idxImages(3, 2, 2));
  // An image file given as the labels: magic 0x803 (rank 3) where 0x801 (rank 1) is expected.
  writeGz(dir.file("lab.gz"), idxImages(3, 2, 2));
  expectDataError([&] { readIdxPair(dir.file("img.gz"), dir.file("lab.gz")); },
                  {dir.file("lab.gz"), "not an IDX label file", "wrong magic number",
                   "0x00000803, expected 0x00000801"});
}

TEST(IdxReader, RejectsTruncatedLabelsFile) {
  TempDir dir;
  writeGz(dir.file("img.gz"), idxImages(10, 2, 2));
  auto labels = idxLabels(10);
  labels.resize(labels.size() - 3);  // the header promises 10 labels, 7 are there
  writeRaw(dir.file("lab"), labels);
  expectDataError([&] { readIdxPair(dir.file("img.gz"), dir.file("lab")); },
                  {dir.file("lab"), "truncated", "10 bytes of label", "holds 7"});
  // Cut inside the header: the count itself is missing.
  labels.resize(6);
  writeRaw(dir.file("lab"), labels);
  expectDataError([&] { readIdxPair(dir.file("img.gz"), dir.file("lab")); },
                  {dir.file("lab"), "truncated inside its header"});
}

TEST(IdxReader, RejectsTruncatedPayload) {
  TempDir dir;
  auto bytes = idxImages(10, 4, 4);
  bytes.resize(bytes.size() - 7);
  writeGz(dir.file("img.gz"), bytes);
  writeGz(dir.file("lab.gz"), idxLabels(10));
  expectDataError([&] { readIdxPair(dir.file("img.gz"), dir.file("lab.gz")); },
                  {"truncated", "img.gz"});
}

TEST(IdxReader, RejectsTruncatedGzipStream) {
  TempDir dir;
  writeGz(dir.file("full.gz"), idxImages(200, 28, 28));
  std::ifstream in(dir.file("full.gz"), std::ios::binary);
  std::vector<uint8_t> gz((std::istreambuf_iterator<char>(in)), {});
  gz.resize(gz.size() / 2);
  writeRaw(dir.file("img.gz"), gz);
  writeGz(dir.file("lab.gz"), idxLabels(200));
  expectDataError([&] { readIdxPair(dir.file("img.gz"), dir.file("lab.gz")); }, {"img.gz"});
}

TEST(IdxReader, RejectsCountMismatch) {
  TempDir dir;
  writeGz(dir.file("img.gz"), idxImages(10, 2, 2));
  writeGz(dir.file("lab.gz"), idxLabels(9));
  expectDataError([&] { readIdxPair(dir.file("img.gz"), dir.file("lab.gz")); },
                  {"10 images", "9 labels"});
}

TEST(IdxReader, RejectsMissingFile) {
  TempDir dir;
  expectDataError([&] { readIdxPair(dir.file("nope.gz"), dir.file("lab.gz")); }, {"nope.gz"});
}

TEST(FashionMnist, DirectoryOverrideAndLimit) {
  TempDir dir;
  writeGz(dir.file("t10k-images-idx3-ubyte.gz"), idxImages(50, 28, 28));
  writeGz(dir.file("t10k-labels-idx1-ubyte.gz"), idxLabels(50));
  DataOptions options;
  options.dataDir = dir.path().string();
  options.limit = 20;
  auto data = loadDataset("fashion-mnist:test", options);
  EXPECT_EQ(data.size(), 20);
  EXPECT_EQ(data.numClasses, 10);
  EXPECT_EQ(data.classNames.at(9), "Ankle boot");
  EXPECT_EQ(data.spec, "fashion-mnist:test");
}

TEST(FashionMnist, MissingDirectoryNamesThePackage) {
  DataOptions options;
  options.dataDir = "/nonexistent/fmnist";
  expectDataError([&] { loadDataset("fashion-mnist:train", options); }, {"dataset-fashion-mnist"});
}

TEST(FashionMnist, InstalledTestSetLoadsWhenPresent) {
  if (!std::filesystem::exists(defaultFashionMnistDir() + "/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  auto data = loadDataset("fashion-mnist:test");
  EXPECT_EQ(data.size(), 10000);
  EXPECT_EQ(data.sampleShape(), (std::vector<int64_t>{1, 28, 28}));
  // Balanced test set: 1000 of each class. Standardised: mean ≈ 0.
  for (auto count : data.classCounts()) EXPECT_EQ(count, 1000);
  EXPECT_NEAR(data.inputs.mean().item<double>(), 0.0, 0.05);
}

TEST(Cifar10, ReadsBinaryBatchesAndRejectsBadSize) {
  TempDir dir;
  std::vector<uint8_t> records;
  for (int i = 0; i < 7; ++i) {
    records.push_back(uint8_t(i % 10));
    for (int p = 0; p < 3072; ++p) records.push_back(uint8_t(p % 256));
  }
  writeRaw(dir.file("test_batch.bin"), records);
  auto data = readCifar10(dir.path().string(), false);
  EXPECT_EQ(data.size(), 7);
  EXPECT_EQ(data.sampleShape(), (std::vector<int64_t>{3, 32, 32}));
  EXPECT_EQ(data.labels[3].item<int64_t>(), 3);

  records.pop_back();
  writeRaw(dir.file("test_batch.bin"), records);
  expectDataError([&] { readCifar10(dir.path().string(), false); }, {"test_batch.bin", "3073"});
  expectDataError([&] { readCifar10(dir.path().string(), true); }, {"data_batch_1.bin"});
}

TEST(Cifar10, MissingDirectoryIsNamed) {
  TempDir dir;
  const std::string missing = dir.file("no-such-cifar");
  expectDataError([&] { readCifar10(missing, false); }, {missing, "directory not found"});
  DataOptions options;
  expectDataError([&] { loadDataset("cifar10:" + missing + ":test", options); },
                  {missing, "not found"});
  // A directory without the batches names the batch it looked for.
  expectDataError([&] { readCifar10(dir.path().string(), false); },
                  {dir.file("test_batch.bin"), "not found"});
}

TEST(Cifar10, RejectsALabelAboveNineNamingFileAndRecord) {
  TempDir dir;
  std::vector<uint8_t> records;
  for (int i = 0; i < 5; ++i) {
    records.push_back(i == 3 ? uint8_t(10) : uint8_t(i));
    for (int p = 0; p < 3072; ++p) records.push_back(uint8_t(p % 256));
  }
  writeRaw(dir.file("test_batch.bin"), records);
  expectDataError([&] { readCifar10(dir.path().string(), false); },
                  {dir.file("test_batch.bin"), "record 3", "label 10", "0 to 9"});
  // In the training batches, the file with the bad record is the one named.
  records[3 * 3073] = 3;
  for (int b = 1; b <= 5; ++b)
    writeRaw(dir.file("data_batch_" + std::to_string(b) + ".bin"), records);
  records[1 * 3073] = 255;
  writeRaw(dir.file("data_batch_4.bin"), records);
  expectDataError([&] { readCifar10(dir.path().string(), true); },
                  {dir.file("data_batch_4.bin"), "record 1", "label 255"});
}

namespace {

void writeH5(const std::string& path, const std::vector<hsize_t>& xDims, hid_t xType,
             const std::vector<hsize_t>& yDims, hid_t yType, bool withY = true) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  auto make = [&](const char* name, const std::vector<hsize_t>& dims, hid_t type) {
    hsize_t n = 1;
    for (auto d : dims) n *= d;
    std::vector<double> values(n);
    for (hsize_t i = 0; i < n; ++i) values[i] = double(i % 3);
    hid_t space = H5Screate_simple(int(dims.size()), dims.data(), nullptr);
    hid_t d = H5Dcreate2(f, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Dclose(d);
    H5Sclose(space);
  };
  make("x", xDims, xType);
  if (withY) make("y", yDims, yType);
  H5Fclose(f);
}

}  // namespace

TEST(Hdf5Dataset, ReadsXAndY) {
  TempDir dir;
  writeH5(dir.file("d.h5"), {6, 1, 2, 2}, H5T_IEEE_F32LE, {6}, H5T_STD_I64LE);
  auto data = loadDataset("h5:" + dir.file("d.h5"));
  EXPECT_EQ(data.size(), 6);
  EXPECT_EQ(data.sampleShape(), (std::vector<int64_t>{1, 2, 2}));
  EXPECT_EQ(data.numClasses, 3);
}

TEST(Hdf5Dataset, RejectsEachKindOfBadFile) {
  TempDir dir;
  writeH5(dir.file("rank.h5"), {6, 2}, H5T_IEEE_F32LE, {6, 1}, H5T_STD_I64LE);
  expectDataError([&] { readHdf5Dataset(dir.file("rank.h5")); }, {"/y", "rank 1", "[6, 1]"});
  writeH5(dir.file("flat.h5"), {6}, H5T_IEEE_F32LE, {6}, H5T_STD_I64LE);
  expectDataError([&] { readHdf5Dataset(dir.file("flat.h5")); },
                  {dir.file("flat.h5"), "/x must have rank 2 or more", "[6]"});
  writeH5(dir.file("count.h5"), {6, 2}, H5T_IEEE_F32LE, {5}, H5T_STD_I64LE);
  expectDataError([&] { readHdf5Dataset(dir.file("count.h5")); }, {"6 samples", "5 labels"});
  writeH5(dir.file("xtype.h5"), {6, 2}, H5T_STD_I32LE, {6}, H5T_STD_I64LE);
  expectDataError([&] { readHdf5Dataset(dir.file("xtype.h5")); }, {"/x", "float32"});
  writeH5(dir.file("ytype.h5"), {6, 2}, H5T_IEEE_F32LE, {6}, H5T_IEEE_F32LE);
  expectDataError([&] { readHdf5Dataset(dir.file("ytype.h5")); }, {"/y", "integer"});
  writeH5(dir.file("noy.h5"), {6, 2}, H5T_IEEE_F32LE, {6}, H5T_STD_I64LE, false);
  expectDataError([&] { readHdf5Dataset(dir.file("noy.h5")); }, {"no dataset /y"});
  writeRaw(dir.file("text.h5"), {'h', 'e', 'l', 'l', 'o'});
  expectDataError([&] { readHdf5Dataset(dir.file("text.h5")); }, {"not an HDF5 file"});
  expectDataError([&] { readHdf5Dataset(dir.file("missing.h5")); }, {"not found"});
}

TEST(Synthetic, SeededAndReproducible) {
  auto a = loadDataset("synthetic:spirals:300:7");
  auto b = loadDataset("synthetic:spirals:300:7");
  auto c = loadDataset("synthetic:spirals:300:8");
  EXPECT_EQ(a.size(), 300);
  EXPECT_TRUE(torch::equal(a.inputs, b.inputs));
  EXPECT_FALSE(torch::equal(a.inputs, c.inputs));
  auto blobs = loadDataset("synthetic:blobs");
  EXPECT_EQ(blobs.numClasses, 4);
  EXPECT_EQ(blobs.sampleShape(), (std::vector<int64_t>{8}));
}

TEST(DataSpec, RejectsMalformedSpecs) {
  for (const char* bad : {"mnist:train", "fashion-mnist", "fashion-mnist:val", "cifar10:train",
                          "h5:", "synthetic:moons", "synthetic:blobs:abc", "synthetic:blobs:0",
                          "synthetic:blobs:10:1:extra"})
    EXPECT_THROW(DataSpec::parse(bad), InvalidArgument) << bad;
  auto spec = DataSpec::parse("cifar10:/data/c10:test");
  EXPECT_EQ(spec.path, "/data/c10");
  EXPECT_EQ(spec.split, "test");
}

TEST(Dataset, ClassSubsetsAndCounts) {
  auto data = loadDataset("synthetic:blobs:100");
  auto counts = data.classCounts();
  EXPECT_EQ(counts, (std::vector<int64_t>{25, 25, 25, 25}));
  auto two = data.ofClass(2);
  EXPECT_EQ(two.size(), 25);
  EXPECT_TRUE((two.labels == 2).all().item<bool>());
  EXPECT_THROW(data.first(3).ofClass(3), InvalidArgument);  // no sample of class 3 in the first 3
}

// `--samples N` reads N samples: the same values as the first N of the whole file, the class
// count of the whole label set, and a file damaged after its first N records still gives them.
TEST(DataLimit, EachReaderReadsOnlyTheFirstSamples) {
  TempDir dir;
  // IDX: 12 images of 3 classes; the limited read sees classes 0 and 1 only.
  writeGz(dir.file("img.gz"), idxImages(12, 4, 5));
  writeRaw(dir.file("lab"), idxLabels(12, 3));
  const auto whole = readIdxPair(dir.file("img.gz"), dir.file("lab"));
  const auto first = readIdxPair(dir.file("img.gz"), dir.file("lab"), 2);
  ASSERT_EQ(first.size(), 2);
  EXPECT_TRUE(torch::equal(first.inputs, whole.inputs.slice(0, 0, 2)));
  EXPECT_TRUE(torch::equal(first.labels, whole.labels.slice(0, 0, 2)));
  EXPECT_EQ(first.numClasses, 3);
  auto truncated = idxImages(12, 4, 5);
  truncated.resize(truncated.size() - 30);  // the last images are cut
  writeGz(dir.file("cut.gz"), truncated);
  EXPECT_EQ(readIdxPair(dir.file("cut.gz"), dir.file("lab"), 5).size(), 5);
  expectDataError([&] { readIdxPair(dir.file("cut.gz"), dir.file("lab")); }, {"truncated"});

  // CIFAR-10: 7 records, the first 3.
  std::vector<uint8_t> records;
  for (int i = 0; i < 7; ++i) {
    records.push_back(uint8_t(i % 10));
    for (int p = 0; p < 3072; ++p) records.push_back(uint8_t((p + i) % 256));
  }
  writeRaw(dir.file("test_batch.bin"), records);
  const auto cifar = readCifar10(dir.path().string(), false);
  const auto cifar3 = readCifar10(dir.path().string(), false, 3);
  ASSERT_EQ(cifar3.size(), 3);
  EXPECT_TRUE(torch::equal(cifar3.inputs, cifar.inputs.slice(0, 0, 3)));
  EXPECT_EQ(cifar3.numClasses, 10);

  // HDF5: the first 4 of 6 rows; labels 0, 1, 2, 0, 1, 2 keep 3 classes.
  writeH5(dir.file("d.h5"), {6, 1, 2, 2}, H5T_IEEE_F32LE, {6}, H5T_STD_I64LE);
  const auto h5 = readHdf5Dataset(dir.file("d.h5"));
  const auto h5first = readHdf5Dataset(dir.file("d.h5"), 1);
  ASSERT_EQ(h5first.size(), 1);
  EXPECT_TRUE(torch::equal(h5first.inputs, h5.inputs.slice(0, 0, 1)));
  EXPECT_EQ(h5first.numClasses, 3);
  DataOptions options;
  options.limit = 4;
  EXPECT_EQ(loadDataset("h5:" + dir.file("d.h5"), options).size(), 4);
}
