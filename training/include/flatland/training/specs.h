// The spec strings that name data sets and models, shared by the CLI and the GUI. Parsing only
// (no files are read), and free of LibTorch so Qt forms can validate as the user types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace flatland::training {

// A parsed spec: "fashion-mnist:train", "cifar10:DIR:test", "h5:FILE", "synthetic:spirals".
struct DataSpec {
  enum class Kind { FashionMnist, Cifar10, Hdf5, Synthetic };
  Kind kind = Kind::Synthetic;
  std::string path;              // directory (cifar10, fashion-mnist override) or file (h5)
  std::string split;             // "train" or "test" for named sets; generator name for synthetic
  std::string text;              // the original string
  int64_t syntheticSamples = 0;  // synthetic:NAME:SAMPLES (0: not given)
  uint64_t syntheticSeed = 0;    // synthetic:NAME:SAMPLES:SEED

  static DataSpec parse(const std::string& text);  // throws InvalidArgument
};

struct ModelSpec {
  enum class Kind { Zoo, TorchScript, Checkpoint };
  Kind kind = Kind::Zoo;
  std::string name;              // zoo name, TorchScript path, or project file
  std::string run;               // run name (checkpoint)
  std::optional<int64_t> epoch;  // checkpoint epoch; latest when empty
  std::string text;

  static ModelSpec parse(const std::string& text);  // throws InvalidArgument
};

// "PROJECT.h5:/runs/RUN": the spec of a run's latest checkpoint.
std::string checkpointSpec(const std::string& project, const std::string& run);
// Whether a spec names a checkpoint (has ":/runs/"); ModelSpec::parse then gives its parts.
bool namesCheckpoint(const std::string& text);

// What a model spec names, beyond its text, for an analysis's provenance (see identifyModel in
// model_spec.h): the checkpoint epoch a PROJECT.h5:/runs/NAME spec loads (the latest when it has
// no @EPOCH), or the size and content hash of a TorchScript file. Empty when it does not apply.
struct ModelIdentity {
  std::optional<int64_t> checkpointEpoch;
  std::optional<int64_t> fileBytes;
  // 64-bit FNV-1a of the file's bytes: an identity check (same file or not), not a security one.
  std::optional<uint64_t> fileFnv1a64;
};

// The directory Debian's dataset-fashion-mnist installs to; FLATLAND_FASHION_MNIST_DIR overrides.
std::string defaultFashionMnistDir();

}  // namespace flatland::training
