// Commits of a split project: parts written as new files, then the index renamed into place
// (project_split.h).
#include "project_split.h"

#include <unistd.h>

#include <sys/stat.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "flatland/errors.h"
#include "flatland/training/project_schema.h"
#include "project_commit.h"
#include "project_hdf5.h"

namespace flatland::training::project_split {

namespace fs = std::filesystem;
using namespace project_commit;
using namespace project_hdf5;
using project_ops::Op;

namespace {

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    if (next > pos) out.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

std::string joinComponents(const std::vector<std::string>& parts, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) out += "/" + parts[i];
  return out.empty() ? "/" : out;
}

// The first n components name a part of its own.
bool isPart(const std::vector<std::string>& p, size_t n) {
  return (n == 2 && (p[0] == schema::kRuns || p[0] == schema::kAnalyses)) ||
         (n == 4 && p[0] == schema::kRuns && p[2] == schema::kCheckpoints);
}

// The file an external link at `path` of `file` names (as written in the link), if it is one.
std::optional<std::string> externalTarget(hid_t file, const std::string& path) {
  if (!linkExists(file, path)) return std::nullopt;
  H5L_info_t info;
  if (H5Lget_info(file, path.c_str(), &info, H5P_DEFAULT) < 0 || info.type != H5L_TYPE_EXTERNAL)
    return std::nullopt;
  std::vector<char> value(info.u.val_size);
  const char* target = nullptr;
  const char* object = nullptr;
  unsigned flags = 0;
  if (H5Lget_val(file, path.c_str(), value.data(), value.size(), H5P_DEFAULT) < 0 ||
      H5Lunpack_elink_val(value.data(), value.size(), &flags, &target, &object) < 0 || !target)
    throw ProjectError("cannot read the link '" + path + "': " + h5::lastErrorMessage());
  return std::string(target);
}

// Where a link's file is: HDF5 looks for a relative name beside the file holding the link.
std::string resolveLinked(const std::string& holderDirectory, const std::string& target) {
  const fs::path t(target);
  return (t.is_absolute() ? t : fs::path(holderDirectory) / t).lexically_normal().string();
}

std::string directoryOf(const std::string& file) {
  const fs::path parent = fs::path(file).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// An H5Lvisit callback: no exception may cross HDF5's C frames, so an error stops the visit.
herr_t collectExternal(hid_t group, const char* name, const H5L_info_t* info, void* data) {
  if (info->type != H5L_TYPE_EXTERNAL) return 0;
  try {
    if (auto target = externalTarget(group, name))
      static_cast<std::vector<std::string>*>(data)->push_back(*target);
    return 0;
  } catch (const ProjectError&) {
    return -1;
  }
}

// The files the links in and below `group` of an open file name (as written in the links).
std::vector<std::string> linkedParts(hid_t file, const std::string& group = "/") {
  std::vector<std::string> targets;
  if (H5Lvisit_by_name(file, group.c_str(), H5_INDEX_NAME, H5_ITER_INC, collectExternal, &targets,
                       H5P_DEFAULT) < 0)
    throw ProjectError("cannot list the links of the project: " + h5::lastErrorMessage());
  return targets;
}

// Every part file reached from `files` through their links, `files` included.
std::set<std::string> reachableFrom(std::vector<std::string> files) {
  std::set<std::string> seen;
  while (!files.empty()) {
    const std::string file = files.back();
    files.pop_back();
    if (!seen.insert(file).second) continue;
    if (!fs::exists(file)) continue;  // a dangling link: reported when read
    auto part = openFile(file, H5F_ACC_RDONLY);
    for (auto& target : linkedParts(part))
      files.push_back(resolveLinked(directoryOf(file), target));
  }
  return seen;
}

// A new part file's name: readable (what it holds) and never used before (process, count, time).
std::string newPartName(const std::string& position) {
  static std::atomic<long> counter{0};
  std::string name;
  for (const auto& c : components(position)) name += (name.empty() ? "" : ".") + c;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, ".%ld-%ld-%llx.h5", long(::getpid()), ++counter,
                static_cast<unsigned long long>(
                    std::chrono::duration_cast<std::chrono::microseconds>(now).count()));
  return name + suffix;
}

// Part files this process replaced, removed only after kGrace: a reader (the GUI refreshing a
// run's curves while it trains) that opened the previous index still finds the parts it names.
// At most kKeptVersions of one part are kept, so a part rewritten many times a second (a run
// whose epochs take milliseconds) does not pile up; a reader that falls further behind reads
// again from the new index. Called with the write mutex held; what is left at exit is removed.
constexpr std::chrono::seconds kGrace{10};
constexpr size_t kKeptVersions = 4;

class ReplacedParts {
 public:
  ~ReplacedParts() { removeOlderThan(std::chrono::seconds(0)); }
  void add(const std::string& file) {
    std::error_code ec;
    const std::string canonical = fs::weakly_canonical(file, ec).string();
    const std::string part = partOf(canonical);
    m_files.push_back({canonical, Clock::now()});
    size_t versions = 0;
    for (auto& e : m_files) versions += partOf(e.file) == part;
    for (auto it = m_files.begin(); versions > kKeptVersions && it != m_files.end();) {
      if (partOf(it->file) == part) {
        fs::remove(it->file, ec);
        it = m_files.erase(it);
        --versions;
      } else {
        ++it;
      }
    }
  }
  bool contains(const std::string& canonicalFile) const {
    for (auto& e : m_files)
      if (e.file == canonicalFile) return true;
    return false;
  }
  void removeOlderThan(std::chrono::seconds age) {
    const auto now = Clock::now();
    std::error_code ec;
    std::vector<Entry> kept;
    for (auto& e : m_files)
      if (now - e.when >= age)
        fs::remove(e.file, ec);
      else
        kept.push_back(e);
    m_files.swap(kept);
  }

 private:
  using Clock = std::chrono::steady_clock;
  // What a part file holds, from its name (newPartName: the position, then .PID-COUNT-TIME.h5).
  static std::string partOf(const std::string& file) {
    const std::string stem = fs::path(file).stem().string();
    return stem.substr(0, stem.rfind('.'));
  }
  struct Entry {
    std::string file;
    Clock::time_point when;
  };
  std::vector<Entry> m_files;
};

ReplacedParts& replacedParts() {
  static ReplacedParts parts;
  return parts;
}

// Projects whose folder this process has swept for files no index reaches (left by a writer that
// was killed).
std::set<std::string>& sweptProjects() {
  static std::set<std::string> swept;
  return swept;
}

}  // namespace

void removeReplacedParts() {
  std::lock_guard<std::mutex> lock(writeMutex());
  replacedParts().removeOlderThan(std::chrono::seconds(0));
}

bool isPartPosition(const std::string& path) {
  const auto p = components(path);
  return !p.empty() && isPart(p, p.size());
}

bool isSplit(hid_t indexFile) {
  if (H5Aexists(indexFile, schema::kStorage) <= 0) return false;
  const auto attributes = readAttributes(indexFile);
  const auto it = attributes.find(schema::kStorage);
  return it != attributes.end() && std::holds_alternative<std::string>(it->second) &&
         std::get<std::string>(it->second) == schema::kStorageSplit;
}

std::string folderOf(const std::string& indexPath) {
  const fs::path p(indexPath);
  const std::string stem = p.extension() == ".h5" ? p.stem().string() : p.filename().string();
  return (p.parent_path() / (stem + ".flatland")).string();
}

std::vector<std::string> reachableParts(const std::string& indexPath) {
  h5::QuietErrors quiet;
  std::vector<std::string> files;
  {
    auto index = openFile(indexPath, H5F_ACC_RDONLY);
    for (auto& target : linkedParts(index))
      files.push_back(resolveLinked(directoryOf(indexPath), target));
  }
  const auto seen = reachableFrom(std::move(files));
  return {seen.begin(), seen.end()};
}

// ---------------------------------------------------------------- SplitCommit

SplitCommit::SplitCommit(const std::string& indexPath, InMemoryFile index)
    : m_index(indexPath), m_folder(folderOf(indexPath)) {
  Part& root = m_parts["/"];
  root.position = "/";
  root.memory = std::move(index);
  root.changed = true;
}

SplitCommit::SplitCommit(const std::string& indexPath)
    : SplitCommit(indexPath, InMemoryFile::load(readWholeFile(indexPath))) {}

SplitCommit::~SplitCommit() = default;

SplitCommit::Part& SplitCommit::load(const std::string& position, const std::string& onDisk) {
  if (!fs::exists(onDisk))
    throw ProjectError(position + " is stored in " + onDisk +
                       ", which is missing (a split project is NAME.h5 with its folder "
                       "NAME.flatland beside it: copy both, or one file made by pack)");
  Part& part = m_parts[position];
  part.position = position;
  part.file = onDisk;
  part.memory = InMemoryFile::load(readWholeFile(onDisk));
  return part;
}

std::string SplitCommit::directoryOfPart(const Part& part) const {
  if (part.position == "/") return directoryOf(m_index);
  return part.file.empty() ? m_folder : directoryOf(part.file);
}

SplitCommit::Part& SplitCommit::fresh(const std::string& position) {
  forget(position);
  Part& part = m_parts[position];
  part.position = position;
  part.memory = InMemoryFile::create();
  part.changed = true;
  return part;
}

void SplitCommit::forget(const std::string& path) {
  const std::string below = path == "/" ? "/" : path + "/";
  for (auto it = m_parts.begin(); it != m_parts.end();) {
    const bool under = it->first == path || it->first.compare(0, below.size(), below) == 0;
    if (!under || it->first == "/") {
      ++it;
      continue;
    }
    if (!it->second.file.empty()) m_replaced.insert(it->second.file);
    it = m_parts.erase(it);
  }
}

std::pair<SplitCommit::Part*, std::string> SplitCommit::locate(const std::string& path, bool create,
                                                               bool enterSelf) {
  const auto p = components(path);
  Part* owner = &m_parts.at("/");
  size_t base = 0;  // the owner's position is the first `base` components
  for (size_t n = 1; n <= p.size(); ++n) {
    if (!isPart(p, n)) continue;
    if (n == p.size() && !enterSelf) break;
    const std::string position = joinComponents(p, 0, n);
    if (auto it = m_parts.find(position); it != m_parts.end()) {
      owner = &it->second;
      base = n;
      continue;
    }
    const std::string inOwner = joinComponents(p, base, n);
    if (auto target = externalTarget(owner->memory.id(), inOwner)) {
      owner = &load(position, resolveLinked(directoryOfPart(*owner), *target));
      base = n;
      continue;
    }
    if (linkExists(owner->memory.id(), inOwner)) break;  // a plain group: stays in its owner
    if (!create) break;
    owner = &fresh(position);
    base = n;
  }
  return {owner, joinComponents(p, base, p.size())};
}

void SplitCommit::writeNodeSplit(Part& part, const std::string& fullPath, const std::string& inside,
                                 const Node& node) {
  part.changed = true;
  {
    auto g = openOrCreateGroup(part.memory.id(), inside);
    writeAttributes(g, node.attributes);
  }
  for (auto& [name, array] : node.datasets)
    writeArray(part.memory.id(), joinPath(inside, name), array);
  for (auto& [name, child] : node.groups) {
    const std::string full = joinPath(fullPath, name);
    if (isPartPosition(full))
      writeNodeSplit(fresh(full), full, "/", child);
    else
      writeNodeSplit(part, full, joinPath(inside, name), child);
  }
}

void SplitCommit::dropLink(Part& owner, const std::string& inside) {
  const hid_t file = owner.memory.id();
  if (!linkExists(file, inside)) return;
  // The parts this link or group reaches, and the parts they reach, none of them loaded.
  std::vector<std::string> dropped;
  if (auto target = externalTarget(file, inside)) {
    dropped.push_back(resolveLinked(directoryOfPart(owner), *target));
  } else {
    H5O_info_t info;
    if (H5Oget_info_by_name2(file, inside.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0 &&
        info.type == H5O_TYPE_GROUP)
      for (auto& t : linkedParts(file, inside))
        dropped.push_back(resolveLinked(directoryOfPart(owner), t));
  }
  for (auto& part : reachableFrom(std::move(dropped))) m_replaced.insert(part);
  removeIfPresent(file, inside);
  owner.changed = true;
}

void SplitCommit::apply(const Op& op) {
  switch (op.kind) {
    case Op::Kind::Put: {
      forget(op.path);
      auto [owner, inside] = locate(op.path, true, false);
      dropLink(*owner, inside);
      if (isPartPosition(op.path))
        writeNodeSplit(fresh(op.path), op.path, "/", op.node);
      else
        writeNodeSplit(*owner, op.path, inside, op.node);
      return;
    }
    case Op::Kind::Remove: {
      forget(op.path);
      auto [owner, inside] = locate(op.path, false, false);
      dropLink(*owner, inside);
      return;
    }
    case Op::Kind::PutDataset: {
      auto [owner, inside] = locate(op.path, true, false);
      writeArray(owner->memory.id(), inside, op.array);
      owner->changed = true;
      return;
    }
    case Op::Kind::SetAttributes: {
      auto [owner, inside] = locate(op.path, true, true);
      auto g = openOrCreateGroup(owner->memory.id(), inside);
      writeAttributes(g, op.attributes);
      owner->changed = true;
      return;
    }
  }
}

void SplitCommit::finish(const std::string& position) {
  auto it = m_parts.find(position);
  if (it == m_parts.end() || position == "/") return;
  Part& part = it->second;
  if (part.changed) {
    std::error_code ec;
    fs::create_directories(m_folder, ec);
    if (ec)
      throw ProjectError("cannot create the folder " + m_folder + ": " + describeErrno(ec.value()));
    const std::string name = newPartName(position);
    const std::string file = (fs::path(m_folder) / name).string();
    writeFileDurably(file, part.memory.close(), 0);
    m_written.push_back(file);
    if (!part.file.empty()) m_replaced.insert(part.file);
    auto [parent, inParent] = locate(position, false, false);
    removeIfPresent(parent->memory.id(), inParent);
    // Relative to the file holding the link, as HDF5 (and h5py) resolve it: a parent part that
    // changed is written into this project's folder too.
    const std::string target =
        parent->position == "/" ? fs::path(m_folder).filename().string() + "/" + name : name;
    auto lcpl = h5::plist(H5Pcreate(H5P_LINK_CREATE));
    H5Pset_create_intermediate_group(lcpl, 1);
    check(H5Lcreate_external(target.c_str(), "/", parent->memory.id(), inParent.c_str(), lcpl,
                             H5P_DEFAULT),
          "cannot link " + position + " into the project");
    parent->changed = true;
  }
  m_parts.erase(it);
}

void SplitCommit::write() {
  // Deepest first: a part's new file is linked into its parent before the parent is written.
  std::vector<std::string> positions;
  for (auto& [position, part] : m_parts)
    if (position != "/") positions.push_back(position);
  std::stable_sort(positions.begin(), positions.end(), [](const auto& a, const auto& b) {
    return components(a).size() > components(b).size();
  });
  for (const auto& position : positions) finish(position);
  struct stat st {};
  const mode_t permissions = ::stat(m_index.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
  replaceDurably(m_index, m_parts.at("/").memory.close(), permissions);
  m_committed = true;
}

void SplitCommit::discardWritten() {
  std::error_code ec;
  for (const auto& file : m_written) fs::remove(file, ec);
  m_written.clear();
}

bool SplitCommit::inOwnFolder(const std::string& file) const {
  std::error_code ec;
  return fs::equivalent(fs::path(file).parent_path(), m_folder, ec);
}

void SplitCommit::cleanUp() {
  std::error_code ec;
  // The parts this commit replaced: this index no longer reaches them; they go after a grace
  // period (ReplacedParts). Parts in another project's folder (this index is a copy of that
  // project's) are that project's to remove.
  for (const auto& file : m_replaced)
    if (inOwnFolder(file)) replacedParts().add(file);
  replacedParts().removeOlderThan(kGrace);
  // Once per process: files no index reaches, left by a writer that was killed.
  const std::string key = fs::absolute(m_index).lexically_normal().string();
  if (!sweptProjects().insert(key).second) return;
  std::vector<std::string> kept;
  try {
    kept = reachableParts(m_index);
  } catch (const ProjectError&) {
    return;  // a part that cannot be read: keep everything rather than guess
  }
  std::set<std::string> reachable;
  for (const auto& file : kept) reachable.insert(fs::weakly_canonical(file, ec).string());
  for (fs::directory_iterator it(m_folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = fs::weakly_canonical(it->path(), ec).string();
    if (it->is_regular_file(ec) && it->path().extension() == ".h5" && !reachable.count(file) &&
        !replacedParts().contains(file))
      fs::remove(it->path(), ec);
  }
}

void commit(const std::string& givenPath, const std::vector<const Op*>& ops) {
  h5::QuietErrors quiet;
  std::lock_guard<std::mutex> lock(writeMutex());
  const std::string path = resolveTarget(givenPath);
  std::optional<SplitCommit> change;
  try {
    CrossProcessWriteLock fileLock(path);
    removeStaleTemporaries(path);
    change.emplace(path);
    for (const Op* op : ops) change->apply(*op);
    change->write();
    change->cleanUp();
  } catch (const fs::filesystem_error& e) {
    if (change && !change->committed()) change->discardWritten();
    throw ProjectError("cannot save to " + givenPath + ": " + describeErrno(e.code().value()) +
                       "; the project file was not changed");
  } catch (const ProjectError& e) {
    if (change && change->committed()) throw;
    if (change) change->discardWritten();
    throw ProjectError("cannot save to " + givenPath + ": " + e.what() +
                       "; the project file was not changed");
  }
}

}  // namespace flatland::training::project_split
