#include "job_setup.h"

#include "flatland/errors.h"
#include "flatland/training/device.h"
#include "flatland/training/model_spec.h"

namespace flatland::cli {

JobSetup loadJob(const JobOptions& options) {
  JobSetup job;
  job.device = training::parseDevice(options.device);
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
