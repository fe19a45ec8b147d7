#include "flatland/analysis/surface_export.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>

#include "flatland/errors.h"
#include "flatland/training/project_schema.h"

namespace flatland::analysis {

namespace {

using training::Array;
using training::ProjectFile;

struct StoredSurface {
  std::vector<std::vector<double>> coordinates;                     // per axis x, y, z
  std::vector<int64_t> shape;                                       // [nz, ny, nx] order, as stored
  std::vector<std::pair<std::string, std::vector<double>>> values;  // stored name → values
  std::vector<int64_t> done;
};

StoredSurface readStored(const ProjectFile& project, const std::string& path) {
  if (!project.exists(path)) throw ProjectError(project.path() + " has no analysis " + path);
  auto node = project.read(path, false);
  if (!node.has(schema::kKind) || node.text(schema::kKind) != schema::kKindSurface)
    throw ProjectError(path + " in " + project.path() + " is not a surface analysis");
  StoredSurface s;
  for (const char* name : schema::kAxisCoordinates)
    if (project.exists(path + "/" + name))
      s.coordinates.push_back(project.readDataset(path + "/" + name).asDoubles());
  if (s.coordinates.empty()) throw ProjectError(path + " has no " + schema::kXCoordinates);
  for (auto it = s.coordinates.rbegin(); it != s.coordinates.rend(); ++it)
    s.shape.push_back(int64_t(it->size()));
  auto doneArray = project.readDataset(path + "/" + schema::kDone);
  for (double d : doneArray.asDoubles()) s.done.push_back(int64_t(d));
  for (const char* name :
       {schema::kTrainLoss, schema::kTrainAccuracy, schema::kTestLoss, schema::kTestAccuracy}) {
    if (!project.exists(path + "/" + name)) continue;
    auto values = project.readDataset(path + "/" + name).asDoubles();
    if (values.size() != s.done.size())
      throw ProjectError(path + "/" + name + " does not match the grid");
    // Points not computed are NaN whatever the file holds: the mask decides.
    for (size_t i = 0; i < values.size(); ++i)
      if (!s.done[i]) values[i] = std::numeric_limits<double>::quiet_NaN();
    s.values.emplace_back(name, std::move(values));
  }
  if (s.values.empty()) throw ProjectError(path + " holds no loss values");
  return s;
}

// [z, y, x] row-major → [x, y, z] row-major (the transpose; 1-D unchanged).
template <typename T>
std::vector<T> transposed(const std::vector<T>& v, const std::vector<int64_t>& shape) {
  const size_t dims = shape.size();
  const int64_t nx = shape[dims - 1];
  const int64_t ny = dims >= 2 ? shape[dims - 2] : 1;
  const int64_t nz = dims >= 3 ? shape[0] : 1;
  std::vector<T> out(v.size());
  for (int64_t k = 0; k < nz; ++k)
    for (int64_t j = 0; j < ny; ++j)
      for (int64_t i = 0; i < nx; ++i)
        out[size_t((i * ny + j) * nz + k)] = v[size_t((k * ny + j) * nx + i)];
  return out;
}

// Refuses to write over the project the surface is read from.
void checkNotTheProject(const ProjectFile& project, const std::string& outFile) {
  std::error_code ec;
  if (std::filesystem::equivalent(outFile, project.path(), ec))
    throw ProjectError("the output file " + outFile +
                       " is the project file itself; choose another --out");
}

}  // namespace

void exportLossLandscape(const ProjectFile& project, const std::string& analysisPath,
                         const std::string& outFile) {
  auto s = readStored(project, analysisPath);
  checkNotTheProject(project, outFile);
  std::vector<int64_t> shapeXY(s.shape.rbegin(), s.shape.rend());
  std::error_code ec;
  std::filesystem::remove(outFile, ec);
  auto out = ProjectFile::openOrCreate(outFile, training::ProjectLayout::Single);
  ProjectFile::Transaction tx;
  // A stand-alone file: only the surface's arrays at the root (no empty runs/analyses groups).
  tx.remove(schema::kRunsPath).remove(schema::kAnalysesPath);
  for (size_t a = 0; a < s.coordinates.size(); ++a)
    tx.putDataset(std::string("/") + schema::kAxisCoordinates[a],
                  Array::f64(s.coordinates[a], {int64_t(s.coordinates[a].size())}));
  for (auto& [name, values] : s.values) {
    auto v = transposed(values, s.shape);
    std::string target = name;
    // loss-landscape's names and units: train_acc / test_acc in percent.
    if (name == schema::kTrainAccuracy || name == schema::kTestAccuracy) {
      target = name.substr(0, name.find('_')) + "_acc";
      for (auto& x : v) x *= 100.0;
    }
    tx.putDataset("/" + target, Array::f64(v, shapeXY));
  }
  tx.putDataset(std::string("/") + schema::kDone, Array::i64(transposed(s.done, s.shape), shapeXY));
  tx.setAttributes("/",
                   {{schema::kFlatlandAnalysis, project.path() + ":" + analysisPath},
                    {schema::kLayout,
                     std::string("loss-landscape: arrays indexed [x, y], accuracy in percent")}});
  out.commit(tx);
}

void exportVts(const ProjectFile& project, const std::string& analysisPath,
               const std::string& outFile) {
  auto s = readStored(project, analysisPath);
  checkNotTheProject(project, outFile);
  const size_t dims = s.coordinates.size();
  const auto& xs = s.coordinates[0];
  const std::vector<double> zero = {0.0};
  const auto& ys = dims >= 2 ? s.coordinates[1] : zero;
  const auto& zs = dims >= 3 ? s.coordinates[2] : zero;
  std::ofstream f(outFile);
  if (!f) throw ProjectError("cannot write " + outFile);
  char extent[128];
  std::snprintf(extent, sizeof extent, "0 %zu 0 %zu 0 %zu", xs.size() - 1, ys.size() - 1,
                zs.size() - 1);
  f << "<?xml version=\"1.0\"?>\n"
    << "<VTKFile type=\"StructuredGrid\" version=\"0.1\" byte_order=\"LittleEndian\">\n"
    << "  <StructuredGrid WholeExtent=\"" << extent << "\">\n"
    << "    <Piece Extent=\"" << extent << "\">\n"
    << "      <PointData Scalars=\"" << s.values.front().first << "\">\n";
  char number[40];
  auto write = [&](double v) {
    // VTK's ASCII reader takes nan; keep full precision for everything else.
    if (std::isnan(v))
      f << "nan";
    else {
      std::snprintf(number, sizeof number, "%.9g", v);
      f << number;
    }
  };
  for (auto& [name, values] : s.values) {
    f << "        <DataArray type=\"Float64\" Name=\"" << name
      << "\" format=\"ascii\">\n          ";
    for (size_t i = 0; i < values.size(); ++i) {
      write(values[i]);
      f << ((i + 1) % 8 == 0 ? "\n          " : " ");
    }
    f << "\n        </DataArray>\n";
  }
  f << "        <DataArray type=\"Int64\" Name=\"done\" format=\"ascii\">\n          ";
  for (size_t i = 0; i < s.done.size(); ++i)
    f << s.done[i] << ((i + 1) % 16 == 0 ? "\n          " : " ");
  f << "\n        </DataArray>\n      </PointData>\n      <Points>\n"
    << "        <DataArray type=\"Float64\" NumberOfComponents=\"3\" format=\"ascii\">\n";
  // Points in VTK order (x fastest, then y, then z): the order Flatland stores [z, y, x].
  for (double z : zs)
    for (double y : ys)
      for (double x : xs) {
        f << "          ";
        write(x);
        f << ' ';
        write(y);
        f << ' ';
        write(z);
        f << '\n';
      }
  f << "        </DataArray>\n      </Points>\n    </Piece>\n  </StructuredGrid>\n</VTKFile>\n";
  if (!f) throw ProjectError("cannot write " + outFile + " (disk full?)");
}

}  // namespace flatland::analysis
