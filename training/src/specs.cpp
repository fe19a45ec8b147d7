#include "flatland/training/specs.h"

#include <cstdlib>
#include <vector>

#include "flatland/errors.h"
#include "flatland/training/project_schema.h"

namespace flatland::training {

namespace {

std::vector<std::string> splitOn(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t pos = text.find(sep, start);
    parts.push_back(text.substr(start, pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return parts;
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isSplit(const std::string& s) { return s == "train" || s == "test"; }

// What separates the project file from the run in a checkpoint spec.
std::string runsMarker() { return std::string(":") + schema::kRunsPath + "/"; }

std::string kindList() {
  return "fashion-mnist:train|test, cifar10:DIR:train|test, h5:FILE, synthetic:spirals|blobs";
}

}  // namespace

DataSpec DataSpec::parse(const std::string& text) {
  DataSpec spec;
  spec.text = text;
  auto parts = splitOn(text, ':');
  const std::string& kind = parts[0];
  auto bad = [&](const std::string& why) {
    return InvalidArgument("bad data spec '" + text + "': " + why + " (expected " + kindList() +
                           ")");
  };
  if (kind == "fashion-mnist") {
    spec.kind = Kind::FashionMnist;
    if (parts.size() == 2 && isSplit(parts[1])) {
      spec.split = parts[1];
    } else if (parts.size() == 3 && isSplit(parts[2])) {
      spec.path = parts[1];  // fashion-mnist:DIR:train
      spec.split = parts[2];
    } else {
      throw bad("name the split, train or test");
    }
  } else if (kind == "cifar10") {
    spec.kind = Kind::Cifar10;
    if (parts.size() != 3 || parts[1].empty() || !isSplit(parts[2]))
      throw bad("give the directory of the binary batches and the split");
    spec.path = parts[1];
    spec.split = parts[2];
  } else if (kind == "h5") {
    spec.kind = Kind::Hdf5;
    // A file name may itself contain ':'; take everything after the first one.
    spec.path = text.size() > 3 ? text.substr(3) : "";
    if (spec.path.empty()) throw bad("give the HDF5 file");
  } else if (kind == "synthetic") {
    spec.kind = Kind::Synthetic;
    if (parts.size() < 2 || (parts[1] != "spirals" && parts[1] != "blobs"))
      throw bad("synthetic sets are spirals and blobs");
    spec.split = parts[1];
    try {
      if (parts.size() > 2) spec.syntheticSamples = std::stoll(parts[2]);
      if (parts.size() > 3) spec.syntheticSeed = std::stoull(parts[3]);
    } catch (const std::exception&) {
      throw bad("expected synthetic:NAME[:SAMPLES[:SEED]] with whole numbers");
    }
    if (parts.size() > 4 || (parts.size() > 2 && spec.syntheticSamples <= 0))
      throw bad("expected synthetic:NAME[:SAMPLES[:SEED]] with at least one sample");
  } else {
    throw bad("unknown kind '" + kind + "'");
  }
  return spec;
}

ModelSpec ModelSpec::parse(const std::string& text) {
  ModelSpec spec;
  spec.text = text;
  if (text.rfind("zoo:", 0) == 0) {
    spec.kind = Kind::Zoo;
    spec.name = text.substr(4);
    return spec;
  }
  // project.h5:/runs/NAME[@EPOCH]
  auto marker = text.find(runsMarker());
  if (marker != std::string::npos) {
    spec.kind = Kind::Checkpoint;
    spec.name = text.substr(0, marker);
    std::string run = text.substr(marker + runsMarker().size());
    auto at = run.find('@');
    if (at != std::string::npos) {
      try {
        spec.epoch = std::stoll(run.substr(at + 1));
      } catch (const std::exception&) {
        throw InvalidArgument("bad model spec '" + text +
                              "': the epoch after '@' must be a number");
      }
      run = run.substr(0, at);
    }
    if (run.empty()) throw InvalidArgument("bad model spec '" + text + "': name the run");
    spec.run = run;
    return spec;
  }
  if (endsWith(text, ".h5"))
    throw InvalidArgument("bad model spec '" + text + "': name a run in the project, as " + text +
                          ":/runs/NAME[@EPOCH]");
  if (text.empty())
    throw InvalidArgument(
        "empty model spec (expected zoo:NAME, a TorchScript .pt file, or "
        "PROJECT.h5:/runs/NAME[@EPOCH])");
  spec.kind = Kind::TorchScript;
  spec.name = text;
  return spec;
}

std::string checkpointSpec(const std::string& project, const std::string& run) {
  return project + ":" + schema::runPath(run);
}

bool namesCheckpoint(const std::string& text) {
  return text.find(runsMarker()) != std::string::npos;
}

std::string defaultFashionMnistDir() {
  if (const char* env = std::getenv("FLATLAND_FASHION_MNIST_DIR"); env && *env) return env;
  return "/usr/share/datasets/fashion-mnist";
}

}  // namespace flatland::training
