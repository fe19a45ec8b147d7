// A labelled data set held as two tensors on one device, and the spec strings that name one.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flatland/training/specs.h"

namespace flatland::training {

// Images as float32 N×C×H×W (or N×D for tabular sets), labels as int64 N in [0, numClasses).
struct Dataset {
  at::Tensor inputs;
  at::Tensor labels;
  int64_t numClasses = 0;
  std::string spec;                     // the spec string it was loaded from
  std::vector<std::string> classNames;  // numClasses entries
  // Per channel: inputs = (pixel − pixelMean) / pixelStd, pixels in [0, 1]. Empty when the set
  // has no known pixel scale (h5:, synthetic): its inputs are in their own units.
  std::vector<double> pixelMean, pixelStd;
  // The inputs map a file (an h5: set stored contiguous float32): they are read a batch at a
  // time, so a set larger than memory works. Callers take batches by slicing and move each to
  // the model's device; a streamed set larger than kMaxStreamedDeviceCopy stays on the host.
  bool streamed = false;
  static constexpr int64_t kMaxStreamedDeviceCopy = int64_t(4) << 30;

  int64_t size() const;
  // Shape of one sample (without the batch dimension).
  std::vector<int64_t> sampleShape() const;
  // Samples of each class, numClasses entries.
  std::vector<int64_t> classCounts() const;

  Dataset first(int64_t n) const;
  Dataset select(const at::Tensor& indices) const;  // int64 indices, keeps numClasses; in memory
  Dataset ofClass(int64_t cls) const;               // throws InvalidArgument when empty
  Dataset to(const c10::Device& device) const;      // labels always move; see `streamed`
};

// Where files are found and how much to load.
struct DataOptions {
  std::optional<int64_t> limit;  // keep the first N samples
  std::string dataDir;           // overrides the default directory of a named set
  c10::Device device = c10::Device(c10::kCPU);
};

// Loads a data set by spec. Throws DataError naming the file and the problem.
Dataset loadDataset(const std::string& spec, const DataOptions& options = {});
Dataset loadDataset(const DataSpec& spec, const DataOptions& options = {});

// The individual readers, for tests and for callers that already know the format.
Dataset readIdxPair(const std::string& imagesFile, const std::string& labelsFile);
Dataset readCifar10(const std::string& dir, bool train);
Dataset readHdf5Dataset(const std::string& file);
Dataset makeSynthetic(const std::string& name, int64_t samples, uint64_t seed);

}  // namespace flatland::training
