// The HDF5 project file: runs, analyses and their arrays, written so that a crash never loses
// what was saved before. Free of LibTorch so the GUI and CLI can include it cheaply.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace flatland::training {

// An n-dimensional array stored as an HDF5 dataset (row-major, h5py/NumPy order).
struct Array {
  std::vector<int64_t> shape;
  std::variant<std::vector<float>, std::vector<double>, std::vector<int64_t>> values;

  static Array f32(std::vector<float> v, std::vector<int64_t> shape = {});
  static Array f64(std::vector<double> v, std::vector<int64_t> shape = {});
  static Array i64(std::vector<int64_t> v, std::vector<int64_t> shape = {});

  int64_t size() const;
  // The values as doubles, whatever the stored type.
  std::vector<double> asDoubles() const;
};

using AttributeValue = std::variant<int64_t, double, std::string, std::vector<int64_t>,
                                    std::vector<double>, std::vector<std::string>>;
using Attributes = std::map<std::string, AttributeValue>;

// A group: attributes, datasets and subgroups, all in memory.
struct Node {
  Attributes attributes;
  std::map<std::string, Array> datasets;
  std::map<std::string, Node> groups;

  // Convenience lookups that throw ProjectError naming what is missing.
  const Node& group(const std::string& name) const;
  const Array& dataset(const std::string& name) const;
  std::string text(const std::string& attribute) const;
  double number(const std::string& attribute) const;
  bool has(const std::string& attribute) const { return attributes.count(attribute) > 0; }
};

// The root attribute `format` of every Flatland project file, and its schema version.
inline constexpr const char* kProjectFormat = "flatland-project";
inline constexpr int64_t kProjectVersion = 1;

// How a project is stored (docs/project-file.md). Split: NAME.h5 is an index of HDF5 external
// links into the folder NAME.flatland/, one file per run, analysis and checkpoint, so a commit
// writes what it changes. Single: everything in NAME.h5 (a file to send: `flatland-cli pack`),
// and each commit rewrites it whole.
enum class ProjectLayout { Split, Single };

class ProjectFile {
 public:
  // Opens an existing project, or creates an empty one when the file does not exist (when two
  // processes create it at once, the first wins and both open its file). An existing project
  // keeps its layout. Throws ProjectError when the file exists but is not a Flatland project.
  static ProjectFile openOrCreate(const std::string& path,
                                  ProjectLayout layout = ProjectLayout::Split);
  // Opens an existing project; throws ProjectError when missing or not a project.
  static ProjectFile open(const std::string& path);
  // Any existing HDF5 file (another tool's, such as a loss-landscape direction file), to read
  // with exists(), list() and readDataset(); not to commit to. Throws ProjectError when missing.
  static ProjectFile openForeign(const std::string& path);

  const std::string& path() const { return m_path; }
  ProjectLayout layout() const;

  bool exists(const std::string& objectPath) const;
  // Names of the groups and datasets directly under a group, sorted.
  std::vector<std::string> list(const std::string& groupPath) const;
  // Reads a group; with recursive=false only its attributes and the names of its children
  // (as empty groups/datasets) are filled in.
  Node read(const std::string& groupPath, bool recursive = true) const;
  Array readDataset(const std::string& datasetPath) const;

  // A set of changes applied together: all of them land, or none does.
  class Transaction {
   public:
    // Replaces whatever is at groupPath by node (creating parent groups).
    Transaction& put(const std::string& groupPath, const Node& node);
    // Replaces or creates one dataset.
    Transaction& putDataset(const std::string& datasetPath, const Array& array);
    // Sets (adds or overwrites) attributes of an existing or new group.
    Transaction& setAttributes(const std::string& groupPath, const Attributes& attributes);
    Transaction& remove(const std::string& objectPath);
    bool empty() const { return m_ops.empty(); }

    // One change, defined in project_file.cpp: where it goes decides which file of a split
    // project it is written to.
    struct Op;

   private:
    friend class ProjectFile;
    std::vector<std::shared_ptr<const Op>> m_ops;
  };

  // Applies a transaction atomically: the changes are written to a copy beside the file, which
  // is flushed to disk and renamed over it. A crash, kill or full disk at any point leaves the
  // previous file intact. Writers in other processes wait for each other (an exclusive lock on
  // the sidecar file .NAME.h5.lock, kept beside the project), so no commit is lost; after 60 s
  // of waiting the commit gives up. Throws ProjectError on failure, saying that nothing was
  // changed.
  void commit(const Transaction& transaction) const;

  // Shorthands for single-change transactions.
  void put(const std::string& groupPath, const Node& node) const;
  void setAttributes(const std::string& groupPath, const Attributes& attributes) const;
  void remove(const std::string& objectPath) const;

 private:
  explicit ProjectFile(std::string path) : m_path(std::move(path)) {}
  std::string m_path;
};

// A name safe to use as one path component ("SAM rho=0.05" → "SAM_rho_0.05").
std::string sanitizeName(const std::string& name);
// Current UTC time as ISO 8601, for `created` attributes.
std::string isoTimestampUtc();

}  // namespace flatland::training
