#include "flatland/training/device.h"

#include <ATen/Context.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <sstream>

#include "flatland/errors.h"

namespace flatland::training {

c10::Device parseDevice(const std::string& text) {
  if (text == "auto")
    return torch::cuda::is_available() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  if (text == "cpu") return c10::Device(c10::kCPU);
  if (text.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw InvalidArgument("device " + text + ": this LibTorch sees no CUDA GPU; use cpu");
    try {
      c10::Device device(text);
      if (device.has_index() && device.index() >= int(torch::cuda::device_count()))
        throw InvalidArgument("device " + text + " does not exist: this machine has " +
                              std::to_string(torch::cuda::device_count()) + " CUDA devices");
      return device;
    } catch (const c10::Error&) {
    }
  }
  throw InvalidArgument("the device must be auto, cpu, cuda or cuda:N, got '" + text + "'");
}

std::string describeLibTorch() {
  std::ostringstream out;
  out << "LibTorch " << TORCH_VERSION;
#ifdef FLATLAND_TORCH_CUDA_VERSION
  if (*FLATLAND_TORCH_CUDA_VERSION) out << ", built with CUDA " << FLATLAND_TORCH_CUDA_VERSION;
#endif
  if (!at::hasCUDA()) out << ", CPU only";
  out << "\ndevices: cpu";
  const size_t gpus = at::hasCUDA() ? size_t(torch::cuda::device_count()) : 0;
  for (size_t i = 0; i < gpus; ++i) out << ", cuda:" << i;
  if (at::hasCUDA() && gpus == 0) out << " (no CUDA GPU visible)";
  return out.str();
}

}  // namespace flatland::training
