// ProjectFile, the public API of a project file: reads through project_hdf5, commits through
// project_commit (an in-memory copy renamed into place).
#include "flatland/training/project_file.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <thread>

#include "flatland/errors.h"
#include "flatland/training/project_schema.h"
#include "flatland/version.h"
#include "hdf5_handle.h"
#include "project_commit.h"
#include "project_hdf5.h"
#include "project_ops.h"
#include "project_split.h"

namespace flatland::training {

namespace fs = std::filesystem;
using namespace project_commit;
using namespace project_hdf5;

// ---------------------------------------------------------------- Array and Node helpers

Array Array::f32(std::vector<float> v, std::vector<int64_t> shape) {
  if (shape.empty()) shape = {int64_t(v.size())};
  return {std::move(shape), std::move(v)};
}
Array Array::f64(std::vector<double> v, std::vector<int64_t> shape) {
  if (shape.empty()) shape = {int64_t(v.size())};
  return {std::move(shape), std::move(v)};
}
Array Array::i64(std::vector<int64_t> v, std::vector<int64_t> shape) {
  if (shape.empty()) shape = {int64_t(v.size())};
  return {std::move(shape), std::move(v)};
}

int64_t Array::size() const {
  return std::visit([](const auto& v) { return int64_t(v.size()); }, values);
}

std::vector<double> Array::asDoubles() const {
  return std::visit([](const auto& v) { return std::vector<double>(v.begin(), v.end()); }, values);
}

const Node& Node::group(const std::string& name) const {
  auto it = groups.find(name);
  if (it == groups.end()) throw ProjectError("the project file has no group '" + name + "' here");
  return it->second;
}

const Array& Node::dataset(const std::string& name) const {
  auto it = datasets.find(name);
  if (it == datasets.end())
    throw ProjectError("the project file has no dataset '" + name + "' here");
  return it->second;
}

std::string Node::text(const std::string& attribute) const {
  auto it = attributes.find(attribute);
  if (it == attributes.end() || !std::holds_alternative<std::string>(it->second))
    throw ProjectError("the project file has no text attribute '" + attribute + "' here");
  return std::get<std::string>(it->second);
}

double Node::number(const std::string& attribute) const {
  auto it = attributes.find(attribute);
  if (it != attributes.end()) {
    if (auto* i = std::get_if<int64_t>(&it->second)) return double(*i);
    if (auto* d = std::get_if<double>(&it->second)) return *d;
  }
  throw ProjectError("the project file has no numeric attribute '" + attribute + "' here");
}

std::string sanitizeName(const std::string& name) {
  std::string out;
  for (char c : name)
    out +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_') ? c : '_';
  if (out.empty() || out == "." || out == "..") out = "unnamed";
  return out;
}

std::string isoTimestampUtc() {
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// ---------------------------------------------------------------- ProjectFile

ProjectFile ProjectFile::openOrCreate(const std::string& path, ProjectLayout layout) {
  if (fs::exists(path)) return open(path);
  auto parent = fs::absolute(path).parent_path();
  if (!fs::is_directory(parent))
    throw ProjectError("cannot create project file " + path + ": folder " + parent.string() +
                       " does not exist");
  // Another process may create it at the same moment: the first one wins, and both open its file.
  atomicRewrite(path, Rewrite::CreateIfMissing, [layout](hid_t file) {
    auto root = h5::group(H5Gopen2(file, "/", H5P_DEFAULT));
    writeAttributes(root, {{schema::kFormat, std::string(kProjectFormat)},
                           {schema::kVersion, kProjectVersion},
                           {schema::kCreated, isoTimestampUtc()},
                           {schema::kFlatlandVersion, std::string(FLATLAND_VERSION)}});
    if (layout == ProjectLayout::Split)
      writeAttributes(root, {{schema::kStorage, std::string(schema::kStorageSplit)}});
    openOrCreateGroup(file, schema::kRunsPath);
    openOrCreateGroup(file, schema::kAnalysesPath);
  });
  return open(path);
}

ProjectFile ProjectFile::open(const std::string& path) {
  h5::QuietErrors quiet;
  if (!fs::exists(path)) throw ProjectError("project file not found: " + path);
  checkIsProject(path);
  return ProjectFile(path);
}

ProjectFile ProjectFile::openForeign(const std::string& path) {
  h5::QuietErrors quiet;
  if (!fs::exists(path)) throw ProjectError("file not found: " + path);
  if (H5Fis_hdf5(path.c_str()) <= 0) throw ProjectError(path + " is not an HDF5 file");
  return ProjectFile(path);
}

ProjectLayout ProjectFile::layout() const {
  h5::QuietErrors quiet;
  auto f = openFile(resolveTarget(m_path), H5F_ACC_RDONLY);
  return project_split::isSplit(f) ? ProjectLayout::Split : ProjectLayout::Single;
}

bool ProjectFile::exists(const std::string& objectPath) const {
  h5::QuietErrors quiet;
  auto f = openFile(resolveTarget(m_path), H5F_ACC_RDONLY);
  return linkExists(f, objectPath);
}

std::vector<std::string> ProjectFile::list(const std::string& groupPath) const {
  h5::QuietErrors quiet;
  auto f = openFile(resolveTarget(m_path), H5F_ACC_RDONLY);
  if (!linkExists(f, groupPath)) return {};
  auto g = h5::group(H5Gopen2(f, groupPath.c_str(), H5P_DEFAULT));
  if (!g.valid()) throw ProjectError("'" + groupPath + "' in " + m_path + " is not a group");
  std::vector<std::string> names;
  for (auto& [name, type] : children(g).children) names.push_back(name);
  return names;
}

namespace {

// A reader of a split project can lose a race with a writer that, having renamed its new index
// into place, removes the part files the old index named: read again, from the new index.
template <class Read>
auto readingAgainAfterACommit(const ProjectFile& project, const std::string& objectPath,
                              Read read) {
  try {
    return read();
  } catch (const ProjectError&) {
    if (!fs::exists(project_split::folderOf(resolveTarget(project.path()))) ||
        !project.exists(objectPath))
      throw;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return read();
  }
}

}  // namespace

Node ProjectFile::read(const std::string& groupPath, bool recursive) const {
  return readingAgainAfterACommit(*this, groupPath, [&] {
    h5::QuietErrors quiet;
    auto f = openFile(resolveTarget(m_path), H5F_ACC_RDONLY);
    if (!linkExists(f, groupPath)) throw ProjectError(m_path + " has no group '" + groupPath + "'");
    return readNode(f, groupPath, recursive);
  });
}

Array ProjectFile::readDataset(const std::string& datasetPath) const {
  return readingAgainAfterACommit(*this, datasetPath, [&] {
    h5::QuietErrors quiet;
    auto f = openFile(resolveTarget(m_path), H5F_ACC_RDONLY);
    if (!linkExists(f, datasetPath))
      throw ProjectError(m_path + " has no dataset '" + datasetPath + "'");
    return readArray(f, datasetPath);
  });
}

namespace project_ops {

void apply(hid_t file, const Op& op) {
  const std::string& path = op.path;
  switch (op.kind) {
    case Op::Kind::Put:
      removeIfPresent(file, path);
      writeNode(file, path, op.node);
      return;
    case Op::Kind::PutDataset:
      writeArray(file, path, op.array);
      return;
    case Op::Kind::SetAttributes: {
      auto g = openOrCreateGroup(file, path);
      writeAttributes(g, op.attributes);
      return;
    }
    case Op::Kind::Remove:
      removeIfPresent(file, path);
      return;
  }
}

}  // namespace project_ops

using Op = ProjectFile::Transaction::Op;

ProjectFile::Transaction& ProjectFile::Transaction::put(const std::string& groupPath,
                                                        const Node& node) {
  m_ops.push_back(std::make_shared<const Op>(Op{Op::Kind::Put, groupPath, node, {}, {}}));
  return *this;
}

ProjectFile::Transaction& ProjectFile::Transaction::putDataset(const std::string& datasetPath,
                                                               const Array& array) {
  m_ops.push_back(std::make_shared<const Op>(Op{Op::Kind::PutDataset, datasetPath, {}, array, {}}));
  return *this;
}

ProjectFile::Transaction& ProjectFile::Transaction::setAttributes(const std::string& groupPath,
                                                                  const Attributes& attributes) {
  m_ops.push_back(
      std::make_shared<const Op>(Op{Op::Kind::SetAttributes, groupPath, {}, {}, attributes}));
  return *this;
}

ProjectFile::Transaction& ProjectFile::Transaction::remove(const std::string& objectPath) {
  m_ops.push_back(std::make_shared<const Op>(Op{Op::Kind::Remove, objectPath, {}, {}, {}}));
  return *this;
}

void ProjectFile::commit(const Transaction& transaction) const {
  if (transaction.empty()) return;
  if (layout() == ProjectLayout::Split) {
    std::vector<const Op*> ops;
    for (auto& op : transaction.m_ops) ops.push_back(op.get());
    project_split::commit(m_path, ops);
    return;
  }
  atomicRewrite(m_path, Rewrite::Change, [&](hid_t file) {
    for (auto& op : transaction.m_ops) project_ops::apply(file, *op);
  });
}

void ProjectFile::put(const std::string& groupPath, const Node& node) const {
  commit(Transaction().put(groupPath, node));
}

void ProjectFile::setAttributes(const std::string& groupPath, const Attributes& attributes) const {
  commit(Transaction().setAttributes(groupPath, attributes));
}

void ProjectFile::remove(const std::string& objectPath) const {
  commit(Transaction().remove(objectPath));
}

}  // namespace flatland::training
