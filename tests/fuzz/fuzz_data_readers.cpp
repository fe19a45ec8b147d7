// Fuzz target: the data readers (IDX, CIFAR-10, HDF5 /x and /y) on arbitrary bytes, with and
// without a sample limit. The first byte chooses the reader and the limit; the rest is the file
// (for IDX, the images file; its labels file is the same bytes with a label header). Every input
// ends in a data set or a flatland::Error (no LibTorch error, no crash), and no HDF5 object stays
// open.
#include <hdf5.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "../../training/src/data_readers.h"
#include "flatland/errors.h"
#include "flatland/training/dataset.h"

namespace {

void write(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(data), std::streamsize(size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  namespace fs = std::filesystem;
  static const fs::path dir =
      fs::temp_directory_path() / ("flatland-fuzz-data-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const uint8_t choice = data[0];
  const int64_t limit = (choice >> 2) % 4 == 0 ? -1 : (choice >> 4) + 1;
  const uint8_t* body = data + 1;
  const size_t n = size - 1;
  try {
    switch (choice % 3) {
      case 0: {
        write((dir / "images").string(), body, n);
        // Labels: a valid label header over the same count the images claim, then the bytes.
        std::string labels = {0, 0, 8, 1};
        for (int i = 4; i < 8; ++i) labels.push_back(i < int(n) ? char(body[i]) : 0);
        labels.append(reinterpret_cast<const char*>(body), n);
        write((dir / "labels").string(), reinterpret_cast<const uint8_t*>(labels.data()),
              labels.size());
        flatland::training::readIdxPair((dir / "images").string(), (dir / "labels").string(),
                                        limit);
        break;
      }
      case 1:
        write((dir / "test_batch.bin").string(), body, n);
        flatland::training::readCifar10(dir.string(), false, limit);
        break;
      default:
        write((dir / "data.h5").string(), body, n);
        flatland::training::readHdf5Dataset((dir / "data.h5").string(), limit);
        break;
    }
  } catch (const flatland::Error&) {
  }
  if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0) {
    std::fprintf(stderr, "HDF5 objects left open after reading the data\n");
    std::abort();
  }
  return 0;
}
