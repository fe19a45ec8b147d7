#include "flatland/analysis/direction.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <map>

#include "flatland/errors.h"
#include "flatland/training/project_schema.h"
#include "flatland/training/tensor_array.h"

namespace flatland::analysis {

namespace {

constexpr double kNormEpsilon = 1e-10;  // Li et al. (2018): ‖w‖ / (‖d‖ + 1e-10)

at::Tensor cpuFloat(const at::Tensor& t) { return t.detach().to(torch::kCPU, torch::kFloat); }

// Scales d so that every slice along dim 0 has the norm of the matching slice of w.
void filterNormalize(at::Tensor& d, const at::Tensor& w) {
  const int64_t filters = w.size(0);
  auto wn = w.reshape({filters, -1}).norm(2, 1);
  auto dn = d.reshape({filters, -1}).norm(2, 1);
  std::vector<int64_t> shape(size_t(w.dim()), 1);
  shape[0] = filters;
  d.mul_((wn / (dn + kNormEpsilon)).view(shape));
}

void layerNormalize(at::Tensor& d, const at::Tensor& w) {
  d.mul_(w.norm() / (d.norm() + kNormEpsilon));
}

}  // namespace

namespace {

template <class Enum>
Enum parseChoice(const std::vector<std::string>& names, const std::string& text, const char* what) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return Enum(i);
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw InvalidArgument(std::string(what) + " must be one of " + list + ", got '" + text + "'");
}

}  // namespace

const std::vector<std::string>& directionKindNames() {
  static const std::vector<std::string> names = {"random", "eigen",          "pca",
                                                 "interp", "loss-landscape", "plane"};
  return names;
}
const std::vector<std::string>& directionNormNames() {
  static const std::vector<std::string> names = {"filter", "layer", "none"};
  return names;
}
const std::vector<std::string>& oneDimPolicyNames() {
  static const std::vector<std::string> names = {"zero", "weight", "normalize"};
  return names;
}

DirectionKind parseDirectionKind(const std::string& text) {
  return parseChoice<DirectionKind>(directionKindNames(), text, "the directions");
}
std::string toString(DirectionKind kind) { return directionKindNames().at(size_t(kind)); }
DirectionNorm parseDirectionNorm(const std::string& text) {
  return parseChoice<DirectionNorm>(directionNormNames(), text, "the direction norm");
}
std::string toString(DirectionNorm norm) { return directionNormNames().at(size_t(norm)); }
OneDimPolicy parseOneDimPolicy(const std::string& text) {
  return parseChoice<OneDimPolicy>(oneDimPolicyNames(), text, "the 1-D policy");
}
std::string toString(OneDimPolicy policy) { return oneDimPolicyNames().at(size_t(policy)); }

at::Tensor normalizeDirection(const at::Tensor& direction, const training::Model& model,
                              DirectionNorm norm, OneDimPolicy oneDim) {
  torch::NoGradGuard noGrad;
  at::Tensor out = cpuFloat(direction).clone();
  auto pieces = model.unflatten(out);
  auto params = model.namedParameters();
  for (size_t i = 0; i < params.size(); ++i) {
    at::Tensor w = cpuFloat(params[i].tensor);
    at::Tensor& d = pieces[i];
    if (w.dim() <= 1) {
      if (oneDim == OneDimPolicy::Zero) {
        d.zero_();
        continue;
      }
      if (oneDim == OneDimPolicy::Weight) {
        d.copy_(w.reshape(d.sizes()));
        continue;
      }
      // Normalize: a 1-D tensor is one filter, so filter and layer norms agree.
      if (norm != DirectionNorm::None) layerNormalize(d, w);
      continue;
    }
    if (norm == DirectionNorm::Filter)
      filterNormalize(d, w);
    else if (norm == DirectionNorm::Layer)
      layerNormalize(d, w);
  }
  return out;
}

DirectionSet randomDirections(const training::Model& model, int count, uint64_t seed,
                              DirectionNorm norm, OneDimPolicy oneDim) {
  if (count < 1 || count > 3) throw InvalidArgument("a surface has 1 to 3 directions");
  auto generator = at::detail::createCPUGenerator(seed);
  DirectionSet set;
  set.kind = DirectionKind::Random;
  set.norm = norm;
  set.source = "seed " + std::to_string(seed) + ", 1-D tensors " + toString(oneDim);
  const int64_t p = model.parameterCount();
  for (int k = 0; k < count; ++k) {
    auto raw = at::randn({p}, generator, torch::dtype(torch::kFloat));
    set.directions.push_back({normalizeDirection(raw, model, norm, oneDim), {}});
  }
  return set;
}

std::vector<at::Tensor> filterNorms(const training::Model& model, const at::Tensor& flat) {
  std::vector<at::Tensor> out;
  for (auto& piece : model.unflatten(cpuFloat(flat))) {
    if (piece.dim() <= 1)
      out.push_back(piece.reshape({-1}).abs());
    else
      out.push_back(piece.reshape({piece.size(0), -1}).norm(2, 1));
  }
  return out;
}

DirectionSet eigenDirections(const training::ProjectFile& project, const std::string& analysisPath,
                             const training::Model& model, int count, DirectionNorm norm,
                             OneDimPolicy oneDim) {
  if (!project.exists(analysisPath))
    throw ProjectError(project.path() + " has no analysis " + analysisPath);
  auto node = project.read(analysisPath, false);
  if (!node.has(schema::kKind) || node.text(schema::kKind) != schema::kKindHessian)
    throw InvalidArgument(analysisPath +
                          " is not a Hessian analysis (kind=\"hessian\"); run "
                          "flatland-cli hessian first or name another analysis");
  const std::string vectorsPath = analysisPath + "/" + schema::kTopEigenvectors;
  if (!project.exists(vectorsPath))
    throw ProjectError(analysisPath + " has no " + schema::kTopEigenvectors);
  auto vectors = training::toTensor(project.readDataset(vectorsPath));
  const int64_t p = model.parameterCount();
  if (vectors.dim() != 2 || vectors.size(1) != p)
    throw InvalidArgument(vectorsPath + " has shape " + c10::str(vectors.sizes()) +
                          " but the model has " + std::to_string(p) + " parameters");
  if (vectors.size(0) < count)
    throw InvalidArgument(analysisPath + " stores " + std::to_string(vectors.size(0)) +
                          " eigenvectors, the grid needs " + std::to_string(count));
  DirectionSet set;
  set.kind = DirectionKind::Eigen;
  set.norm = norm;
  set.source = project.path() + ":" + analysisPath;
  for (int k = 0; k < count; ++k) {
    auto v = vectors[k].to(torch::kFloat).contiguous();
    if (norm != DirectionNorm::None || oneDim != OneDimPolicy::Normalize)
      v = normalizeDirection(v, model, norm, oneDim);
    set.directions.push_back({v.clone(), {}});
  }
  return set;
}

DirectionSet interpolationDirection(const training::Model& from, const training::Model& to) {
  if (from.parameterCount() != to.parameterCount())
    throw ModelError("cannot interpolate between " + from.source() + " (" +
                     std::to_string(from.parameterCount()) + " parameters) and " + to.source() +
                     " (" + std::to_string(to.parameterCount()) + ")");
  auto fromParams = from.namedParameters();
  auto toParams = to.namedParameters();
  for (size_t i = 0; i < fromParams.size(); ++i)
    if (fromParams[i].name != toParams[i].name ||
        fromParams[i].tensor.sizes() != toParams[i].tensor.sizes())
      throw ModelError("cannot interpolate: parameter '" + fromParams[i].name +
                       "' does not match '" + toParams[i].name + "' of the other model");
  Direction d;
  d.parameters = cpuFloat(to.flatParameters()) - cpuFloat(from.flatParameters());
  std::map<std::string, at::Tensor> toBuffers;
  for (auto& b : to.namedBuffers()) toBuffers[b.name] = b.tensor;
  for (auto& b : from.namedBuffers()) {
    if (!b.tensor.is_floating_point()) continue;  // counters such as num_batches_tracked
    auto it = toBuffers.find(b.name);
    if (it == toBuffers.end() || it->second.sizes() != b.tensor.sizes())
      throw ModelError("cannot interpolate: buffer '" + b.name +
                       "' is missing or differs in the other model");
    d.buffers.push_back({b.name, cpuFloat(it->second) - cpuFloat(b.tensor)});
  }
  DirectionSet set;
  set.kind = DirectionKind::Interp;
  set.norm = DirectionNorm::None;
  set.source = to.source();
  set.directions.push_back(std::move(d));
  return set;
}

void addDirectionsTo(training::Node& analysis, const DirectionSet& set) {
  training::Node& group = analysis.groups[schema::kDirections];
  group.attributes[schema::kKind] = toString(set.kind);
  group.attributes[schema::kNorm] = toString(set.norm);
  group.attributes[schema::kSource] = set.source;
  for (size_t k = 0; k < set.directions.size(); ++k) {
    const auto& d = set.directions[k];
    group.datasets[schema::directionName(int64_t(k))] = training::toArray(cpuFloat(d.parameters));
    if (!d.buffers.empty()) {
      training::Node& buffers = group.groups[schema::directionBuffersName(int64_t(k))];
      for (auto& b : d.buffers) buffers.datasets[b.name] = training::toArray(cpuFloat(b.tensor));
    }
  }
  if (set.trajectory.defined()) {
    training::Node& trajectory = analysis.groups[schema::kTrajectory];
    trajectory.datasets[schema::kCoordinates] =
        training::toArray(set.trajectory.to(torch::kCPU, torch::kDouble).contiguous());
    trajectory.datasets[schema::kEpochs] =
        training::Array::i64(set.trajectoryEpochs, {int64_t(set.trajectoryEpochs.size())});
    if (!set.explainedVariance.empty()) {  // PCA's; a plane's curve has none
      trajectory.attributes[schema::kExplainedVariance] = set.explainedVariance;
      analysis.attributes[schema::kExplainedVariance] = set.explainedVariance;
    }
  }
}

DirectionSet readDirections(const training::ProjectFile& project, const std::string& analysisPath,
                            const training::Model& model) {
  const std::string groupPath = analysisPath + "/" + schema::kDirections;
  if (!project.exists(groupPath))
    throw ProjectError(project.path() + ":" + analysisPath +
                       " stores no directions (not a surface analysis?)");
  auto analysis = project.read(analysisPath, false);
  auto group = project.read(groupPath);
  // The analysis's attribute, else the directions group's, else the fallback.
  const auto storedText = [&](const char* onAnalysis, const char* onGroup, std::string fallback) {
    if (analysis.has(onAnalysis)) return analysis.text(onAnalysis);
    return group.has(onGroup) ? group.text(onGroup) : fallback;
  };
  DirectionSet set;
  try {
    set.kind = parseDirectionKind(storedText(schema::kDirs, schema::kKind, "random"));
    set.norm = parseDirectionNorm(storedText(schema::kNorm, schema::kNorm, "none"));
  } catch (const InvalidArgument& e) {
    throw ProjectError(project.path() + ":" + analysisPath + ": " + e.what());
  }
  set.source = project.path() + ":" + analysisPath;
  std::map<std::string, at::Tensor> modelBuffers;
  for (auto& b : model.namedBuffers()) modelBuffers[b.name] = b.tensor;
  const int64_t p = model.parameterCount();
  for (int k = 0; k < 3; ++k) {
    const std::string name = schema::directionName(k);
    auto it = group.datasets.find(name);
    if (it == group.datasets.end()) break;
    Direction d;
    d.parameters = training::toTensor(it->second).to(torch::kFloat).reshape({-1});
    if (d.parameters.numel() != p)
      throw InvalidArgument(groupPath + "/" + name + " has " +
                            std::to_string(d.parameters.numel()) + " entries but " +
                            model.source() + " has " + std::to_string(p) +
                            " parameters: the directions belong to "
                            "another architecture");
    auto buffers = group.groups.find(schema::directionBuffersName(k));
    if (buffers != group.groups.end()) {
      for (auto& [bufferName, array] : buffers->second.datasets) {
        auto mb = modelBuffers.find(bufferName);
        auto t = training::toTensor(array).to(torch::kFloat);
        if (mb == modelBuffers.end() || mb->second.sizes() != t.sizes())
          throw InvalidArgument(analysisPath + ": buffer direction '" + bufferName +
                                "' does not fit " + model.source());
        d.buffers.push_back({bufferName, t});
      }
    }
    set.directions.push_back(std::move(d));
  }
  if (set.directions.empty())
    throw ProjectError(groupPath + " holds no " + schema::directionName(0));
  const std::string trajectoryPath = analysisPath + "/" + schema::kTrajectory;
  if (project.exists(trajectoryPath + "/" + schema::kCoordinates)) {
    auto trajectory = project.read(trajectoryPath);
    set.trajectory =
        training::toTensor(trajectory.dataset(schema::kCoordinates)).to(torch::kDouble);
    for (double e : trajectory.dataset(schema::kEpochs).asDoubles())
      set.trajectoryEpochs.push_back(int64_t(e));
    if (trajectory.has(schema::kExplainedVariance)) {
      auto& value = trajectory.attributes.at(schema::kExplainedVariance);
      if (auto* v = std::get_if<std::vector<double>>(&value)) set.explainedVariance = *v;
    }
  }
  return set;
}

std::string analysisPathOf(const std::string& nameOrPath) {
  if (!nameOrPath.empty() && nameOrPath[0] == '/') return nameOrPath;
  return schema::analysisPath(nameOrPath);
}

}  // namespace flatland::analysis
