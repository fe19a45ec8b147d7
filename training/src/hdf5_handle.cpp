#include "hdf5_handle.h"

#include <mutex>

namespace flatland::training::h5 {

namespace {

std::recursive_mutex& libraryMutex() {
  static std::recursive_mutex mutex;
  return mutex;
}

// How many Sessions this thread holds (the recursive mutex's count, which Released gives back).
thread_local int sessionDepth = 0;

herr_t collectMessage(unsigned n, const H5E_error2_t* err, void* out) {
  // The first entry is the innermost failure: the most specific description.
  if (n == 0 && err->desc) *static_cast<std::string*>(out) = err->desc;
  return 0;
}
}  // namespace

Session::Session() {
  libraryMutex().lock();
  ++sessionDepth;
  H5Eget_auto2(H5E_DEFAULT, &m_func, &m_data);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

Session::~Session() {
  H5Eset_auto2(H5E_DEFAULT, m_func, m_data);
  --sessionDepth;
  libraryMutex().unlock();
}

Released::Released() : m_depth(sessionDepth) {
  for (int i = 0; i < m_depth; ++i) libraryMutex().unlock();
  sessionDepth = 0;
}

Released::~Released() {
  for (int i = 0; i < m_depth; ++i) libraryMutex().lock();
  sessionDepth = m_depth;
}

std::string lastErrorMessage() {
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collectMessage, &message);
  return message.empty() ? std::string("unknown HDF5 error") : message;
}

}  // namespace flatland::training::h5
