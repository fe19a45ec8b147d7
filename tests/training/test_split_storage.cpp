// The split layout (docs/project-file.md, "Storage"): each run, analysis and checkpoint in a file
// of its own, so a commit writes what it changes; what the index no longer reaches is removed; a
// failed commit leaves the old state and no new file; pack and unpack move between the layouts
// with every value kept.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "../../training/src/project_split.h"
#include "flatland/errors.h"
#include "flatland/training/project_file.h"
#include "flatland/training/project_packing.h"
#include "test_util.h"

using namespace flatland;
using namespace flatland::training;
using flatland::testing::errorOf;
using flatland::testing::FailCommits;
using flatland::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// The files in a project's folder, once the parts replaced by this process's commits (kept 10 s
// for readers of the previous index) are gone.
std::set<std::string> filesIn(const fs::path& folder) {
  flatland::training::project_split::removeReplacedParts();
  std::set<std::string> names;
  if (!fs::exists(folder)) return names;
  for (auto& entry : fs::directory_iterator(folder)) names.insert(entry.path().filename().string());
  return names;
}

// A run as the trainer writes it: metrics, and checkpoints with parameters and buffers.
Node runNode(int epochs, int64_t parameters) {
  Node run;
  run.attributes["status"] = std::string("finished");
  run.attributes["epochs_done"] = int64_t(epochs);
  std::vector<double> loss;
  for (int e = 1; e <= epochs; ++e) loss.push_back(1.0 / e);
  run.groups["metrics"].datasets["train_loss"] = Array::f64(loss);
  for (int e = 1; e <= epochs; ++e) {
    Node checkpoint;
    checkpoint.attributes["epoch"] = int64_t(e);
    std::vector<float> w(static_cast<size_t>(parameters));
    for (size_t i = 0; i < w.size(); ++i) w[i] = float(std::sin(double(i) * 0.37 + e));
    checkpoint.groups["parameters"].datasets["layers.0.weight"] = Array::f32(w);
    checkpoint.groups["buffers"].datasets["bn.running_mean"] = Array::f32({float(e), 2.0f});
    char name[32];
    std::snprintf(name, sizeof name, "epoch_%04d", e);
    run.groups["checkpoints"].groups[name] = checkpoint;
  }
  return run;
}

Node analysisNode(double value) {
  Node a;
  a.attributes["kind"] = std::string("surface");
  a.datasets["train_loss"] = Array::f64({value, value + 1, value + 2}, {1, 3});
  return a;
}

// Every attribute, dataset and group, compared exactly.
void expectSameNode(const Node& a, const Node& b, const std::string& where) {
  EXPECT_EQ(a.attributes, b.attributes) << where;
  ASSERT_EQ(a.datasets.size(), b.datasets.size()) << where;
  for (auto& [name, array] : a.datasets) {
    ASSERT_TRUE(b.datasets.count(name)) << where << "/" << name;
    EXPECT_EQ(array.shape, b.datasets.at(name).shape) << where << "/" << name;
    EXPECT_EQ(array.values, b.datasets.at(name).values) << where << "/" << name;
  }
  ASSERT_EQ(a.groups.size(), b.groups.size()) << where;
  for (auto& [name, group] : a.groups) {
    ASSERT_TRUE(b.groups.count(name)) << where << "/" << name;
    expectSameNode(group, b.groups.at(name), where + "/" + name);
  }
}

void expectSameProject(const std::string& a, const std::string& b) {
  auto pa = ProjectFile::open(a), pb = ProjectFile::open(b);
  for (const char* top : {"/runs", "/analyses"}) {
    ASSERT_EQ(pa.list(top), pb.list(top)) << top;
    for (auto& name : pa.list(top)) {
      const std::string path = std::string(top) + "/" + name;
      expectSameNode(pa.read(path), pb.read(path), path);
    }
  }
}

}  // namespace

TEST(SplitStorage, EachRunAnalysisAndCheckpointIsAFileOfItsOwn) {
  TempDir dir;
  const auto path = dir.file("p.h5");
  auto project = ProjectFile::openOrCreate(path);
  EXPECT_EQ(project.layout(), ProjectLayout::Split);
  const Node run = runNode(3, 1000);
  project.put("/runs/sgd", run);
  project.put("/analyses/surface", analysisNode(1.0));
  // One file for the run, one per checkpoint, one for the analysis.
  EXPECT_EQ(filesIn(dir.path() / "p.flatland").size(), 5u);
  expectSameNode(project.read("/runs/sgd"), run, "/runs/sgd");
  EXPECT_EQ(project.list("/runs/sgd/checkpoints"),
            (std::vector<std::string>{"epoch_0001", "epoch_0002", "epoch_0003"}));
  EXPECT_TRUE(project.exists("/runs/sgd/checkpoints/epoch_0002/parameters/layers.0.weight"));
  EXPECT_EQ(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

// The commit of a surface block rewrites the analysis and the index, not the run's checkpoints:
// their files keep their inode and modification time.
TEST(SplitStorage, ACommitLeavesTheFilesOfOtherPartsAlone) {
  TempDir dir;
  const auto path = dir.file("p.h5");
  auto project = ProjectFile::openOrCreate(path);
  project.put("/runs/sgd", runNode(2, 200000));
  project.put("/analyses/surface", analysisNode(1.0));
  const auto folder = dir.path() / "p.flatland";
  std::map<std::string, std::pair<ino_t, int64_t>> before;
  for (auto& name : filesIn(folder)) {
    struct stat st {};
    ASSERT_EQ(::stat((folder / name).c_str(), &st), 0);
    before[name] = {st.st_ino, int64_t(st.st_mtim.tv_nsec) + int64_t(st.st_mtime) * 1000000000};
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  project.commit(ProjectFile::Transaction().putDataset("/analyses/surface/train_loss",
                                                       Array::f64({5, 6, 7}, {1, 3})));
  const auto after = filesIn(folder);
  EXPECT_EQ(after.size(), before.size());
  int kept = 0;
  for (auto& [name, stamp] : before) {
    if (!after.count(name)) continue;  // the analysis: replaced by its new file
    struct stat st {};
    ASSERT_EQ(::stat((folder / name).c_str(), &st), 0);
    EXPECT_EQ(st.st_ino, stamp.first) << name;
    EXPECT_EQ(int64_t(st.st_mtim.tv_nsec) + int64_t(st.st_mtime) * 1000000000, stamp.second)
        << name;
    ++kept;
  }
  EXPECT_EQ(kept, 3);  // the run and its two checkpoints
  EXPECT_EQ(project.readDataset("/analyses/surface/train_loss").asDoubles(),
            (std::vector<double>{5, 6, 7}));
}

TEST(SplitStorage, TransactionsAcrossPartsLandTogether) {
  TempDir dir;
  const auto path = dir.file("p.h5");
  auto project = ProjectFile::openOrCreate(path);
  project.put("/runs/sgd", runNode(1, 10));
  // The trainer's epoch commit: metrics, a new checkpoint and the run's attributes at once.
  Node checkpoint = runNode(2, 10).groups["checkpoints"].groups["epoch_0002"];
  project.commit(ProjectFile::Transaction()
                     .putDataset("/runs/sgd/metrics/train_loss", Array::f64({1.0, 0.5}))
                     .put("/runs/sgd/checkpoints/epoch_0002", checkpoint)
                     .setAttributes("/runs/sgd", {{"epochs_done", int64_t(2)}})
                     .put("/analyses/a", analysisNode(2.0)));
  expectSameNode(project.read("/runs/sgd"), runNode(2, 10), "/runs/sgd");
  expectSameNode(project.read("/analyses/a"), analysisNode(2.0), "/analyses/a");
  // A failure at any write of such a commit (each part file, then the index) changes nothing
  // and leaves no new file behind.
  const auto folder = dir.path() / "p.flatland";
  for (const char* failing : {"1", "2", "3", "4"}) {
    const auto files = filesIn(folder);
    FailCommits fail(failing);
    const auto message = errorOf([&] {
      project.commit(ProjectFile::Transaction()
                         .putDataset("/runs/sgd/metrics/train_loss", Array::f64({9.0}))
                         .put("/runs/sgd/checkpoints/epoch_0003", checkpoint)
                         .put("/analyses/b", analysisNode(3.0)));
    });
    EXPECT_NE(message.find("disk is full"), std::string::npos) << message;
    EXPECT_NE(message.find("not changed"), std::string::npos) << message;
    EXPECT_EQ(filesIn(folder), files) << "write " << failing;
    expectSameNode(project.read("/runs/sgd"), runNode(2, 10), "/runs/sgd");
    EXPECT_FALSE(project.exists("/analyses/b"));
  }
  EXPECT_EQ(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

TEST(SplitStorage, RemovedPartsAndLeftoversOfKilledWritersAreDeleted) {
  TempDir dir;
  const auto path = dir.file("p.h5");
  const auto folder = dir.path() / "p.flatland";
  {
    auto project = ProjectFile::openOrCreate(path);
    project.put("/runs/sgd", runNode(3, 10));
    project.put("/runs/sam", runNode(1, 10));
    ASSERT_EQ(filesIn(folder).size(), 6u);
    project.remove("/runs/sgd");
    EXPECT_EQ(filesIn(folder).size(), 2u) << "the run and its checkpoints are gone";
  }
  // A writer killed between writing a part and renaming the index leaves that part unreached.
  // The next process's first commit into the project sweeps the folder; here, the first commit
  // of this process into a new project whose folder already holds such a leftover.
  const std::string leftover = "runs.x.99999-1-abc.h5";
  const auto copyFolder = dir.path() / "q.flatland";
  fs::create_directories(copyFolder);
  std::ofstream(copyFolder / leftover) << "half a part";
  unpackProject(path, dir.file("q.h5"));
  EXPECT_FALSE(fs::exists(copyFolder / leftover));
  ProjectFile::open(dir.file("q.h5")).put("/analyses/a", analysisNode(1.0));
  EXPECT_EQ(filesIn(copyFolder).size(), 3u);
}

TEST(SplitStorage, PackAndUnpackKeepEveryValue) {
  TempDir dir;
  const auto path = dir.file("p.h5");
  auto project = ProjectFile::openOrCreate(path);
  project.put("/runs/sgd", runNode(2, 100));
  project.put("/analyses/surface", analysisNode(1.0));
  project.setAttributes("/", {{"note", std::string("kept")}});

  const auto packed = dir.file("send.h5");
  packProject(path, packed);
  EXPECT_EQ(ProjectFile::open(packed).layout(), ProjectLayout::Single);
  EXPECT_FALSE(fs::exists(dir.path() / "send.flatland"));
  expectSameProject(path, packed);
  EXPECT_EQ(ProjectFile::open(packed).read("/", false).text("note"), "kept");
  // A single file still takes commits (rewritten whole, as before the split layout).
  ProjectFile::open(packed).put("/analyses/more", analysisNode(2.0));
  EXPECT_EQ(ProjectFile::open(packed).layout(), ProjectLayout::Single);

  // In place: the packed file becomes an index with its folder.
  ASSERT_TRUE(unpackProject(packed, packed));
  EXPECT_EQ(ProjectFile::open(packed).layout(), ProjectLayout::Split);
  EXPECT_EQ(filesIn(dir.path() / "send.flatland").size(), 5u);
  EXPECT_FALSE(unpackProject(packed, packed)) << "split already";
  ProjectFile::open(packed).remove("/analyses/more");
  expectSameProject(path, packed);

  EXPECT_NE(errorOf([&] { packProject(path, path); }).find("other than"), std::string::npos);
  EXPECT_NE(errorOf([&] { unpackProject(path, packed); }).find("exists"), std::string::npos);
  EXPECT_EQ(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

TEST(SplitStorage, AMissingPartIsAClearErrorNotASilentGap) {
  TempDir dir;
  const auto path = dir.file("p.h5");
  auto project = ProjectFile::openOrCreate(path);
  project.put("/analyses/a", analysisNode(1.0));
  for (auto& name : filesIn(dir.path() / "p.flatland"))
    fs::remove(dir.path() / "p.flatland" / name);
  const auto message = errorOf([&] { project.read("/analyses"); });
  EXPECT_NE(message.find("missing"), std::string::npos) << message;
  EXPECT_EQ(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

// The index is reached through a link in another folder: its parts are found beside the target.
TEST(SplitStorage, AProjectOpenedThroughASymbolicLinkFindsItsParts) {
  TempDir dir;
  fs::create_directories(dir.path() / "store");
  const auto target = dir.file("store/real.h5");
  ProjectFile::openOrCreate(target).put("/analyses/a", analysisNode(4.0));
  const auto link = dir.file("link.h5");
  fs::create_symlink("store/real.h5", link);
  auto project = ProjectFile::open(link);
  expectSameNode(project.read("/analyses/a"), analysisNode(4.0), "/analyses/a");
  project.put("/analyses/b", analysisNode(5.0));
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_FALSE(fs::exists(dir.path() / "link.flatland"));
  expectSameNode(ProjectFile::open(target).read("/analyses/b"), analysisNode(5.0), "/analyses/b");
}

// `cp p.h5 q.h5` in the same folder: q reads p's parts through its links, writes new parts into
// q.flatland and never removes p's.
TEST(SplitStorage, ACopiedIndexReadsTheOriginalsPartsAndWritesItsOwn) {
  TempDir dir;
  const auto path = dir.file("p.h5");
  ProjectFile::openOrCreate(path).put("/runs/sgd", runNode(2, 10));
  const auto originals = filesIn(dir.path() / "p.flatland");
  const auto copy = dir.file("q.h5");
  fs::copy_file(path, copy);
  auto project = ProjectFile::open(copy);
  expectSameNode(project.read("/runs/sgd"), runNode(2, 10), "/runs/sgd");
  project.setAttributes("/runs/sgd", {{"status", std::string("copied")}});
  project.remove("/runs/sgd/checkpoints/epoch_0001");
  EXPECT_EQ(filesIn(dir.path() / "p.flatland"), originals);
  EXPECT_EQ(filesIn(dir.path() / "q.flatland").size(), 1u);  // the changed run
  EXPECT_EQ(project.read("/runs/sgd", false).text("status"), "copied");
  expectSameNode(ProjectFile::open(path).read("/runs/sgd"), runNode(2, 10), "/runs/sgd");
}

TEST(SplitStorage, ARemovedCheckpointTakesItsFileAlong) {
  TempDir dir;
  const auto path = dir.file("p.h5");
  auto project = ProjectFile::openOrCreate(path);
  project.put("/runs/sgd", runNode(3, 10));
  const auto folder = dir.path() / "p.flatland";
  ASSERT_EQ(filesIn(folder).size(), 4u);
  project.remove("/runs/sgd/checkpoints/epoch_0002");
  EXPECT_EQ(filesIn(folder).size(), 3u);  // the run's new file and two checkpoints
  EXPECT_EQ(project.list("/runs/sgd/checkpoints"),
            (std::vector<std::string>{"epoch_0001", "epoch_0003"}));
}

// A reader that opened the index just before a commit (the GUI refreshing a run's curves while
// it trains, an epoch a few milliseconds) still finds every part that index names: replaced
// parts stay for 10 s.
TEST(SplitStorage, AReaderOfThePreviousIndexStillFindsItsParts) {
  TempDir dir;
  const auto path = dir.file("p.h5");
  auto project = ProjectFile::openOrCreate(path);
  project.put("/runs/sgd", runNode(2, 10));
  fs::copy_file(path, dir.file("before.h5"));  // the index as a reader opened it
  for (int epoch = 3; epoch <= 5; ++epoch)
    project.setAttributes("/runs/sgd", {{"epochs_done", int64_t(epoch)}});
  expectSameNode(ProjectFile::open(dir.file("before.h5")).read("/runs/sgd"), runNode(2, 10),
                 "/runs/sgd");
  EXPECT_EQ(project.read("/runs/sgd", false).number("epochs_done"), 5);
}

// A part rewritten many times a second (a run whose epochs take milliseconds) keeps at most four
// replaced versions for readers, not one per commit.
TEST(SplitStorage, APartRewrittenOftenKeepsAFewOldVersions) {
  TempDir dir;
  auto project = ProjectFile::openOrCreate(dir.file("p.h5"));
  project.put("/analyses/a", analysisNode(0.0));
  for (int i = 1; i <= 20; ++i) project.setAttributes("/analyses/a", {{"step", int64_t(i)}});
  size_t files = 0;
  for ([[maybe_unused]] auto& entry : fs::directory_iterator(dir.path() / "p.flatland")) ++files;
  EXPECT_EQ(files, 5u);  // the current version and four replaced ones
  EXPECT_EQ(filesIn(dir.path() / "p.flatland").size(), 1u);
}

// The GUI thread reads a project while job threads commit to it and read their data: Flatland
// relies on a libhdf5 built thread-safe, as Debian's is (its global lock serialises the calls).
TEST(SplitStorage, TheHdf5LibraryIsThreadSafe) {
  hbool_t threadSafe = 0;
  ASSERT_GE(H5is_library_threadsafe(&threadSafe), 0);
  EXPECT_TRUE(threadSafe) << "this libhdf5 is built without thread safety: the GUI reads projects "
                             "while jobs write them, which needs it";
}

// Two readers and a writer in threads at once, each read seeing one committed state (its step
// attribute matches its dataset's length), no read failing.
TEST(SplitStorage, ReadersInOtherThreadsSeeWholeCommitsWhileOneThreadWrites) {
  TempDir dir;
  const auto path = dir.file("p.h5");
  auto project = ProjectFile::openOrCreate(path);
  const auto state = [](int64_t step) {
    Node node = analysisNode(double(step));
    node.attributes["step"] = step;
    node.datasets["values"] = Array::f64(std::vector<double>(size_t(step) + 1, double(step)));
    return node;
  };
  project.put("/analyses/a", state(0));
  std::atomic<bool> writing{true};
  std::atomic<int> reads{0};
  std::vector<std::string> problems(2);
  std::vector<std::thread> readers;
  for (size_t r = 0; r < problems.size(); ++r)
    readers.emplace_back([&, r] {
      try {
        while (writing || reads < 40) {
          const Node node = ProjectFile::open(path).read("/analyses/a");
          const auto step = int64_t(node.number("step"));
          if (node.dataset("values").size() != step + 1)
            problems[r] = "a torn read at step " + std::to_string(step);
          ++reads;
        }
      } catch (const std::exception& e) {
        problems[r] = e.what();
      }
    });
  for (int64_t step = 1; step <= 60; ++step) project.put("/analyses/a", state(step));
  writing = false;
  for (auto& reader : readers) reader.join();
  for (const auto& problem : problems) EXPECT_EQ(problem, "");
  EXPECT_GE(reads.load(), 40);
  EXPECT_EQ(project.read("/analyses/a").number("step"), 60);
}
