// Commits of a split project (docs/project-file.md, "Storage"): NAME.h5 is a small index whose
// runs and analyses are HDF5 external links into NAME.flatland/, one file per run, analysis and
// checkpoint ("parts"). A commit writes the parts it changes as new files, then renames a new
// index into place: that rename is the commit point, so a crash leaves the old state or the new.
// Private to flatland_training.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "hdf5_handle.h"
#include "project_commit.h"
#include "project_ops.h"

namespace flatland::training::project_split {

// True when the open index file says it is split (root attribute storage = "split").
bool isSplit(hid_t indexFile);

// NAME.flatland beside NAME.h5 (a name without .h5 gets ".flatland" appended).
std::string folderOf(const std::string& indexPath);

// True for the paths that are parts of their own: /runs/R, /analyses/A, /runs/R/checkpoints/C.
bool isPartPosition(const std::string& path);

// Applies the ops to the project at `path` (a split one), atomically, under the same locks as a
// single-file commit. Throws ProjectError saying that nothing was changed.
void commit(const std::string& path, const std::vector<const project_ops::Op*>& ops);

// One commit in progress, for callers that hold the locks (commit() above, unpacking): the index
// and every part it touches are in memory until write().
class SplitCommit {
 public:
  // Changes the project at indexPath (its own file, symbolic links resolved), or, given `index`,
  // writes that new index there.
  explicit SplitCommit(const std::string& indexPath);
  SplitCommit(const std::string& indexPath, project_commit::InMemoryFile index);
  ~SplitCommit();

  void apply(const project_ops::Op& op);
  // Writes the part at `position` now (new file, linked into its parent) and lets its memory go:
  // unpacking a large project keeps one checkpoint in memory, not all of them.
  void finish(const std::string& position);
  // Writes the remaining parts, then the index: the commit point.
  void write();
  bool committed() const { return m_committed; }
  // After a failure before the commit point: removes the part files this commit wrote.
  void discardWritten();
  // After the commit: removes the parts it replaced (after a grace period) and, once per
  // process, every file in the folder that the index does not reach.
  void cleanUp();

 private:
  struct Part {
    std::string position;  // "/" for the index
    std::string file;      // the file it was loaded from; "" when new
    project_commit::InMemoryFile memory;
    bool changed = false;
  };
  Part& load(const std::string& position, const std::string& onDisk);
  // The folder a part's relative links start from.
  std::string directoryOfPart(const Part& part) const;
  bool inOwnFolder(const std::string& file) const;
  Part& fresh(const std::string& position);
  // Drops the loaded parts at or below `path` (replaced or removed).
  void forget(const std::string& path);
  // The part that holds `path` and the path inside it. `create` makes the missing parts on the
  // way; `enterSelf` goes into a part at `path` itself (else its parent holds its link).
  std::pair<Part*, std::string> locate(const std::string& path, bool create, bool enterSelf);
  // Removes what is at `inside` of `owner`; the part files it reached (through its links, and
  // theirs) go on the list of files to remove after the commit.
  void dropLink(Part& owner, const std::string& inside);
  void writeNodeSplit(Part& part, const std::string& fullPath, const std::string& inside,
                      const Node& node);

  std::string m_index;
  std::string m_folder;
  std::map<std::string, Part> m_parts;
  std::vector<std::string> m_written;  // part files written by this commit (paths)
  std::set<std::string> m_replaced;    // part files the new index no longer reaches (paths)
  bool m_committed = false;
};

// Part files replaced by this process's commits are removed kGrace (10 s) later, or at exit, so
// readers of the previous index still find them; this removes them now (tests count files).
void removeReplacedParts();

// The files (paths, as the links resolve them) that the index reaches, directly or through parts.
std::vector<std::string> reachableParts(const std::string& indexPath);

}  // namespace flatland::training::project_split
