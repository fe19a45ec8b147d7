// The one exception hierarchy of Flatland: every error a user can meet derives from
// flatland::Error.
#pragma once

#include <stdexcept>
#include <string>

namespace flatland {

// Base of all Flatland errors. The message says what went wrong and what the user can do.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A data set file or spec that cannot be read: missing, corrupt, wrong shape or dtype.
class DataError : public Error {
 public:
  using Error::Error;
};

// A model that cannot be built, loaded, or does not fit the data.
class ModelError : public Error {
 public:
  using Error::Error;
};

// The project file cannot be read or written; nothing already saved was changed.
class ProjectError : public Error {
 public:
  using Error::Error;
};

// A setting or argument out of range (k larger than the parameter count, a bad grid spec, ...).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// A NaN or inf appeared where a finite number is needed (loss, gradient, eigenvalue).
class NumericalError : public Error {
 public:
  using Error::Error;
};

// A job stopped because the user asked it to. Not a failure: callers keep what was saved.
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled by the user") {}
};

// Rendering or figure export failed (no display, unwritable output, bad array shape).
class RenderError : public Error {
 public:
  using Error::Error;
};

}  // namespace flatland
