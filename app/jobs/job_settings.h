// The settings of the Hessian, surface, quantization, sharpness, rescaling and mode-connectivity
// jobs, one definition each (see flatland/training/settings.h; the train settings are in
// flatland/training/train_settings.h). The CLI's options, the GUI's forms and the stored settings
// are made from these tables; a job's defaults are settings::defaults(table), not a
// default-constructed struct. Free of LibTorch.
#pragma once

#include <string>
#include <vector>

#include "connect_job.h"
#include "flatland/training/settings.h"
#include "jobs.h"
#include "sharpness_job.h"

namespace flatland::app {

const settings::SettingsTable<HessianJobSettings>& hessianSettings();
const settings::SettingsTable<SurfaceJobSettings>& surfaceSettings();
const settings::SettingsTable<QuantizeJobSettings>& quantizeSettings();
const settings::SettingsTable<RobustnessJobSettings>& robustnessSettings();
const settings::SettingsTable<SharpnessJobSettings>& sharpnessSettings();
const settings::SettingsTable<RescaleJobSettings>& rescaleSettings();
const settings::SettingsTable<ConnectJobSettings>& connectSettings();

// "0.01,0.05,0.1" → the positive reals (one at least); throws InvalidArgument naming the entry.
std::vector<double> parsePositiveReals(const std::string& text);

// The curvature choices of the Hessian job, indexed by Curvature (jobs.h): hessian, ggn
// (generalised Gauss-Newton). The surface's choices are analysis::directionKindNames() and
// friends (direction_choices.h).
const std::vector<std::string>& curvatureNames();

// "2-8" or "4" → the bit widths (2 to 16); throws InvalidArgument.
std::vector<int> parseBitWidths(const std::string& text);

}  // namespace flatland::app
