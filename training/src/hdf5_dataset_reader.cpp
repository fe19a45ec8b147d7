// Reader for a data set stored as an HDF5 file with float /x (N×…) and integer /y (N).
#include <torch/types.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "data_readers.h"
#include "flatland/errors.h"
#include "flatland/training/dataset.h"
#include "flatland/training/host_memory.h"
#include "hdf5_handle.h"
#include "hdf5_mapped_inputs.h"
#include "hdf5_storage_check.h"

namespace flatland::training {

namespace {

std::vector<int64_t> shapeOf(hid_t dset) {
  auto space = h5::dataspace(H5Dget_space(dset));
  int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(std::max(rank, 0));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return {dims.begin(), dims.end()};
}

std::string shapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Checked a block of rows at a time: one test over a mapped set larger than memory would need a
// quarter of its size again for the result.
bool allFinite(const at::Tensor& inputs) {
  const int64_t n = inputs.size(0);
  const int64_t rowBytes =
      std::max<int64_t>(1, inputs.numel() / std::max<int64_t>(1, n)) * inputs.element_size();
  const int64_t block = std::max<int64_t>(1, (int64_t(64) << 20) / rowBytes);
  for (int64_t start = 0; start < n; start += block)
    if (!torch::isfinite(inputs.slice(0, start, std::min(n, start + block))).all().item<bool>())
      return false;
  return true;
}

h5::Handle openDataset(hid_t file, const char* name, const std::string& path) {
  if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
    throw DataError(path + " has no dataset " + name +
                    " (a data set file needs float32 /x of shape N×… and integer /y of shape N)");
  auto dset = h5::dataset(H5Dopen2(file, name, H5P_DEFAULT));
  if (!dset.valid()) throw DataError(path + ": " + name + " is not a dataset");
  return dset;
}

}  // namespace

Dataset readHdf5Dataset(const std::string& path) { return readHdf5Dataset(path, -1); }

Dataset readHdf5Dataset(const std::string& path, int64_t limit) {
  h5::QuietErrors quiet;
  if (!std::filesystem::exists(path)) throw DataError("HDF5 data file not found: " + path);
  if (H5Fis_hdf5(path.c_str()) <= 0) throw DataError(path + " is not an HDF5 file");
  auto file = h5::file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!file.valid()) throw DataError("cannot open " + path + ": " + h5::lastErrorMessage());

  auto x = openDataset(file, "/x", path);
  auto y = openDataset(file, "/y", path);
  auto xShape = shapeOf(x), yShape = shapeOf(y);
  if (xShape.size() < 2)
    throw DataError(path + ": /x must have rank 2 or more (N×features or N×C×H×W), got shape " +
                    shapeText(xShape));
  if (yShape.size() != 1)
    throw DataError(path + ": /y must be one label per sample (rank 1), got shape " +
                    shapeText(yShape));
  if (xShape[0] != yShape[0])
    throw DataError(path + ": /x holds " + std::to_string(xShape[0]) + " samples but /y holds " +
                    std::to_string(yShape[0]) + " labels");

  auto xType = h5::datatype(H5Dget_type(x));
  if (H5Tget_class(xType) != H5T_FLOAT)
    throw DataError(path +
                    ": /x must be float32 (it is an integer or other type; convert it with "
                    "x.astype('float32'))");
  auto yType = h5::datatype(H5Dget_type(y));
  if (H5Tget_class(yType) != H5T_INTEGER)
    throw DataError(path + ": /y must hold integer class labels (it is float or another type)");

  // A damaged header can promise any shape: check it against the file and the machine before
  // allocating (LibTorch would fail with an overflow or an allocator trace).
  auto bytesOf = [&](const char* name, const std::vector<int64_t>& shape, uint64_t elementSize) {
    uint64_t bytes = elementSize;
    for (int64_t d : shape) {
      if (d < 0 || __builtin_mul_overflow(bytes, uint64_t(d), &bytes))
        throw DataError(path + ": " + name + " has the impossible shape " + shapeText(shape) +
                        " (a damaged file?)");
    }
    return bytes;
  };
  // The samples read: the first `limit` rows of /x (every label of /y: the class count must
  // not depend on how many samples are kept).
  std::vector<int64_t> keptShape = xShape;
  if (limit >= 0) keptShape[0] = std::min(limit, xShape[0]);
  const uint64_t xBytes = bytesOf("/x", keptShape, sizeof(float));
  const uint64_t yBytes = bytesOf("/y", yShape, sizeof(int64_t));
  auto checkStored = [&](const char* name, hid_t dset, hid_t type,
                         const std::vector<int64_t>& shape) {
    // Uncompressed values take their full size in the file; more than the file holds is a
    // damaged shape. (Compressed ones can be far larger than the file: memory decides below.)
    auto dcpl = h5::plist(H5Dget_create_plist(dset));
    if (!dcpl.valid() || H5Pget_nfilters(dcpl) > 0) return;
    const uint64_t bytes = bytesOf(name, shape, std::max<uint64_t>(1, H5Tget_size(type)));
    std::error_code ec;
    const auto fileSize = std::filesystem::file_size(path, ec);
    if (!ec && bytes > fileSize)
      throw DataError(path + ": " + name + " claims the shape " + shapeText(shape) + " (" +
                      std::to_string(bytes) + " bytes) but the file holds only " +
                      std::to_string(fileSize) + " bytes (a damaged file?)");
    // libhdf5 itself does not check that the stored bytes cover the shape before reading.
    if (const auto problem = storageProblem(dset, shape, H5Tget_size(type)); !problem.empty())
      throw DataError(path + ": " + name + " " + problem);
  };
  checkStored("/x", x, xType, xShape);
  checkStored("/y", y, yType, yShape);
  Dataset data;
  if (auto mapped = mapContiguousFloat32(x, path, keptShape)) {
    data.inputs = std::move(*mapped);
    data.streamed = true;
  } else {
    // The memory this process may use (a container's or scheduler's cgroup can allow far less
    // than the machine has: past it the kernel kills the process without a word).
    const uint64_t memory = usableMemoryBytes();
    if (xBytes > memory || yBytes > memory || xBytes + yBytes > memory)
      throw DataError(path + ": /x of shape " + shapeText(keptShape) + " needs " +
                      std::to_string((xBytes + yBytes) >> 20) + " MiB, more than the " +
                      std::to_string(memory >> 20) +
                      " MiB of memory this process may use; stored contiguous (not chunked or "
                      "compressed) as little-endian float32 it would stream from the file instead "
                      "(h5py: f.create_dataset('x', data=x.astype('<f4')))");
    data.inputs = torch::empty(keptShape, torch::kFloat32);
    // The first rows only: a hyperslab of the file's space into a memory space of that shape.
    std::vector<hsize_t> start(xShape.size(), 0), count(keptShape.begin(), keptShape.end());
    auto fileSpace = h5::dataspace(H5Dget_space(x));
    auto memorySpace = h5::dataspace(H5Screate_simple(int(count.size()), count.data(), nullptr));
    if (H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start.data(), nullptr, count.data(),
                            nullptr) < 0 ||
        H5Dread(x, H5T_NATIVE_FLOAT, memorySpace, fileSpace, H5P_DEFAULT,
                data.inputs.data_ptr<float>()) < 0)
      throw DataError("cannot read /x from " + path + ": " + h5::lastErrorMessage());
  }
  auto labels = torch::empty(yShape, torch::kInt64);
  if (H5Dread(y, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, labels.data_ptr<int64_t>()) < 0)
    throw DataError("cannot read /y from " + path + ": " + h5::lastErrorMessage());
  data.labels = labels.slice(0, 0, keptShape[0]).clone();

  if (!allFinite(data.inputs)) throw DataError(path + ": /x contains NaN or infinite values");
  if (labels.numel() > 0 && labels.min().item<int64_t>() < 0)
    throw DataError(path + ": /y contains negative labels; classes must be 0 … C−1");
  // The largest label makes the class count (and the model's output width): bound it.
  constexpr int64_t kMaxClasses = int64_t(1) << 20;
  const int64_t highest = labels.numel() > 0 ? labels.max().item<int64_t>() : -1;
  if (highest >= kMaxClasses)
    throw DataError(path + ": /y holds the label " + std::to_string(highest) +
                    "; labels are class indices 0 … C−1 with at most " +
                    std::to_string(kMaxClasses) +
                    " classes (a damaged file, or not class labels?)");
  data.numClasses = highest + 1;
  for (int64_t c = 0; c < data.numClasses; ++c) data.classNames.push_back(std::to_string(c));
  return data;
}

}  // namespace flatland::training
