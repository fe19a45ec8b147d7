#include "build_info.h"

#include <torch/cuda.h>
#include <torch/version.h>

#include "flatland/version.h"

namespace flatland::app {

std::string flatlandVersion() { return FLATLAND_VERSION; }

std::string libtorchVersion() { return TORCH_VERSION; }

std::string devicesSeen() {
  std::string devices = "cpu";
  const std::size_t gpus = torch::cuda::is_available() ? torch::cuda::device_count() : 0;
  for (std::size_t i = 0; i < gpus; ++i) devices += ", cuda:" + std::to_string(i);
  return devices;
}

}  // namespace flatland::app
