// RAII ownership of HDF5 identifiers and a quiet error stack; private to the training library.
#pragma once

#include <hdf5.h>

#include <string>
#include <utility>

namespace flatland::training::h5 {

// Owns one hid_t and closes it with the matching H5*close function.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : m_id(id), m_closer(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept { *this = std::move(other); }
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      m_id = std::exchange(other.m_id, H5I_INVALID_HID);
      m_closer = other.m_closer;
    }
    return *this;
  }
  ~Handle() { reset(); }

  hid_t get() const { return m_id; }
  bool valid() const { return m_id >= 0; }
  operator hid_t() const { return m_id; }
  void reset() {
    if (m_id >= 0 && m_closer) m_closer(m_id);
    m_id = H5I_INVALID_HID;
  }
  // Gives up ownership (to close the id by hand and check the result).
  hid_t release() { return std::exchange(m_id, H5I_INVALID_HID); }

 private:
  hid_t m_id = H5I_INVALID_HID;
  Closer m_closer = nullptr;
};

inline Handle file(hid_t id) { return {id, H5Fclose}; }
inline Handle group(hid_t id) { return {id, H5Gclose}; }
inline Handle dataset(hid_t id) { return {id, H5Dclose}; }
inline Handle dataspace(hid_t id) { return {id, H5Sclose}; }
inline Handle datatype(hid_t id) { return {id, H5Tclose}; }
inline Handle attribute(hid_t id) { return {id, H5Aclose}; }
inline Handle plist(hid_t id) { return {id, H5Pclose}; }
inline Handle object(hid_t id) { return {id, H5Oclose}; }

// One thread at a time inside libhdf5, with its automatic error printing off, for the lifetime of
// the object. Debian's libhdf5 is built without thread safety, and the GUI thread reads a project
// while job threads commit to it and read data: every call into HDF5 happens inside a Session
// (they nest). Errors are reported by us, with the file name and what the user can do.
// A writer that also takes writeMutex() (project_commit.h) takes it before its Session: a commit
// lets go of HDF5 while it waits on the disk (Released), still holding writeMutex.
class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

 private:
  H5E_auto2_t m_func = nullptr;
  void* m_data = nullptr;
};

// Lets other threads into HDF5 while this one waits on the disk (writing and flushing a finished
// file image): no HDF5 call may happen in its scope. A no-op outside a Session.
class Released {
 public:
  Released();
  ~Released();
  Released(const Released&) = delete;
  Released& operator=(const Released&) = delete;

 private:
  int m_depth;
};

// The innermost message on HDF5's error stack, for appending to our own messages.
std::string lastErrorMessage();

}  // namespace flatland::training::h5
