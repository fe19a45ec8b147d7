// The settings of a training run (flatland-cli train, the GUI's Train form, the run's stored
// settings), one definition each; see settings.h.
#pragma once

#include <string>
#include <vector>

#include "flatland/training/settings.h"
#include "flatland/training/train_config.h"

namespace flatland::training {

// Every method the optimizer setting names, as the CLI spells it.
enum class OptimizerName { Sgd, AdamW, Sam, Msam, Asam, Gnp, Hero, Swa, Awp };
const std::vector<std::string>& optimizerNames();           // indexed by OptimizerName
OptimizerName parseOptimizerName(const std::string& name);  // throws InvalidArgument
const char* toString(OptimizerName name);

const std::vector<std::string>& scheduleNames();  // indexed by Schedule
Schedule parseSchedule(const std::string& name);
const char* toString(Schedule schedule);
const std::vector<std::string>& lossNames();  // indexed by LossKind
LossKind parseLoss(const std::string& name);
const char* toString(LossKind loss);
const std::vector<std::string>& robustMethodNames();  // indexed by RobustMethod
RobustMethod parseRobustMethod(const std::string& name);
const char* toString(RobustMethod method);
const std::vector<std::string>& qatMethodNames();  // indexed by QatMethod

// The devices a job can run on: auto (CUDA when LibTorch sees a GPU, else the CPU), cpu, cuda,
// cuda:N. A choice list for the settings tables (cuda:N stands for any index).
const std::vector<std::string>& deviceChoices();

// The train settings, in the order of `flatland-cli train --help`. The CLI's --out (the project
// file) is not a setting of the run.
const settings::SettingsTable<TrainConfig>& trainSettings();

}  // namespace flatland::training
