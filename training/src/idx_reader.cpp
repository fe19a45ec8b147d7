// Reader for the IDX format of MNIST and Fashion-MNIST, plain or gzip-compressed.
#include <torch/types.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "data_readers.h"
#include "flatland/errors.h"
#include "flatland/training/dataset.h"

namespace flatland::training {

namespace {

// An open gzip (or plain: gzread reads those too) file, closed with the object.
class GzFile {
 public:
  explicit GzFile(const std::string& path) : m_path(path), m_file(gzopen(path.c_str(), "rb")) {
    if (!m_file) throw DataError("cannot open " + path + ": " + std::strerror(errno));
    gzbuffer(m_file, 1 << 20);
  }
  ~GzFile() { gzclose(m_file); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Up to `count` bytes appended to `out`; fewer only at the end of the file. The buffer grows
  // with what the file really holds, not with what a (maybe damaged) header promises.
  void read(size_t count, std::vector<uint8_t>& out) {
    constexpr size_t kChunk = size_t(1) << 22;
    size_t done = 0;
    while (done < count) {
      const size_t step = std::min(count - done, kChunk);
      const size_t start = out.size();
      out.resize(start + step);
      const int n = gzread(m_file, out.data() + start, unsigned(step));
      if (n < 0) {
        int code = 0;
        const std::string why = gzerror(m_file, &code);
        throw DataError("cannot read " + m_path + ": " + why +
                        " (a damaged or truncated .gz file?)");
      }
      out.resize(start + size_t(n));
      if (n == 0) break;
      done += size_t(n);
    }
  }

 private:
  std::string m_path;
  gzFile m_file;
};

uint32_t bigEndian32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

struct IdxArray {
  std::vector<int64_t> dims;   // as the header says (dims[0]: the records in the file)
  int64_t records = 0;         // the records read: all, or the first `limit`
  std::vector<uint8_t> bytes;  // the header and the records read
  size_t dataOffset = 0;
};

// Checks the magic number (unsigned bytes, `rank` dimensions) and reads the first `limit`
// records (all when negative), checking that they are complete: `--samples N` reads N images,
// not the file.
IdxArray parseIdx(const std::string& path, int rank, const std::string& what, int64_t limit) {
  IdxArray array;
  GzFile file(path);
  auto& b = array.bytes;
  file.read(4, b);
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
  const size_t header = 4 + 4 * size_t(rank);
  file.read(header - 4, b);
  if (b.size() < header) throw DataError(path + " is truncated inside its header");
  size_t recordBytes = 1, total = 1;
  bool overflow = false;
  for (int i = 0; i < rank; ++i) {
    array.dims.push_back(bigEndian32(b.data() + 4 + 4 * i));
    overflow |= __builtin_mul_overflow(total, size_t(array.dims.back()), &total);
    if (i > 0)
      overflow |= __builtin_mul_overflow(recordBytes, size_t(array.dims.back()), &recordBytes);
  }
  // LibTorch indexes with int64: a size beyond it is as impossible as one beyond size_t (an empty
  // file with huge images, 0 x 3e9 x 3e9, passed every other check).
  if (overflow || total > size_t(INT64_MAX) || recordBytes > size_t(INT64_MAX))
    throw DataError(path + " is not an IDX " + what +
                    " file: its header claims an impossible size");
  array.records = limit >= 0 ? std::min(limit, array.dims[0]) : array.dims[0];
  const size_t count = size_t(array.records) * recordBytes;
  file.read(count, b);
  if (b.size() - header < count)
    throw DataError(path + " is truncated: its header promises " + std::to_string(total) +
                    " bytes of " + what + " but the file holds " +
                    std::to_string(b.size() - header) +
                    (array.records < array.dims[0]
                         ? " (reading the first " + std::to_string(array.records) + ")"
                         : std::string()));
  array.dataOffset = header;
  return array;
}

}  // namespace

Dataset readIdxPair(const std::string& imagesFile, const std::string& labelsFile) {
  return readIdxPair(imagesFile, labelsFile, -1);
}

Dataset readIdxPair(const std::string& imagesFile, const std::string& labelsFile, int64_t limit) {
  auto images = parseIdx(imagesFile, 3, "image", limit);
  // Every label (one byte each): the class count must not depend on the samples kept.
  auto labels = parseIdx(labelsFile, 1, "label", -1);
  if (images.dims[0] != labels.dims[0])
    throw DataError("images and labels do not match: " + imagesFile + " holds " +
                    std::to_string(images.dims[0]) + " images but " + labelsFile + " holds " +
                    std::to_string(labels.dims[0]) + " labels");
  const int64_t n = images.records, h = images.dims[1], w = images.dims[2];

  Dataset data;
  auto pixels =
      torch::from_blob(images.bytes.data() + images.dataOffset, {n, 1, h, w}, torch::kUInt8);
  data.inputs = pixels.to(torch::kFloat32).div_(255.0f);
  auto all =
      torch::from_blob(labels.bytes.data() + labels.dataOffset, {labels.records}, torch::kUInt8)
          .to(torch::kInt64);
  data.labels = all.slice(0, 0, n).clone();
  data.numClasses = all.numel() > 0 ? all.max().item<int64_t>() + 1 : 0;
  for (int64_t c = 0; c < data.numClasses; ++c) data.classNames.push_back(std::to_string(c));
  return data;
}

}  // namespace flatland::training
