// flatland-cli train: SGD/AdamW and the sharpness-aware family, recorded into a project file.
#include <cstdio>
#include <iostream>

#include "cli_context.h"
#include "flatland/errors.h"
#include "flatland/training/trainer.h"
#include "terminal_progress.h"

namespace flatland::cli {

namespace {

struct TrainOptions {
  training::TrainConfig config;
  std::string optimizer = "sgd";
  std::string base;
  std::string schedule = "cosine";
  std::string loss = "ce";
  std::string qatMethod = "ste";
  std::string out;
};

}  // namespace

Command addTrainCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("train", "train a model and record the run (metrics, checkpoints) in a project file");
  auto o = std::make_shared<TrainOptions>();
  auto& c = o->config;
  auto& opt = c.optimizer;
  c.data = "fashion-mnist:train";
  cmd->add_option("--model", c.model, "zoo:NAME, a TorchScript .pt file, or PROJECT.h5:/runs/NAME[@EPOCH]")->capture_default_str();
  cmd->add_option("--data", c.data, "training data spec")->capture_default_str();
  cmd->add_option("--test-data", c.testData, "test data spec")->capture_default_str();
  cmd->add_option("--samples", c.samples, "use the first N training samples (0: all)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--test-samples", c.testSamples, "use the first N test samples (0: all)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--optimizer", o->optimizer, "sgd, adamw, sam, msam, asam, gnp, hero, swa")->capture_default_str();
  cmd->add_option("--base", o->base, "base optimizer under sam/asam/gnp/hero/swa: sgd or adamw");
  cmd->add_option("--epochs", c.epochs)->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--lr", opt.learningRate, "learning rate")->capture_default_str();
  cmd->add_option("--batch-size", c.batchSize)->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--momentum", opt.momentum)->capture_default_str();
  cmd->add_flag("--nesterov", opt.nesterov);
  cmd->add_option("--weight-decay", opt.weightDecay)->capture_default_str();
  cmd->add_option("--schedule", o->schedule, "constant, step, cosine")->capture_default_str();
  cmd->add_option("--warmup", opt.warmupEpochs, "warm-up epochs")->capture_default_str();
  cmd->add_option("--milestones", opt.milestones, "epochs where a step schedule multiplies the rate by --gamma")->delimiter(',');
  cmd->add_option("--gamma", opt.gamma)->capture_default_str();
  cmd->add_option("--rho", opt.rho, "SAM/ASAM/HERO radius")->capture_default_str();
  cmd->add_option("--asam-eta", opt.asamEta)->capture_default_str();
  cmd->add_option("--m", opt.mSharpness, "m-sharpness sub-batch size, required by --optimizer msam (e.g. a quarter of --batch-size)")->capture_default_str();
  cmd->add_option("--gnp-r", opt.gnpR)->capture_default_str();
  cmd->add_option("--gnp-alpha", opt.gnpAlpha)->capture_default_str();
  cmd->add_option("--hero-lambda", opt.heroLambda)->capture_default_str();
  cmd->add_option("--swa-start", opt.swaStartEpoch, "first epoch averaged by SWA (default: 75% of the epochs)");
  cmd->add_option("--label-noise", c.labelNoise, "fraction of training labels flipped to another class")->capture_default_str();
  cmd->add_option("--imbalance", c.imbalanceRatio, "long-tail ratio n_max/n_min (1: as loaded)")->capture_default_str();
  cmd->add_option("--loss", o->loss, "ce, ldam, vs")->capture_default_str();
  cmd->add_option("--drw-epoch", c.drwEpoch, "deferred re-weighting from this epoch (0: off)")->capture_default_str();
  cmd->add_option("--qat-bits", c.qatBits, "quantization-aware training at this weight bit width (0: off)")->capture_default_str();
  cmd->add_option("--qat-act-bits", c.qatActivationBits,
                  "quantization-aware training of post-ReLU activations at this bit width (0: off; zoo models only)")
      ->capture_default_str();
  cmd->add_option("--qat-method", o->qatMethod,
                  "ste: fixed steps (max|w|, running max of activations), lsq: learned steps (Esser et al. 2020)")
      ->capture_default_str();
  cmd->add_option("--checkpoint-every", c.checkpointEvery)->capture_default_str();
  cmd->add_option("--seed", c.seed)->capture_default_str();
  cmd->add_option("--device", c.device, "auto (CUDA when available, else CPU), cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--out", o->out, "project file (created when missing)")->required();
  cmd->add_option("--run", c.runName, "name of the run in the project")->required();

  return {cmd, [o, &global] {
            auto& c = o->config;
            training::applyOptimizerName(o->optimizer, c.optimizer);
            if (!o->base.empty()) {
              if (o->base != "sgd" && o->base != "adamw") throw InvalidArgument("--base must be sgd or adamw");
              training::applyOptimizerName(o->base, c.optimizer);
            }
            if (o->schedule == "constant") c.optimizer.schedule = training::Schedule::Constant;
            else if (o->schedule == "step") c.optimizer.schedule = training::Schedule::Step;
            else if (o->schedule == "cosine") c.optimizer.schedule = training::Schedule::Cosine;
            else throw InvalidArgument("--schedule must be constant, step or cosine");
            if (o->loss == "ce") c.loss = training::LossKind::CrossEntropy;
            else if (o->loss == "ldam") c.loss = training::LossKind::Ldam;
            else if (o->loss == "vs") c.loss = training::LossKind::Vs;
            else throw InvalidArgument("--loss must be ce, ldam or vs");
            c.qatMethod = training::parseQatMethod(o->qatMethod);

            TerminalJob job;
            auto outcome = training::trainRun(c, o->out, job.control());
            job.finish();
            for (auto& note : outcome.notes) std::fprintf(stderr, "note: %s\n", note.c_str());
            if (global.json) {
              nlohmann::json doc = {{"project", o->out}, {"run", c.runName},
                                    {"status", training::toString(outcome.status)},
                                    {"message", outcome.message},
                                    {"checkpoint_epochs", outcome.checkpointEpochs},
                                    {"notes", outcome.notes}};
              doc["epochs"] = nlohmann::json::array();
              for (auto& m : outcome.history)
                doc["epochs"].push_back({{"epoch", m.epoch}, {"train_loss", m.trainLoss},
                                         {"train_accuracy", m.trainAccuracy}, {"test_loss", m.testLoss},
                                         {"test_accuracy", m.testAccuracy}, {"learning_rate", m.learningRate},
                                         {"wall_time", m.wallTime}, {"per_class_accuracy", m.perClassAccuracy}});
              printJson(doc);
            } else {
              std::printf("%-6s %-11s %-10s %-10s %-10s %-9s %s\n", "epoch", "train_loss", "train_acc",
                          "test_loss", "test_acc", "lr", "seconds");
              for (auto& m : outcome.history)
                std::printf("%-6lld %-11.4f %-10.4f %-10.4f %-10.4f %-9.2g %.1f\n",
                            static_cast<long long>(m.epoch), m.trainLoss, m.trainAccuracy, m.testLoss,
                            m.testAccuracy, m.learningRate, m.wallTime);
              std::printf("run '%s' %s; saved in %s\n", c.runName.c_str(),
                          training::toString(outcome.status), o->out.c_str());
            }
            if (outcome.status == training::RunStatus::Diverged) throw NumericalError(outcome.message);
            if (outcome.status == training::RunStatus::Cancelled) throw Cancelled();
          }};
}

}  // namespace flatland::cli
