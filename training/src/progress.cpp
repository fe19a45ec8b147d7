#include "flatland/training/progress.h"

#include "flatland/errors.h"

namespace flatland {

void JobControl::throwIfCancelled() const {
  if (cancel && cancel->isCancelled()) throw Cancelled();
}

}  // namespace flatland
