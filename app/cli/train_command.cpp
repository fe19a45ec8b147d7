// flatland-cli train: SGD/AdamW and the sharpness-aware family, recorded into a project file.
#include <cstdio>
#include <iostream>

#include "cli_context.h"
#include "flatland/errors.h"
#include "flatland/training/train_settings.h"
#include "flatland/training/trainer.h"
#include "setting_options.h"
#include "terminal_progress.h"

namespace flatland::cli {

Command addTrainCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "train", "train a model and record the run (metrics, checkpoints) in a project file");
  struct TrainOptions {
    TrainOptions(CLI::App* cmd) : settings(cmd, training::trainSettings()) {}
    SettingOptions<training::TrainConfig> settings;
    std::string out;
  };
  auto o = std::make_shared<TrainOptions>(cmd);
  cmd->add_option("--out", o->out, "project file (created when missing)")->required();

  return {cmd, [o, &global] {
            const training::TrainConfig c = o->settings.values();

            TerminalJob job;
            auto outcome = training::trainRun(c, o->out, job.control());
            job.finish();
            for (auto& note : outcome.notes) std::fprintf(stderr, "note: %s\n", note.c_str());
            if (global.json) {
              nlohmann::json doc = {{"project", o->out},
                                    {"run", c.runName},
                                    {"status", training::toString(outcome.status)},
                                    {"message", outcome.message},
                                    {"checkpoint_epochs", outcome.checkpointEpochs},
                                    {"notes", outcome.notes}};
              doc["epochs"] = nlohmann::json::array();
              for (auto& m : outcome.history)
                doc["epochs"].push_back({{"epoch", m.epoch},
                                         {"train_loss", m.trainLoss},
                                         {"train_accuracy", m.trainAccuracy},
                                         {"test_loss", m.testLoss},
                                         {"test_accuracy", m.testAccuracy},
                                         {"learning_rate", m.learningRate},
                                         {"wall_time", m.wallTime},
                                         {"per_class_accuracy", m.perClassAccuracy}});
              printJson(doc);
            } else {
              std::printf("%-6s %-11s %-10s %-10s %-10s %-9s %s\n", "epoch", "train_loss",
                          "train_acc", "test_loss", "test_acc", "lr", "seconds");
              for (auto& m : outcome.history)
                std::printf("%-6lld %-11.4f %-10.4f %-10.4f %-10.4f %-9.2g %.1f\n",
                            static_cast<long long>(m.epoch), m.trainLoss, m.trainAccuracy,
                            m.testLoss, m.testAccuracy, m.learningRate, m.wallTime);
              std::printf("run '%s' %s; saved in %s\n", c.runName.c_str(),
                          training::toString(outcome.status), o->out.c_str());
            }
            if (outcome.status == training::RunStatus::Diverged)
              throw NumericalError(outcome.message);
            if (outcome.status == training::RunStatus::Cancelled) throw Cancelled();
          }};
}

}  // namespace flatland::cli
