#include "cli_context.h"

#include <cmath>
#include <iostream>

namespace flatland::cli {

void JobOptions::addTo(CLI::App* command, bool withBatchSize) {
  command
      ->add_option("--model", model,
                   "zoo:NAME, a TorchScript .pt file, or PROJECT.h5:/runs/NAME[@EPOCH]")
      ->capture_default_str();
  command
      ->add_option(
          "--data", data,
          "fashion-mnist:train|test, cifar10:DIR:train|test, h5:FILE, synthetic:spirals|blobs")
      ->capture_default_str();
  command->add_option("--samples", samples, "use the first N samples (0: all)")
      ->check(CLI::NonNegativeNumber);
  if (withBatchSize)
    command->add_option("--batch-size", batchSize, "samples per forward pass")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
  command->add_option("--device", device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  command->add_option("--seed", seed, "seed for model initialisation and random choices")
      ->capture_default_str();
  command->add_option("--data-dir", dataDir,
                      "directory of a named data set (overrides the default)");
}

void printJson(const nlohmann::json& document) { std::cout << document.dump() << std::endl; }

nlohmann::json finiteOrNull(double x) {
  return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr);
}

nlohmann::json finiteOrNull(const std::vector<double>& values) {
  auto out = nlohmann::json::array();
  for (double v : values) out.push_back(finiteOrNull(v));
  return out;
}

}  // namespace flatland::cli
