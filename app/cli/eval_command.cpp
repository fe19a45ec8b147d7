// flatland-cli eval: loss and accuracy of a model on a data set.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli_context.h"
#include "flatland/training/evaluate.h"
#include "job_inputs.h"

namespace flatland::cli {

Command addEvalCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("eval", "print the loss and accuracy of a model on a data set");
  auto options = std::make_shared<JobOptions>();
  options->addTo(cmd);
  return {cmd, [options, &global] {
            auto start = std::chrono::steady_clock::now();
            auto job = app::loadInputs(*options);
            auto result = training::evaluate(*job.model, job.data, options->batchSize);
            double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (global.json) {
              nlohmann::json doc = {
                  {"model", options->model},   {"data", options->data},
                  {"samples", result.samples}, {"parameters", job.model->parameterCount()},
                  {"loss", result.loss},       {"accuracy", result.accuracy},
                  {"seconds", seconds}};
              doc["per_class_accuracy"] = nlohmann::json::array();
              for (double a : result.perClassAccuracy)
                doc["per_class_accuracy"].push_back(std::isnan(a) ? nlohmann::json(nullptr)
                                                                  : nlohmann::json(a));
              return printJson(doc);
            }
            std::printf("model     %s (%lld parameters)\n", options->model.c_str(),
                        static_cast<long long>(job.model->parameterCount()));
            std::printf("data      %s (%lld samples)\n", options->data.c_str(),
                        static_cast<long long>(result.samples));
            std::printf("loss      %.6f\n", result.loss);
            std::printf("accuracy  %.4f\n", result.accuracy);
            for (size_t c = 0; c < result.perClassAccuracy.size(); ++c)
              std::printf("  class %-2zu %-12s %.4f\n", c, job.data.classNames[c].c_str(),
                          result.perClassAccuracy[c]);
          }};
}

}  // namespace flatland::cli
