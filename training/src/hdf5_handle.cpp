#include "hdf5_handle.h"

namespace flatland::training::h5 {

namespace {
herr_t collectMessage(unsigned n, const H5E_error2_t* err, void* out) {
  // The first entry is the innermost failure: the most specific description.
  if (n == 0 && err->desc) *static_cast<std::string*>(out) = err->desc;
  return 0;
}
}  // namespace

std::string lastErrorMessage() {
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collectMessage, &message);
  return message.empty() ? std::string("unknown HDF5 error") : message;
}

}  // namespace flatland::training::h5
