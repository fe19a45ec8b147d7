#include "flatland/training/dataset.h"

#include <torch/types.h>

#include <cstdlib>
#include <filesystem>

#include "data_readers.h"
#include "flatland/errors.h"
#include "flatland/training/host_memory.h"

namespace flatland::training {

namespace {

const std::vector<std::string> kFashionMnistClasses = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

// Published per-set statistics: inputs are standardised so all models see zero-mean data.
constexpr float kFashionMnistMean = 0.2860f;
constexpr float kFashionMnistStd = 0.3530f;

std::string requireFile(const std::filesystem::path& path, const std::string& what) {
  if (!std::filesystem::exists(path)) throw DataError(what + " not found: " + path.string());
  return path.string();
}

}  // namespace

int64_t Dataset::size() const { return labels.defined() ? labels.size(0) : 0; }

std::vector<int64_t> Dataset::sampleShape() const {
  auto sizes = inputs.sizes();
  return {sizes.begin() + 1, sizes.end()};
}

std::vector<int64_t> Dataset::classCounts() const {
  auto counts = torch::bincount(labels.to(torch::kCPU), {}, numClasses);
  return {counts.data_ptr<int64_t>(), counts.data_ptr<int64_t>() + numClasses};
}

Dataset Dataset::first(int64_t n) const {
  if (n < 0)
    throw InvalidArgument("the sample count must not be negative, got " + std::to_string(n));
  Dataset out = *this;
  n = std::min(n, size());
  out.inputs = inputs.slice(0, 0, n);
  out.labels = labels.slice(0, 0, n);
  return out;
}

Dataset Dataset::select(const at::Tensor& indices) const {
  // A selection is a copy in memory: of a mapped set larger than memory it may not fit.
  const uint64_t rowBytes =
      size() > 0 ? uint64_t(inputs.numel() / size()) * inputs.element_size() : 0;
  const uint64_t bytes = rowBytes * uint64_t(indices.numel());
  if (inputs.is_cpu() && bytes > usableMemoryBytes())
    throw DataError("a selection of " + std::to_string(indices.numel()) + " samples of " + spec +
                    " needs " + std::to_string(bytes >> 20) + " MiB, more than the " +
                    std::to_string(usableMemoryBytes() >> 20) +
                    " MiB of memory this process may use (use --samples, or a smaller set)");
  Dataset out = *this;
  auto idx = indices.to(inputs.device());  // a streamed set's inputs may stay on the host
  out.inputs = inputs.index_select(0, idx);
  out.labels = labels.index_select(0, idx.to(labels.device()));
  out.streamed = false;
  return out;
}

Dataset Dataset::ofClass(int64_t cls) const {
  if (cls < 0 || cls >= numClasses)
    throw InvalidArgument("class " + std::to_string(cls) + " is out of range: the data has " +
                          std::to_string(numClasses) + " classes");
  auto idx = torch::nonzero(labels == cls).flatten();
  if (idx.numel() == 0)
    throw InvalidArgument("class " + std::to_string(cls) + " has no samples in " + spec);
  return select(idx);
}

Dataset Dataset::to(const c10::Device& device) const {
  Dataset out = *this;
  const bool keepOnHost = streamed && !device.is_cpu() &&
                          inputs.numel() * inputs.element_size() > kMaxStreamedDeviceCopy;
  if (!keepOnHost) {
    out.inputs = inputs.to(device);
    out.streamed = streamed && device.is_cpu();
  }
  out.labels = labels.to(device);
  return out;
}

Dataset loadDataset(const std::string& spec, const DataOptions& options) {
  return loadDataset(DataSpec::parse(spec), options);
}

Dataset loadDataset(const DataSpec& spec, const DataOptions& options) {
  namespace fs = std::filesystem;
  Dataset data;
  switch (spec.kind) {
    case DataSpec::Kind::FashionMnist: {
      fs::path dir = !options.dataDir.empty() ? fs::path(options.dataDir)
                     : !spec.path.empty()     ? fs::path(spec.path)
                                              : fs::path(defaultFashionMnistDir());
      if (!fs::is_directory(dir))
        throw DataError("Fashion-MNIST directory not found: " + dir.string() +
                        " (install the Debian package dataset-fashion-mnist, or set "
                        "FLATLAND_FASHION_MNIST_DIR)");
      std::string prefix = spec.split == "train" ? "train" : "t10k";
      auto images = requireFile(dir / (prefix + "-images-idx3-ubyte.gz"), "Fashion-MNIST images");
      auto labels = requireFile(dir / (prefix + "-labels-idx1-ubyte.gz"), "Fashion-MNIST labels");
      data = readIdxPair(images, labels, options.limit.value_or(-1));
      if (data.size() > 0) {
        // Fashion-MNIST's labels are 0 … 9, as CIFAR-10's: a larger byte is a damaged file.
        auto bad = torch::nonzero(data.labels > 9).flatten();
        if (bad.numel() > 0) {
          const int64_t record = bad[0].item<int64_t>();
          throw DataError(labels + " is damaged: label " + std::to_string(record) +
                          " (from 0) is " + std::to_string(data.labels[record].item<int64_t>()) +
                          " (Fashion-MNIST labels are 0 to 9)");
        }
      }
      data.inputs = (data.inputs - kFashionMnistMean) / kFashionMnistStd;
      data.pixelMean = {kFashionMnistMean};
      data.pixelStd = {kFashionMnistStd};
      data.numClasses = 10;
      data.classNames = kFashionMnistClasses;
      break;
    }
    case DataSpec::Kind::Cifar10:
      data = readCifar10(options.dataDir.empty() ? spec.path : options.dataDir,
                         spec.split == "train", options.limit.value_or(-1));
      break;
    case DataSpec::Kind::Hdf5:
      data = readHdf5Dataset(spec.path, options.limit.value_or(-1));
      break;
    case DataSpec::Kind::Synthetic: {
      const int64_t samples =
          spec.syntheticSamples > 0 ? spec.syntheticSamples : options.limit.value_or(2000);
      const uint64_t seed = spec.syntheticSeed;
      data = makeSynthetic(spec.split, samples, seed);
      break;
    }
  }
  data.spec = spec.text;
  if (options.limit) data = data.first(*options.limit);
  if (data.size() == 0) throw DataError("data set " + spec.text + " is empty");
  // Every loader promises labels in [0, numClasses): a label outside would reach LibTorch's
  // loss as "Target N is out of bounds".
  const int64_t lowest = data.labels.min().item<int64_t>();
  const int64_t highest = data.labels.max().item<int64_t>();
  if (lowest < 0 || highest >= data.numClasses)
    throw DataError("data set " + spec.text + " has label " +
                    std::to_string(lowest < 0 ? lowest : highest) + " but " +
                    std::to_string(data.numClasses) + " classes (labels must be 0 to " +
                    std::to_string(data.numClasses - 1) + ")");
  return data.to(options.device);
}

}  // namespace flatland::training
