// h5: data sets stored contiguous float32 are mapped from their file instead of read into memory:
// they equal an in-memory read, keep anonymous memory flat while evaluated and trained on, and a
// training epoch reads them in blocks.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <hdf5.h>
#include <torch/types.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "flatland/errors.h"
#include "flatland/training/checkpoint.h"
#include "flatland/training/dataset.h"
#include "flatland/training/epoch_order.h"
#include "flatland/training/evaluate.h"
#include "flatland/training/model_spec.h"
#include "flatland/training/trainer.h"
#include "test_util.h"

using namespace flatland;
using namespace flatland::training;
using flatland::testing::TempDir;

namespace {

// Writes `data` as /x (float32) and /y (int64): contiguous, or chunked and compressed; with a
// user block (bytes before HDF5's own) when asked.
void writeSet(const std::string& path, const Dataset& data, bool contiguous,
              hsize_t userBlock = 0) {
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  if (userBlock > 0) H5Pset_userblock(fcpl, userBlock);
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  H5Pclose(fcpl);
  auto put = [&](const char* name, const at::Tensor& values, hid_t fileType, hid_t memoryType) {
    const auto t = values.contiguous();
    std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
    hid_t space = H5Screate_simple(int(dims.size()), dims.data(), nullptr);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (!contiguous) {
      std::vector<hsize_t> chunk = dims;
      chunk[0] = std::max<hsize_t>(1, dims[0] / 4);
      H5Pset_chunk(dcpl, int(chunk.size()), chunk.data());
      H5Pset_deflate(dcpl, 1);
    }
    hid_t d = H5Dcreate2(f, name, fileType, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Dwrite(d, memoryType, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr());
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(space);
  };
  put("x", data.inputs.to(torch::kFloat32), H5T_IEEE_F32LE, H5T_NATIVE_FLOAT);
  put("y", data.labels.to(torch::kInt64), H5T_STD_I64LE, H5T_NATIVE_INT64);
  H5Fclose(f);
}

Dataset randomSet(int64_t n, std::vector<int64_t> sampleShape, int64_t classes) {
  Dataset data;
  sampleShape.insert(sampleShape.begin(), n);
  data.inputs = torch::randn(sampleShape);
  data.labels = torch::randint(0, classes, {n}, torch::kInt64);
  return data;
}

// Anonymous resident memory of this process (heap and LibTorch's buffers, not file pages), bytes.
int64_t anonymousResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    int64_t kb = 0;
    if (key == "RssAnon:" && status >> kb) return kb * 1024;
  }
  return -1;
}

}  // namespace

TEST(StreamedData, ContiguousFloat32InputsAreMappedAndEqualAnInMemoryRead) {
  TempDir dir;
  torch::manual_seed(1);
  const auto data = randomSet(50, {1, 4, 3}, 5);
  writeSet(dir.file("contiguous.h5"), data, true);
  writeSet(dir.file("chunked.h5"), data, false);
  const auto mapped = loadDataset("h5:" + dir.file("contiguous.h5"));
  const auto read = loadDataset("h5:" + dir.file("chunked.h5"));
  EXPECT_TRUE(mapped.streamed);
  EXPECT_FALSE(read.streamed);
  EXPECT_TRUE(torch::equal(mapped.inputs, data.inputs));
  EXPECT_TRUE(torch::equal(read.inputs, data.inputs));
  EXPECT_TRUE(torch::equal(mapped.labels, data.labels));
  EXPECT_EQ(mapped.numClasses, read.numClasses);
  // --samples maps only the first rows; a selection is an ordinary in-memory set.
  DataOptions first;
  first.limit = 7;
  const auto seven = loadDataset("h5:" + dir.file("contiguous.h5"), first);
  EXPECT_TRUE(seven.streamed);
  EXPECT_TRUE(torch::equal(seven.inputs, data.inputs.slice(0, 0, 7)));
  EXPECT_FALSE(mapped.ofClass(2).streamed);
  // A user block before HDF5's data: the mapping starts where HDF5 says /x is.
  writeSet(dir.file("userblock.h5"), data, true, 512);
  const auto afterUserBlock = loadDataset("h5:" + dir.file("userblock.h5"));
  EXPECT_TRUE(afterUserBlock.streamed);
  EXPECT_TRUE(torch::equal(afterUserBlock.inputs, data.inputs));
  // Changing a mapped input in place changes this process's copy, never the file.
  auto changed = loadDataset("h5:" + dir.file("contiguous.h5"));
  changed.inputs.zero_();
  EXPECT_TRUE(torch::equal(loadDataset("h5:" + dir.file("contiguous.h5")).inputs, data.inputs));
}

TEST(StreamedData, ANanOrACutFileIsAClearErrorNotACrash) {
  TempDir dir;
  auto data = randomSet(40, {6}, 3);
  data.inputs[37][2] = std::numeric_limits<float>::quiet_NaN();
  writeSet(dir.file("nan.h5"), data, true);
  EXPECT_THROW(loadDataset("h5:" + dir.file("nan.h5")), DataError);
  // Cut inside /x: mapped pages past the end would kill the process when touched.
  writeSet(dir.file("cut.h5"), randomSet(20000, {8}, 3), true);
  std::filesystem::resize_file(dir.file("cut.h5"), 300000);
  EXPECT_THROW(loadDataset("h5:" + dir.file("cut.h5")), DataError);
}

TEST(StreamedData, EvaluatingAStreamedSetDoesNotCopyItIntoMemory) {
  TempDir dir;
  // 96 MiB of inputs, evaluated in batches of 500 (1.5 MiB each).
  torch::manual_seed(2);
  const int64_t n = 30000, features = 800;
  {
    auto data = randomSet(n, {features}, 10);
    writeSet(dir.file("big.h5"), data, true);
  }
  auto model = makeZooModel("mlp", ModelShape{{features}, 10}, 0);
  auto warmUp = randomSet(600, {features}, 10);
  warmUp.numClasses = 10;
  evaluate(*model, warmUp, 500);  // LibTorch's own first-use allocations
  const int64_t before = anonymousResidentBytes();
  ASSERT_GT(before, 0);
  const auto big = loadDataset("h5:" + dir.file("big.h5"));
  ASSERT_TRUE(big.streamed);
  const auto result = evaluate(*model, big, 500);
  EXPECT_TRUE(std::isfinite(result.loss));
  const int64_t grown = anonymousResidentBytes() - before;
  // An in-memory read would add the whole 96 MiB (and the NaN check a quarter more).
  EXPECT_LT(grown, int64_t(24) << 20) << "anonymous memory grew by " << (grown >> 20) << " MiB";
}

TEST(StreamedData, TrainingOnAMappedSetEqualsTrainingOnTheSameSetInMemory) {
  TempDir dir;
  const auto blobs = loadDataset("synthetic:blobs:512:1");
  writeSet(dir.file("mapped.h5"), blobs, true);
  writeSet(dir.file("read.h5"), blobs, false);
  auto config = flatland::testing::blobsTrainConfig();
  config.epochs = 2;
  config.runName = "r";
  config.data = "h5:" + dir.file("mapped.h5");
  ASSERT_EQ(trainRun(config, dir.file("a.h5")).status, RunStatus::Finished);
  config.data = "h5:" + dir.file("read.h5");
  ASSERT_EQ(trainRun(config, dir.file("b.h5")).status, RunStatus::Finished);
  const ModelShape shape{{8}, 4};
  EXPECT_TRUE(torch::equal(loadModel(dir.file("a.h5") + ":/runs/r", shape)->flatParameters(),
                           loadModel(dir.file("b.h5") + ":/runs/r", shape)->flatParameters()));
}

TEST(EpochOrder, ALargeStreamedSetIsShuffledByWindowsOfBlocks) {
  auto generator = at::detail::createCPUGenerator(5);
  const int64_t n = 203, blockRows = 10, windowBlocks = 3;
  const auto order = blockShuffledOrder(n, blockRows, windowBlocks, generator);
  ASSERT_EQ(order.numel(), n);
  EXPECT_TRUE(torch::equal(std::get<0>(order.sort()), torch::arange(n)));
  EXPECT_FALSE(torch::equal(order, torch::arange(n)));  // shuffled
  // Read in order, the permutation falls into windows of exactly three blocks each, every row
  // of a window's blocks inside it; all 21 blocks appear, each in one window.
  const auto block = torch::div(order, blockRows, "floor");
  std::vector<int64_t> seen(21, 0);
  int64_t position = 0, windows = 0;
  while (position < n) {
    std::set<int64_t> blocks;
    int64_t consumed = 0, total = 0;
    while (position < n) {
      const int64_t b = block[position].item<int64_t>();
      if (!blocks.count(b)) {
        if (int64_t(blocks.size()) == windowBlocks) break;  // a fourth block too early
        blocks.insert(b);
        total += std::min(blockRows, n - b * blockRows);
      }
      ++consumed, ++position;
      if (int64_t(blocks.size()) == windowBlocks && consumed == total) break;
    }
    EXPECT_EQ(consumed, total) << "window " << windows << " mixes rows of other blocks";
    for (int64_t b : blocks) ++seen[b];
    ++windows;
  }
  EXPECT_EQ(windows, 7);
  for (int64_t count : seen) EXPECT_EQ(count, 1) << "a block split across windows";
  // A window as large as the set is a plain permutation, the one an in-memory set gets.
  auto a = at::detail::createCPUGenerator(9), b = at::detail::createCPUGenerator(9);
  EXPECT_TRUE(
      torch::equal(blockShuffledOrder(n, blockRows, 21, a), torch::randperm(n, b, torch::kInt64)));
  EXPECT_THROW(blockShuffledOrder(n, 0, 3, a), InvalidArgument);
}

TEST(EpochOrder, AMappedSetThatFitsInMemoryGetsAPlainPermutation) {
  Dataset data = randomSet(1000, {4}, 3);
  data.streamed = true;  // 16 kB: far below any machine's memory
  auto a = at::detail::createCPUGenerator(4), b = at::detail::createCPUGenerator(4);
  EXPECT_TRUE(torch::equal(epochOrder(data, 10, a), torch::randperm(1000, b, torch::kInt64)));
}
