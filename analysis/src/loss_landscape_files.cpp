#include "flatland/analysis/loss_landscape_files.h"

#include <torch/types.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

#include "flatland/analysis/grid.h"
#include "flatland/errors.h"
#include "flatland/training/project_schema.h"
#include "flatland/training/tensor_array.h"

namespace flatland::analysis {

namespace {

using training::Array;
using training::ProjectFile;

// The project's own names (net_plotter.py, plot_surface.py).
constexpr const char* kDirectionGroups[] = {"/xdirection", "/ydirection"};
constexpr const char* kAccuracySuffix = "_acc";

std::string shapeText(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

std::vector<int64_t> shapeOf(const at::Tensor& t) { return t.sizes().vec(); }

// The entries of a state_dict in its order: module by module (in the order their parameters
// come), each module's parameters then its buffers. Buffer-only modules come last.
std::vector<training::NamedTensor> stateDictOrder(const training::Model& model) {
  auto moduleOf = [](const std::string& name) {
    auto dot = name.rfind('.');
    return dot == std::string::npos ? std::string() : name.substr(0, dot);
  };
  std::vector<std::string> modules;
  std::map<std::string, std::vector<training::NamedTensor>> entries;
  auto add = [&](const training::NamedTensor& t) {
    const auto module = moduleOf(t.name);
    if (!entries.count(module)) modules.push_back(module);
    entries[module].push_back(t);
  };
  for (const auto& p : model.namedParameters()) add(p);
  for (const auto& b : model.namedBuffers()) add(b);
  std::vector<training::NamedTensor> out;
  for (const auto& m : modules)
    for (auto& t : entries[m]) out.push_back(std::move(t));
  return out;
}

std::vector<Array> readList(const ProjectFile& file, const std::string& group) {
  std::vector<Array> list;
  const auto names = file.list(group);
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string path = group + "/" + std::to_string(i);
    if (!file.exists(path))
      throw ProjectError(file.path() + ": " + group + " has " + std::to_string(names.size()) +
                         " entries but no '" + std::to_string(i) +
                         "' (a loss-landscape direction file numbers them 0, 1, …)");
    list.push_back(file.readDataset(path));
  }
  return list;
}

at::Tensor asTensor(const Array& array) { return training::toTensor(array).to(at::kFloat); }

// One direction from its list, against the parameters (weights) or the state_dict (states).
Direction directionFrom(const std::vector<Array>& list, const training::Model& model,
                        const std::string& file, const std::string& group) {
  const auto params = model.namedParameters();
  Direction d;
  std::vector<at::Tensor> pieces;
  if (list.size() == params.size()) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].shape != shapeOf(params[i].tensor))
        throw ModelError(file + ": " + group + "/" + std::to_string(i) + " has shape " +
                         shapeText(list[i].shape) + " but parameter " + params[i].name + " is " +
                         shapeText(shapeOf(params[i].tensor)));
      pieces.push_back(asTensor(list[i]).reshape({-1}));
    }
    d.parameters = torch::cat(pieces);
    return d;
  }
  const auto states = stateDictOrder(model);
  if (list.size() != states.size())
    throw ModelError(file + ": " + group + " has " + std::to_string(list.size()) +
                     " entries; the model has " + std::to_string(params.size()) +
                     " parameters (--dir_type weights) and " + std::to_string(states.size()) +
                     " state_dict entries (--dir_type states)");
  std::map<std::string, at::Tensor> byName;
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].shape != shapeOf(states[i].tensor))
      throw ModelError(file + ": " + group + "/" + std::to_string(i) + " has shape " +
                       shapeText(list[i].shape) + " but state_dict entry " + states[i].name +
                       " is " + shapeText(shapeOf(states[i].tensor)));
    byName[states[i].name] = asTensor(list[i]);
  }
  for (const auto& p : params) pieces.push_back(byName.at(p.name).reshape({-1}));
  d.parameters = torch::cat(pieces);
  for (const auto& b : model.namedBuffers())
    if (b.tensor.is_floating_point())  // num_batches_tracked does not change a forward pass
      d.buffers.push_back({b.name, byName.at(b.name)});
  return d;
}

// The evenly spaced axis a coordinate array is, or ProjectError.
GridAxis axisOf(const std::vector<double>& xs, const std::string& what) {
  if (xs.empty()) throw ProjectError(what + " is empty");
  GridAxis axis{xs.front(), xs.back(), int64_t(xs.size())};
  if (xs.size() == 1) return axis;
  if (!(axis.hi > axis.lo)) throw ProjectError(what + " does not increase");
  const auto expected = axis.coordinates();
  const double step = std::abs(axis.hi - axis.lo) / double(xs.size() - 1);
  for (size_t i = 0; i < xs.size(); ++i)
    if (!(std::abs(xs[i] - expected[i]) <= 1e-6 * step))
      throw ProjectError(what + " is not evenly spaced (entry " + std::to_string(i) +
                         "); Flatland's grids are lo:hi:n");
  return axis;
}

// [x, y, z] row-major → [z, y, x] row-major.
std::vector<double> toFlatlandOrder(const std::vector<double>& v, const std::vector<int64_t>& n) {
  const int64_t nx = n[0], ny = n.size() > 1 ? n[1] : 1, nz = n.size() > 2 ? n[2] : 1;
  std::vector<double> out(v.size());
  for (int64_t i = 0; i < nx; ++i)
    for (int64_t j = 0; j < ny; ++j)
      for (int64_t k = 0; k < nz; ++k)
        out[size_t((k * ny + j) * nx + i)] = v[size_t((i * ny + j) * nz + k)];
  return out;
}

}  // namespace

DirectionSet readLossLandscapeDirections(const std::string& file, const training::Model& model) {
  auto f = ProjectFile::openForeign(file);
  if (!f.exists(kDirectionGroups[0]))
    throw ProjectError(file + " has no xdirection group: not a loss-landscape direction file");
  DirectionSet set;
  set.kind = DirectionKind::LossLandscape;
  set.norm = DirectionNorm::None;
  set.source = file;
  for (const char* group : kDirectionGroups) {
    if (!f.exists(group)) break;
    set.directions.push_back(directionFrom(readList(f, group), model, file, group + 1));
  }
  return set;
}

void writeLossLandscapeDirections(const std::string& file, const DirectionSet& directions,
                                  const training::Model& model) {
  if (directions.directions.empty() || directions.directions.size() > 2)
    throw InvalidArgument("a loss-landscape direction file holds one or two directions");
  std::error_code ec;
  std::filesystem::remove(file, ec);
  auto out = ProjectFile::openOrCreate(file, training::ProjectLayout::Single);
  ProjectFile::Transaction tx;
  tx.remove(schema::kRunsPath).remove(schema::kAnalysesPath);
  for (size_t k = 0; k < directions.directions.size(); ++k) {
    const auto pieces = model.unflatten(directions.directions[k].parameters.to(at::kFloat));
    for (size_t i = 0; i < pieces.size(); ++i)
      tx.putDataset(std::string(kDirectionGroups[k]) + "/" + std::to_string(i),
                    training::toArray(pieces[i].cpu().contiguous()));
  }
  out.commit(tx);
}

training::Node importLossLandscapeSurface(const std::string& file) {
  auto f = ProjectFile::openForeign(file);
  GridSpec grid;
  std::vector<int64_t> counts;  // nx, ny, nz
  training::Node node;
  for (const char* name : schema::kAxisCoordinates) {
    if (!f.exists(std::string("/") + name)) break;
    auto xs = f.readDataset(std::string("/") + name).asDoubles();
    grid.axes.push_back(axisOf(xs, file + ": " + name));
    counts.push_back(int64_t(xs.size()));
    node.datasets[name] = Array::f64(xs, {int64_t(xs.size())});
  }
  if (grid.axes.empty())
    throw ProjectError(file + " has no xcoordinates: not a loss-landscape surface file");
  const auto shape = grid.shape();
  const auto points = size_t(grid.points());
  std::vector<int64_t> done(points, 1);
  bool any = false;
  for (const char* loss : {schema::kTrainLoss, schema::kTestLoss}) {
    const std::string prefix = std::string(loss).substr(0, std::string(loss).find('_'));
    const std::pair<std::string, std::string> names[] = {
        {loss, loss},
        {prefix + kAccuracySuffix,
         loss == std::string(schema::kTrainLoss) ? schema::kTrainAccuracy : schema::kTestAccuracy}};
    for (const auto& [theirs, ours] : names) {
      if (!f.exists("/" + theirs)) continue;
      const auto array = f.readDataset("/" + theirs);
      if (array.shape != counts)
        throw ProjectError(file + ": " + theirs + " has shape " + shapeText(array.shape) +
                           ", the coordinates make " + shapeText(counts));
      auto values = toFlatlandOrder(array.asDoubles(), counts);
      if (ours != loss)
        for (auto& v : values) v /= 100.0;  // percent
      for (size_t i = 0; i < points; ++i)
        if (std::isnan(values[i])) done[i] = 0;
      node.datasets[ours] = Array::f64(values, shape);
      any = true;
    }
  }
  if (!any) throw ProjectError(file + " has no train_loss or test_loss");
  int64_t pointsDone = 0;
  double lossMin = std::numeric_limits<double>::quiet_NaN();
  const char* minOf =
      node.datasets.count(schema::kTrainLoss) ? schema::kTrainLoss : schema::kTestLoss;
  const auto losses = node.datasets.at(minOf).asDoubles();
  for (size_t i = 0; i < points; ++i) {
    pointsDone += done[i];
    if (done[i] && !(losses[i] >= lossMin)) lossMin = losses[i];
  }
  node.datasets[schema::kDone] = Array::i64(done, shape);
  node.attributes[schema::kKind] = std::string(schema::kKindSurface);
  node.attributes[schema::kCreated] = training::isoTimestampUtc();
  node.attributes[schema::kGrid] = grid.text();
  node.attributes[schema::kDirs] = toString(DirectionKind::LossLandscape);
  node.attributes[schema::kNorm] = toString(DirectionNorm::None);
  node.attributes[schema::kDirectionsSource] = file;
  node.attributes[schema::kImportedFrom] = file;
  node.attributes[schema::kPointsDone] = pointsDone;
  node.attributes[schema::kComplete] = int64_t(pointsDone == int64_t(points) ? 1 : 0);
  if (!std::isnan(lossMin)) node.attributes[schema::kLossMin] = lossMin;
  return node;
}

}  // namespace flatland::analysis
