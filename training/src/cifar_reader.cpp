// Reader for the binary version of CIFAR-10 (data_batch_1..5.bin, test_batch.bin).
#include <torch/types.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

#include "data_readers.h"
#include "flatland/errors.h"
#include "flatland/training/dataset.h"

namespace flatland::training {

namespace {

constexpr int64_t kRecordBytes = 1 + 3 * 32 * 32;
const std::vector<std::string> kCifarClasses = {"airplane", "automobile", "bird",  "cat",  "deer",
                                                "dog",      "frog",       "horse", "ship", "truck"};
// Per-channel statistics of the training set, the usual standardisation.
constexpr float kMean[3] = {0.4914f, 0.4822f, 0.4465f};
constexpr float kStd[3] = {0.2470f, 0.2435f, 0.2616f};

// Appends the batch's records, at most `limit` of them (all when negative).
void appendBatch(const std::filesystem::path& path, std::vector<uint8_t>& out, int64_t limit) {
  if (!std::filesystem::exists(path))
    throw DataError("CIFAR-10 batch not found: " + path.string() +
                    " (point cifar10:DIR at the folder holding the binary batches)");
  auto bytes = std::filesystem::file_size(path);
  if (bytes == 0 || bytes % kRecordBytes != 0)
    throw DataError(path.string() + " is not a CIFAR-10 binary batch: its size " +
                    std::to_string(bytes) + " is not a multiple of the 3073-byte record" +
                    (bytes % kRecordBytes != 0 ? " (truncated?)" : ""));
  if (limit >= 0) bytes = std::min<uintmax_t>(bytes, uintmax_t(limit) * kRecordBytes);
  std::ifstream in(path, std::ios::binary);
  size_t start = out.size();
  out.resize(start + bytes);
  if (!in.read(reinterpret_cast<char*>(out.data() + start), std::streamsize(bytes)))
    throw DataError("cannot read " + path.string());
  // Each record starts with its label byte, 0 … 9: a larger one means another format (or a
  // damaged file), and the record is named so it can be found.
  for (size_t record = 0; record < bytes / kRecordBytes; ++record) {
    const uint8_t label = out[start + record * kRecordBytes];
    if (label > 9)
      throw DataError(path.string() + " is not a CIFAR-10 binary batch: record " +
                      std::to_string(record) + " (from 0) has label " + std::to_string(label) +
                      " (CIFAR-10 labels are 0 to 9)");
  }
}

}  // namespace

Dataset readCifar10(const std::string& dir, bool train) { return readCifar10(dir, train, -1); }

Dataset readCifar10(const std::string& dir, bool train, int64_t limit) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir)) throw DataError("CIFAR-10 directory not found: " + dir);
  std::vector<uint8_t> raw;
  // The batches in order, each read only as far as the samples still wanted.
  const auto wanted = [&] {
    return limit < 0 ? int64_t(-1) : limit - int64_t(raw.size()) / kRecordBytes;
  };
  if (train) {
    for (int i = 1; i <= 5 && wanted() != 0; ++i)
      appendBatch(fs::path(dir) / ("data_batch_" + std::to_string(i) + ".bin"), raw, wanted());
  } else {
    appendBatch(fs::path(dir) / "test_batch.bin", raw, wanted());
  }
  const int64_t n = int64_t(raw.size()) / kRecordBytes;
  auto records = torch::from_blob(raw.data(), {n, kRecordBytes}, torch::kUInt8);
  Dataset data;
  data.labels = records.select(1, 0).to(torch::kInt64);
  auto pixels = records.slice(1, 1).reshape({n, 3, 32, 32}).to(torch::kFloat32).div_(255.0f);
  auto mean = torch::tensor({kMean[0], kMean[1], kMean[2]}).view({1, 3, 1, 1});
  auto stdev = torch::tensor({kStd[0], kStd[1], kStd[2]}).view({1, 3, 1, 1});
  data.inputs = (pixels - mean) / stdev;
  data.numClasses = 10;
  data.classNames = kCifarClasses;
  data.pixelMean = {kMean[0], kMean[1], kMean[2]};
  data.pixelStd = {kStd[0], kStd[1], kStd[2]};
  return data;
}

}  // namespace flatland::training
