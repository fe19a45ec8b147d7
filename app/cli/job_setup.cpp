#include "job_setup.h"

#include <torch/cuda.h>

#include "flatland/errors.h"
#include "flatland/training/model_spec.h"

namespace flatland::cli {

c10::Device parseDevice(const std::string& text) {
  if (text == "auto") return torch::cuda::is_available() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  if (text == "cpu") return c10::Device(c10::kCPU);
  if (text.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw InvalidArgument("--device " + text + ": this LibTorch sees no CUDA GPU; use --device cpu");
    try {
      return c10::Device(text);
    } catch (const c10::Error&) {
    }
  }
  throw InvalidArgument("--device must be auto, cpu, cuda or cuda:N, got '" + text + "'");
}

JobSetup loadJob(const JobOptions& options) {
  JobSetup job;
  job.device = parseDevice(options.device);
  training::DataOptions dataOptions;
  dataOptions.device = job.device;
  dataOptions.dataDir = options.dataDir;
  if (options.samples > 0) dataOptions.limit = options.samples;
  job.data = training::loadDataset(options.data, dataOptions);
  training::ModelShape shape{job.data.sampleShape(), job.data.numClasses};
  job.model = training::loadModel(options.model, shape, job.device, options.seed);
  return job;
}

}  // namespace flatland::cli
