#include "hdf5_mapped_inputs.h"

#include <torch/types.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "flatland/errors.h"
#include "hdf5_handle.h"

namespace flatland::training {

std::optional<at::Tensor> mapContiguousFloat32(hid_t dataset, const std::string& path,
                                               const std::vector<int64_t>& shape) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
                "the mapping assumes a little-endian host");
  auto dcpl = h5::plist(H5Dget_create_plist(dataset));
  if (!dcpl.valid() || H5Pget_layout(dcpl) != H5D_CONTIGUOUS || H5Pget_nfilters(dcpl) != 0)
    return std::nullopt;
  auto type = h5::datatype(H5Dget_type(dataset));
  if (!type.valid() || H5Tequal(type, H5T_IEEE_F32LE) <= 0) return std::nullopt;
  // H5Dget_offset counts from the start of the file (a user block included).
  const haddr_t address = H5Dget_offset(dataset);
  if (address == HADDR_UNDEF) return std::nullopt;  // never written: HDF5 reads fill values

  uint64_t bytes = sizeof(float);
  for (int64_t d : shape) bytes *= uint64_t(d);
  if (bytes == 0) return std::nullopt;  // nothing to map: an empty read costs nothing
  // Storage that does not hold every value (never written, or damaged) is left to HDF5's read
  // and its checks; so is a misaligned address (floats are read 4 bytes at a time).
  if (H5Dget_storage_size(dataset) < bytes || address % alignof(float) != 0) return std::nullopt;
  const uint64_t offset = uint64_t(address);
  const uint64_t page = uint64_t(::sysconf(_SC_PAGESIZE));
  const uint64_t alignedOffset = offset - offset % page;
  const size_t length = size_t(bytes + (offset - alignedOffset));

  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw DataError("cannot open " + path + ": " + std::strerror(errno));
  // Pages past the end of the file would kill the process (SIGBUS) when first read.
  struct stat status {};
  if (::fstat(fd, &status) != 0 || uint64_t(status.st_size) < offset + bytes) {
    ::close(fd);
    throw DataError(path + ": /x ends past the end of the file (a damaged or truncated file?)");
  }
  // Private and writable: a caller that changes an input in place gets its own copy of that
  // page instead of a crash, and the file is never written.
  void* base =
      ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, off_t(alignedOffset));
  const int mapError = errno;
  ::close(fd);  // the mapping keeps the file
  if (base == MAP_FAILED)
    throw DataError("cannot map /x of " + path + " into memory: " + std::strerror(mapError));
  auto* first = static_cast<char*>(base) + (offset - alignedOffset);
  try {
    return torch::from_blob(
        first, shape, [base, length](void*) { ::munmap(base, length); },
        torch::TensorOptions().dtype(torch::kFloat32));
  } catch (...) {
    ::munmap(base, length);
    throw;
  }
}

}  // namespace flatland::training
