// Reader for the IDX format of MNIST and Fashion-MNIST, plain or gzip-compressed.
#include <torch/types.h>
#include <zlib.h>

#include <cstring>
#include <string>
#include <vector>

#include "flatland/errors.h"
#include "flatland/training/dataset.h"

namespace flatland::training {

namespace {

// gzread reads uncompressed files too, so one path serves both.
std::vector<uint8_t> readWholeFile(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw DataError("cannot open " + path + ": " + std::strerror(errno));
  gzbuffer(file, 1 << 20);
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> chunk(1 << 22);
  while (true) {
    int n = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int code = 0;
      std::string why = gzerror(file, &code);
      gzclose(file);
      throw DataError("cannot read " + path + ": " + why + " (a damaged or truncated .gz file?)");
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + n);
  }
  gzclose(file);
  return bytes;
}

uint32_t bigEndian32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;  // the whole file
  size_t dataOffset = 0;
};

// Checks the magic number (unsigned bytes, `rank` dimensions) and that the payload is complete.
IdxArray parseIdx(const std::string& path, int rank, const std::string& what) {
  IdxArray array;
  array.bytes = readWholeFile(path);
  const auto& b = array.bytes;
  if (b.size() < 4)
    throw DataError(path + " is not an IDX " + what + " file: it has only " +
                    std::to_string(b.size()) + " bytes");
  uint32_t magic = bigEndian32(b.data());
  uint32_t expected = 0x0800u | uint32_t(rank);
  if (magic != expected) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "0x%08X, expected 0x%08X", magic, expected);
    throw DataError(path + " is not an IDX " + what + " file: wrong magic number " + buf);
  }
  size_t header = 4 + 4 * size_t(rank);
  if (b.size() < header) throw DataError(path + " is truncated inside its header");
  size_t count = 1;
  for (int i = 0; i < rank; ++i) {
    array.dims.push_back(bigEndian32(b.data() + 4 + 4 * i));
    count *= size_t(array.dims.back());
  }
  if (b.size() - header < count)
    throw DataError(path + " is truncated: its header promises " + std::to_string(count) +
                    " bytes of " + what + " but the file holds " +
                    std::to_string(b.size() - header));
  array.dataOffset = header;
  return array;
}

}  // namespace

Dataset readIdxPair(const std::string& imagesFile, const std::string& labelsFile) {
  auto images = parseIdx(imagesFile, 3, "image");
  auto labels = parseIdx(labelsFile, 1, "label");
  if (images.dims[0] != labels.dims[0])
    throw DataError("images and labels do not match: " + imagesFile + " holds " +
                    std::to_string(images.dims[0]) + " images but " + labelsFile + " holds " +
                    std::to_string(labels.dims[0]) + " labels");
  const int64_t n = images.dims[0], h = images.dims[1], w = images.dims[2];

  Dataset data;
  auto pixels =
      torch::from_blob(images.bytes.data() + images.dataOffset, {n, 1, h, w}, torch::kUInt8);
  data.inputs = pixels.to(torch::kFloat32).div_(255.0f);
  auto raw = torch::from_blob(labels.bytes.data() + labels.dataOffset, {n}, torch::kUInt8);
  data.labels = raw.to(torch::kInt64);
  data.numClasses = n > 0 ? data.labels.max().item<int64_t>() + 1 : 0;
  for (int64_t c = 0; c < data.numClasses; ++c) data.classNames.push_back(std::to_string(c));
  return data;
}

}  // namespace flatland::training
