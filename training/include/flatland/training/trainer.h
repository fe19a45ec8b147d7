// Trains a model under a TrainConfig and records the run (metrics per epoch, checkpoints, status)
// in the project file as it goes, so a cancelled or diverged run keeps everything up to its last
// finished epoch.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "flatland/training/progress.h"
#include "flatland/training/project_file.h"
#include "flatland/training/train_config.h"

namespace flatland::training {

struct EpochMetrics {
  int64_t epoch = 0;
  double trainLoss = 0, trainAccuracy = 0, testLoss = 0, testAccuracy = 0;
  double learningRate = 0, wallTime = 0;
  std::vector<double> perClassAccuracy;
};

enum class RunStatus { Finished, Cancelled, Diverged };
const char* toString(RunStatus status);

struct TrainOutcome {
  RunStatus status = RunStatus::Finished;
  std::string message;  // why it stopped early; empty when finished
  std::vector<EpochMetrics> history;
  std::vector<int64_t> checkpointEpochs;
  std::vector<std::string> notes;  // how the run differs from what was asked (shown to the user)
};

// The data of a run after its conditions (sample limit, long tail, label noise) are applied.
struct PreparedData {
  Dataset train;
  Dataset test;
  at::Tensor flippedIndices;  // label noise record (undefined when none)
  at::Tensor originalLabels;
};
PreparedData prepareTrainingData(const TrainConfig& config, const c10::Device& device);

class QatState;

class Trainer {
 public:
  // project may be null (tests): then nothing is recorded. With quantization-aware training the
  // model gets its activation quantizers here, for the trainer's lifetime.
  Trainer(Model& model, PreparedData data, TrainConfig config, const ProjectFile* project);
  ~Trainer();
  // Runs to the end, to a cancel request, or to a non-finite loss. Throws only for errors that
  // are not the run's own outcome (bad settings, an unwritable project file, a LibTorch error);
  // once the run is recorded, such an error first marks it status = "failed" with the message
  // (when the file can still be written).
  TrainOutcome run(const JobControl& control = {});
  // The run's quantizers; null when quantization-aware training is off.
  QatState* qat() { return m_qat.get(); }

 private:
  TrainOutcome runRecorded(const JobControl& control);
  void recordStart();
  void recordFailure(const std::string& message);
  void recordEpoch(const EpochMetrics& metrics, bool checkpoint, bool last);
  void recordEnd(const TrainOutcome& outcome);
  EpochMetrics evaluateEpoch(int64_t epoch, double trainLoss, double trainAccuracy, double lr);
  std::string qatNote() const;  // why activation quantization is off although it was asked for

  Model& m_model;
  PreparedData m_data;
  TrainConfig m_config;
  const ProjectFile* m_project;
  std::string m_runPath;
  std::vector<EpochMetrics> m_history;
  std::vector<int64_t> m_checkpoints;
  std::unique_ptr<QatState> m_qat;
  double m_startSeconds = 0;
  bool m_recorded = false;  // the run's group exists in the project (recordStart succeeded)
  // The last epoch's commit, written while the next epoch trains (an 80 MB checkpoint takes
  // seconds to write and flush); waited for before the next commit and at the end.
  std::future<void> m_pendingCommit;
  void finishPendingCommit();
};

// Loads data and model as the config says, then trains and records into projectPath (created
// when missing). The usual entry point of the CLI and the GUI.
TrainOutcome trainRun(const TrainConfig& config, const std::string& projectPath,
                      const JobControl& control = {});

}  // namespace flatland::training
