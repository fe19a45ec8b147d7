// pack and unpack: a project's two layouts (project_packing.h).
#include "flatland/training/project_packing.h"

#include <filesystem>
#include <mutex>
#include <optional>

#include "flatland/errors.h"
#include "flatland/training/project_file.h"
#include "flatland/training/project_schema.h"
#include "project_commit.h"
#include "project_hdf5.h"
#include "project_ops.h"
#include "project_split.h"

namespace flatland::training {

namespace fs = std::filesystem;
using namespace project_commit;
using namespace project_hdf5;
using project_ops::Op;

namespace {

bool sameFile(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

// The root attributes of a new file holding the project, with the layout it gets.
Attributes rootAttributes(const ProjectFile& source, ProjectLayout layout) {
  Attributes attributes = source.read("/", false).attributes;
  attributes.erase(schema::kStorage);
  if (layout == ProjectLayout::Split)
    attributes[schema::kStorage] = std::string(schema::kStorageSplit);
  return attributes;
}

// A run without its checkpoints (their group keeps its attributes): they become parts of their
// own, one at a time.
Node runWithoutCheckpoints(const ProjectFile& source, const std::string& runPath) {
  Node run = source.read(runPath, false);
  for (auto& [name, array] : run.datasets) array = source.readDataset(runPath + "/" + name);
  for (auto& [name, group] : run.groups) {
    const std::string path = runPath + "/" + name;
    if (name != schema::kCheckpoints) {
      group = source.read(path, true);
    } else {
      group = source.read(path, false);
      group.groups.clear();
      group.datasets.clear();
    }
  }
  return run;
}

Op putOp(const std::string& path, Node node) {
  return {Op::Kind::Put, path, std::move(node), {}, {}};
}

}  // namespace

void packProject(const std::string& from, const std::string& to) {
  auto source = ProjectFile::open(from);
  if (sameFile(from, to))
    throw InvalidArgument("pack writes a new file: choose an --out other than " + from);
  const fs::path parent = fs::absolute(to).parent_path();
  if (!fs::is_directory(parent))
    throw ProjectError("cannot write " + to + ": folder " + parent.string() + " does not exist");
  h5::QuietErrors quiet;
  std::lock_guard<std::mutex> lock(writeMutex());
  try {
    std::vector<char> bytes;
    {
      // Writers of the source wait until it is read: the copy is one state of it.
      CrossProcessWriteLock sourceLock(resolveTarget(from));
      auto file = InMemoryFile::create();
      {
        auto root = h5::group(H5Gopen2(file.id(), "/", H5P_DEFAULT));
        writeAttributes(root, rootAttributes(source, ProjectLayout::Single));
      }
      for (const char* top : {schema::kRunsPath, schema::kAnalysesPath}) {
        openOrCreateGroup(file.id(), top);
        for (const auto& name : source.list(top)) {
          const std::string path = std::string(top) + "/" + name;
          writeNode(file.id(), path, source.read(path, true));
        }
      }
      bytes = file.close();
    }
    const std::string target = resolveTarget(to);
    CrossProcessWriteLock targetLock(target);
    removeStaleTemporaries(target);
    replaceDurably(target, bytes, 0);
  } catch (const ProjectError& e) {
    throw ProjectError("cannot pack " + from + " into " + to + ": " + e.what() +
                       "; nothing was written");
  }
}

bool unpackProject(const std::string& from, const std::string& to) {
  auto source = ProjectFile::open(from);
  const bool inPlace = sameFile(from, to);
  if (inPlace && source.layout() == ProjectLayout::Split) return false;
  if (!inPlace && fs::exists(to))
    throw InvalidArgument(to + " exists: unpack writes a new project (or converts " + from +
                          " in place when --out is left out)");
  h5::QuietErrors quiet;
  std::lock_guard<std::mutex> lock(writeMutex());
  const std::string target = resolveTarget(to);
  std::optional<project_split::SplitCommit> change;
  try {
    CrossProcessWriteLock targetLock(target);
    std::optional<CrossProcessWriteLock> sourceLock;
    if (!inPlace) sourceLock.emplace(resolveTarget(from));
    removeStaleTemporaries(target);
    auto index = InMemoryFile::create();
    {
      auto root = h5::group(H5Gopen2(index.id(), "/", H5P_DEFAULT));
      writeAttributes(root, rootAttributes(source, ProjectLayout::Split));
    }
    openOrCreateGroup(index.id(), schema::kRunsPath);
    openOrCreateGroup(index.id(), schema::kAnalysesPath);
    change.emplace(target, std::move(index));
    for (const auto& name : source.list(schema::kRunsPath)) {
      const std::string runPath = schema::runPath(name);
      change->apply(putOp(runPath, runWithoutCheckpoints(source, runPath)));
      const std::string checkpoints = runPath + "/" + schema::kCheckpoints;
      for (const auto& epoch : source.list(checkpoints)) {
        const std::string path = checkpoints + "/" + epoch;
        change->apply(putOp(path, source.read(path, true)));
        change->finish(path);
      }
      change->finish(runPath);
    }
    for (const auto& name : source.list(schema::kAnalysesPath)) {
      const std::string path = schema::analysisPath(name);
      change->apply(putOp(path, source.read(path, true)));
      change->finish(path);
    }
    change->write();
    change->cleanUp();
  } catch (const ProjectError& e) {
    if (change && !change->committed()) change->discardWritten();
    throw ProjectError("cannot unpack " + from + " into " + to + ": " + e.what() +
                       (inPlace ? "; the project file was not changed" : "; nothing was written"));
  }
  return true;
}

}  // namespace flatland::training
