#include "build_info.h"

#include "flatland/training/device.h"
#include "flatland/version.h"

namespace flatland::app {

namespace {

// Line `index` of training::describeLibTorch() without its leading `label`.
std::string describedLine(int index, const std::string& label) {
  const std::string text = training::describeLibTorch();
  size_t start = 0;
  for (int i = 0; i < index; ++i) start = text.find('\n', start) + 1;
  std::string line = text.substr(start, text.find('\n', start) - start);
  return line.rfind(label, 0) == 0 ? line.substr(label.size()) : line;
}

}  // namespace

std::string flatlandVersion() { return FLATLAND_VERSION; }

std::string libtorchVersion() { return describedLine(0, "LibTorch "); }

std::string devicesSeen() { return describedLine(1, "devices: "); }

}  // namespace flatland::app
