#include "flatland/training/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>

#include <chrono>
#include <cmath>

#include "flatland/errors.h"
#include "flatland/training/batch_norm.h"
#include "flatland/training/checkpoint.h"
#include "flatland/training/class_balanced_loss.h"
#include "flatland/training/data_conditions.h"
#include "flatland/training/device.h"
#include "flatland/training/epoch_order.h"
#include "flatland/training/evaluate.h"
#include "flatland/training/learning_rate.h"
#include "flatland/training/model_spec.h"
#include "flatland/training/project_schema.h"
#include "flatland/training/qat_state.h"
#include "flatland/training/robust_objective.h"
#include "flatland/training/sharpness_step.h"
#include "flatland/training/tensor_array.h"

namespace flatland::training {

namespace {

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::unique_ptr<torch::optim::Optimizer> makeBaseOptimizer(std::vector<at::Tensor> params,
                                                           const OptimizerConfig& c,
                                                           double weightDecay) {
  if (c.base == BaseOptimizer::AdamW) {
    return std::make_unique<torch::optim::AdamW>(std::move(params),
                                                 torch::optim::AdamWOptions(c.learningRate)
                                                     .betas({c.beta1, c.beta2})
                                                     .eps(c.eps)
                                                     .weight_decay(weightDecay));
  }
  return std::make_unique<torch::optim::SGD>(std::move(params),
                                             torch::optim::SGDOptions(c.learningRate)
                                                 .momentum(c.momentum)
                                                 .nesterov(c.nesterov && c.momentum > 0)
                                                 .weight_decay(weightDecay));
}

// LSQ's steps are trained with the weights' optimizer and learning-rate schedule, as Esser et al.
// do, but without weight decay: decay would pull the quantization range towards 0 regardless of
// the loss. Null when nothing is learned (QAT off, or the fixed-step method).
std::unique_ptr<torch::optim::Optimizer> makeStepOptimizer(const QatState* qat,
                                                           const OptimizerConfig& c) {
  if (!qat) return nullptr;
  auto steps = qat->weightSteps();
  auto activationSteps = qat->activationSteps();
  steps.insert(steps.end(), activationSteps.begin(), activationSteps.end());
  if (steps.empty()) return nullptr;
  return makeBaseOptimizer(std::move(steps), c, 0.0);
}

int64_t swaStartEpoch(const TrainConfig& c) {
  if (c.optimizer.swaStartEpoch > 0) return c.optimizer.swaStartEpoch;
  if (c.optimizer.swaStartEpoch < 0)  // "swa" with no start: the last quarter of the budget
    return std::max<int64_t>(1, int64_t(std::ceil(0.75 * double(c.epochs))));
  return 0;
}

std::vector<double> column(const std::vector<EpochMetrics>& h, double EpochMetrics::*field) {
  std::vector<double> out;
  for (auto& m : h) out.push_back(m.*field);
  return out;
}

// A run is one group under /runs, addressed as P.h5:/runs/NAME: a name HDF5 would read as a
// path ("a/b", ".") is refused rather than changed behind the user's back.
void checkRunName(const std::string& name) {
  const std::string safe = sanitizeName(name);
  if (safe != name)
    throw InvalidArgument("the run name '" + name +
                          "' may hold only letters, digits, '-', '_' and '.' (and not be '.' or "
                          "'..'); use '" +
                          safe + "', for example");
}

}  // namespace

const char* toString(RunStatus status) {
  switch (status) {
    case RunStatus::Finished:
      return "finished";
    case RunStatus::Cancelled:
      return "cancelled";
    case RunStatus::Diverged:
      return "diverged";
  }
  return "unknown";
}

PreparedData prepareTrainingData(const TrainConfig& config, const c10::Device& device) {
  PreparedData prepared;
  DataOptions trainOptions;
  if (config.samples > 0) trainOptions.limit = config.samples;
  prepared.train = loadDataset(config.data, trainOptions);
  DataOptions testOptions;
  if (config.testSamples > 0) testOptions.limit = config.testSamples;
  prepared.test = loadDataset(config.testData, testOptions);
  if (prepared.test.numClasses > prepared.train.numClasses)
    prepared.train.numClasses = prepared.test.numClasses;
  prepared.test.numClasses = prepared.train.numClasses;
  if (prepared.train.sampleShape() != prepared.test.sampleShape())
    throw DataError("the training and test sets have different sample shapes (" +
                    c10::str(c10::IntArrayRef(prepared.train.sampleShape())) + " vs " +
                    c10::str(c10::IntArrayRef(prepared.test.sampleShape())) + ")");
  if (config.imbalanceRatio > 1)
    prepared.train = makeLongTail(prepared.train, config.imbalanceRatio, config.seed);
  if (config.labelNoise > 0) {
    auto record = applyLabelNoise(prepared.train, config.labelNoise, config.seed + 1);
    prepared.flippedIndices = record.flippedIndices;
    prepared.originalLabels = record.originalLabels;
  }
  prepared.train = prepared.train.to(device);
  prepared.test = prepared.test.to(device);
  return prepared;
}

Trainer::Trainer(Model& model, PreparedData data, TrainConfig config, const ProjectFile* project)
    : m_model(model),
      m_data(std::move(data)),
      m_config(std::move(config)),
      m_project(project),
      m_runPath(schema::runPath(m_config.runName)) {
  validate(m_config);
  checkRunName(m_config.runName);
  if (m_config.qatBits > 0 || m_config.qatActivationBits > 0)
    m_qat = std::make_unique<QatState>(m_model, m_config.qatBits, m_config.qatActivationBits,
                                       m_config.qatMethod);
}

Trainer::~Trainer() = default;

EpochMetrics Trainer::evaluateEpoch(int64_t epoch, double trainLoss, double trainAccuracy,
                                    double lr) {
  EpochMetrics m;
  m.epoch = epoch;
  m.trainLoss = trainLoss;
  m.trainAccuracy = trainAccuracy;
  m.learningRate = lr;
  // A quantization-aware run is judged as it will be deployed: with quantized weights, and with
  // quantized activations (the installed quantizers, frozen in eval mode).
  EvalResult test;
  {
    QatState::WeightScope quantized(m_qat.get());
    test = evaluate(m_model, m_data.test, m_config.evalBatchSize);
  }
  m.testLoss = test.loss;
  m.testAccuracy = test.accuracy;
  m.perClassAccuracy = test.perClassAccuracy;
  m.wallTime = nowSeconds() - m_startSeconds;
  return m;
}

namespace {

// One line for a user: LibTorch's messages carry a C++ backtrace after the first line.
std::string messageOf(const std::exception& e) {
  if (auto* torchError = dynamic_cast<const c10::Error*>(&e))
    return std::string("LibTorch error: ") + torchError->what_without_backtrace();
  return e.what();
}

}  // namespace

void Trainer::finishPendingCommit() {
  if (m_pendingCommit.valid()) m_pendingCommit.get();  // rethrows the commit's error
}

TrainOutcome Trainer::run(const JobControl& control) {
  // On an error the epoch commit still being written lands (or fails) before the run is marked.
  const auto settlePendingCommit = [this] {
    try {
      finishPendingCommit();
    } catch (const std::exception&) {
    }
  };
  try {
    return runRecorded(control);
  } catch (const Cancelled&) {
    settlePendingCommit();
    if (m_recorded && m_project) {
      try {
        m_project->setAttributes(m_runPath,
                                 {{schema::kStatus, std::string("cancelled")},
                                  {schema::kMessage, std::string("cancelled by the user")}});
      } catch (const std::exception&) {
      }
    }
    throw;
  } catch (const std::exception& e) {
    settlePendingCommit();
    recordFailure(messageOf(e));
    throw;
  }
}

void Trainer::recordFailure(const std::string& message) {
  if (!m_recorded || !m_project) return;
  try {
    m_project->setAttributes(m_runPath, {{schema::kStatus, std::string("failed")},
                                         {schema::kMessage, message},
                                         {schema::kSeconds, nowSeconds() - m_startSeconds}});
  } catch (const std::exception&) {
    // The file cannot be written (a full disk): the error that stopped the run is reported.
  }
}

TrainOutcome Trainer::runRecorded(const JobControl& control) {
  m_startSeconds = nowSeconds();
  const auto& c = m_config;
  auto optimizer = makeBaseOptimizer(m_model.parameters(), c.optimizer, c.optimizer.weightDecay);
  auto stepOptimizer = makeStepOptimizer(m_qat.get(), c.optimizer);
  const Dataset& train = m_data.train;
  const int64_t n = train.size();
  const int64_t steps = (n + c.batchSize - 1) / c.batchSize;
  auto generator = at::detail::createCPUGenerator(c.seed + 2);
  const int64_t swaStart = swaStartEpoch(c);
  // The objective each step differentiates: the base loss, or a robust one built on it. Its
  // units matter only for robust training (plain training accepts any --eps-units).
  const InputSpace space(
      train, c.robust.method == RobustMethod::None ? InputUnits::Data : c.robust.epsUnits,
      /*clamp=*/true);
  auto objective = makeTrainingObjective(c.robust, nullptr, space, c.seed + 3);
  at::Tensor swaAverage;
  int64_t swaCount = 0;
  TrainOutcome outcome;
  if (m_qat && m_qat->activationsUnavailable()) {
    outcome.notes.push_back(qatNote());
    control.report({0.0, "setup", outcome.notes.back()});
  }

  recordStart();  // writes the run's settings and the epoch-0 checkpoint

  for (int64_t epoch = 1; epoch <= c.epochs; ++epoch) {
    const bool reweight = c.drwEpoch > 0 && epoch >= c.drwEpoch;
    objective->setBaseLoss(makeLoss(c.loss, train.classCounts(), reweight));
    auto order = epochOrder(train, c.batchSize, generator).to(train.inputs.device());
    m_model.setTraining(true);
    double lossSum = 0.0, lr = 0.0;
    int64_t correct = 0, seen = 0;
    try {
      for (int64_t step = 0; step < steps; ++step) {
        control.throwIfCancelled();
        lr =
            learningRateAt(c.optimizer, double(epoch - 1) + double(step) / double(steps), c.epochs);
        for (auto& group : optimizer->param_groups()) group.options().set_lr(lr);
        if (stepOptimizer)
          for (auto& group : stepOptimizer->param_groups()) group.options().set_lr(lr);
        objective->setEpochProgress(double(epoch - 1) + double(step) / double(steps), c.epochs);
        auto idx = order.slice(0, step * c.batchSize, std::min(n, (step + 1) * c.batchSize));
        // A streamed set's inputs may stay on the host: each batch moves on its own.
        auto x = train.inputs.index_select(0, idx).to(m_model.device(), m_model.dtype());
        auto y = train.labels.index_select(0, idx.to(train.labels.device()));
        StepResult result;
        if (m_qat) {
          // Gradients taken at the quantized weights, then carried to the float weights (and, under
          // LSQ, to the steps) by the quantizers' straight-through / LSQ rules.
          m_qat->beginStep();
          QatState::WeightScope quantized(m_qat.get());
          auto batch = objective->prepare(m_model, x, y);  // attacks the quantized network
          result = computeUpdateGradient(m_model, batch, objective->function(), c.optimizer,
                                         m_qat->activationSteps());
          quantized.backpropagate();
        } else {
          auto batch = objective->prepare(m_model, x, y);
          result = computeUpdateGradient(m_model, batch, objective->function(), c.optimizer);
        }
        optimizer->step();
        if (stepOptimizer) {
          stepOptimizer->step();
          m_qat->clampSteps();
        }
        lossSum += result.loss * double(idx.numel());
        correct += result.correct;
        seen += idx.numel();
        control.report({(double(epoch - 1) + double(step + 1) / double(steps)) / double(c.epochs),
                        "epoch " + std::to_string(epoch) + "/" + std::to_string(c.epochs), "", -1,
                        result.loss});
      }
    } catch (const Cancelled&) {
      outcome.status = RunStatus::Cancelled;
      outcome.message = "cancelled during epoch " + std::to_string(epoch) + "; epochs up to " +
                        std::to_string(epoch - 1) + " are kept";
      break;
    } catch (const NumericalError& e) {
      outcome.status = RunStatus::Diverged;
      outcome.message = std::string(e.what()) + " (epoch " + std::to_string(epoch) +
                        "; epochs up to " + std::to_string(epoch - 1) +
                        " and their checkpoints are kept)";
      break;
    }

    if (swaStart > 0 && epoch >= swaStart) {
      auto w = m_model.flatParameters();
      swaAverage = swaCount == 0 ? w.clone() : swaAverage + (w - swaAverage) / double(swaCount + 1);
      ++swaCount;
    }
    const bool last = epoch == c.epochs;
    if (last && swaCount > 0) {
      m_model.setFlatParameters(swaAverage);
      QatState::WeightScope quantized(m_qat.get());  // statistics of the network as deployed
      recomputeBatchNormStatistics(m_model, train, c.evalBatchSize);
    }
    EpochMetrics metrics;
    try {
      metrics = evaluateEpoch(epoch, lossSum / double(seen), double(correct) / double(seen), lr);
    } catch (const NumericalError& e) {
      outcome.status = RunStatus::Diverged;
      outcome.message = std::string(e.what()) + " (after epoch " + std::to_string(epoch) + ")";
      break;
    }
    m_history.push_back(metrics);
    const bool checkpoint = last || epoch % c.checkpointEvery == 0;
    recordEpoch(metrics, checkpoint, last);
    control.report({double(epoch) / double(c.epochs),
                    "epoch " + std::to_string(epoch) + "/" + std::to_string(c.epochs),
                    "test accuracy " + std::to_string(metrics.testAccuracy), -1, metrics.testLoss});
  }
  outcome.history = m_history;
  outcome.checkpointEpochs = m_checkpoints;
  recordEnd(outcome);
  return outcome;
}

std::string Trainer::qatNote() const {
  return m_model.source() + " has no ReLU activation sites (TorchScript models and tanh networks " +
         "do not): --qat-act-bits is ignored and " +
         (m_config.qatBits > 0 ? "only the weights are quantized" : "nothing is quantized");
}

void Trainer::recordStart() {
  m_checkpoints.push_back(0);
  if (!m_project) return;
  if (m_project->exists(m_runPath))
    throw InvalidArgument("run '" + m_config.runName + "' already exists in " + m_project->path() +
                          "; choose another run name");
  Node run;
  run.attributes = {{schema::kModel, m_config.model},
                    {schema::kData, m_config.data},
                    {schema::kTestData, m_config.testData},
                    {schema::kOptimizer, m_config.optimizerName()},
                    {schema::kSeed, int64_t(m_config.seed)},
                    {schema::kDevice, m_config.device},
                    {schema::kSettings, m_config.toJson()},
                    {schema::kStatus, std::string("running")},
                    {schema::kEpochsDone, int64_t(0)},
                    {schema::kEpochs, m_config.epochs},
                    {schema::kCreated, isoTimestampUtc()},
                    {schema::kClassCounts, m_data.train.classCounts()},
                    {schema::kClassNames, m_data.train.classNames},
                    {schema::kTrainSamples, m_data.train.size()}};
  if (m_config.qatBits > 0) run.attributes[schema::kQatBits] = int64_t(m_config.qatBits);
  if (m_qat) {
    run.attributes[schema::kQatActivationBits] = int64_t(m_config.qatActivationBits);
    run.attributes[schema::kQatMethod] = std::string(toString(m_config.qatMethod));
    run.attributes[schema::kQatActivationSites] = m_qat->activationSiteCount();
    if (m_qat->activationsUnavailable()) run.attributes[schema::kQatNote] = qatNote();
    run.groups[schema::kQat] = m_qat->record();
  }
  if (m_data.flippedIndices.defined()) {
    Node& labelNoise = run.groups[schema::kLabelNoise];
    labelNoise.datasets[schema::kFlippedIndices] = toArray(m_data.flippedIndices);
    labelNoise.datasets[schema::kOriginalLabels] = toArray(m_data.originalLabels);
    labelNoise.attributes[schema::kRate] = m_config.labelNoise;
  }
  run.groups[schema::kCheckpoints].groups[checkpointName(0)] = checkpointNode(m_model, 0);
  m_project->put(m_runPath, run);
  m_recorded = true;
}

void Trainer::recordEpoch(const EpochMetrics& metrics, bool checkpoint, bool last) {
  if (checkpoint) m_checkpoints.push_back(metrics.epoch);
  if (!m_project) return;
  ProjectFile::Transaction t;
  const std::string dir = m_runPath + "/" + schema::kMetrics + "/";
  std::vector<int64_t> epochs;
  for (auto& m : m_history) epochs.push_back(m.epoch);
  const auto put = [&](const char* name, double EpochMetrics::*field) {
    t.putDataset(dir + name, Array::f64(column(m_history, field)));
  };
  t.putDataset(dir + schema::kEpoch, Array::i64(epochs));
  put(schema::kTrainLoss, &EpochMetrics::trainLoss);
  put(schema::kTrainAccuracy, &EpochMetrics::trainAccuracy);
  put(schema::kTestLoss, &EpochMetrics::testLoss);
  put(schema::kTestAccuracy, &EpochMetrics::testAccuracy);
  put(schema::kLearningRate, &EpochMetrics::learningRate);
  put(schema::kWallTime, &EpochMetrics::wallTime);
  std::vector<double> perClass;
  for (auto& m : m_history)
    perClass.insert(perClass.end(), m.perClassAccuracy.begin(), m.perClassAccuracy.end());
  t.putDataset(
      dir + schema::kPerClassAccuracy,
      Array::f64(perClass, {int64_t(m_history.size()), int64_t(metrics.perClassAccuracy.size())}));
  if (checkpoint)
    t.put(checkpointPath(m_config.runName, metrics.epoch), checkpointNode(m_model, metrics.epoch));
  // The steps and clips after this epoch.
  if (m_qat) t.put(m_runPath + "/" + schema::kQat, m_qat->record());
  t.setAttributes(m_runPath, {{schema::kEpochsDone, metrics.epoch},
                              {schema::kFinalTestAccuracy, metrics.testAccuracy},
                              {schema::kFinalTestLoss, metrics.testLoss},
                              {schema::kSwaApplied, int64_t(last && swaStartEpoch(m_config) > 0)}});
  // The previous epoch's commit first (its error stops the run here), then this one in the
  // background: the transaction holds copies of the metrics and weights, so training goes on.
  finishPendingCommit();
  m_pendingCommit = std::async(std::launch::async,
                               [project = m_project, t = std::move(t)] { project->commit(t); });
}

void Trainer::recordEnd(const TrainOutcome& outcome) {
  finishPendingCommit();
  if (!m_project) return;
  m_project->setAttributes(m_runPath, {{schema::kStatus, std::string(toString(outcome.status))},
                                       {schema::kMessage, outcome.message},
                                       {schema::kSeconds, nowSeconds() - m_startSeconds}});
}

TrainOutcome trainRun(const TrainConfig& config, const std::string& projectPath,
                      const JobControl& control) {
  validate(config);
  checkRunName(config.runName);
  const auto device = parseDevice(config.device);
  // The run records the device it ran on ("auto" says nothing about that).
  TrainConfig resolved = config;
  resolved.device = device.str();
  auto data = prepareTrainingData(resolved, device);
  ModelShape shape{data.train.sampleShape(), data.train.numClasses};
  auto model = loadModel(resolved.model, shape, device, resolved.seed);
  auto project = ProjectFile::openOrCreate(projectPath);
  Trainer trainer(*model, std::move(data), resolved, &project);
  return trainer.run(control);
}

}  // namespace flatland::training
