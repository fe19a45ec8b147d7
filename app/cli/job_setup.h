// The CLI's name for loading a job's model and data (app/jobs/job_inputs.h).
#pragma once

#include "cli_context.h"
#include "job_inputs.h"

namespace flatland::cli {

using JobSetup = app::LoadedInputs;

inline JobSetup loadJob(const JobOptions& options) { return app::loadInputs(options); }

}  // namespace flatland::cli
