// The HDF5 project file: round trips, checkpoints, h5py compatibility, and the guarantee that a
// crash, kill or full disk never damages what was saved before.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <torch/types.h>

#include "../../training/src/project_split.h"
#include "flatland/errors.h"
#include "flatland/training/checkpoint.h"
#include "flatland/training/model_spec.h"
#include "flatland/training/project_file.h"
#include "test_util.h"

using namespace flatland;
using namespace flatland::training;
using flatland::testing::TempDir;

namespace {

Node sampleRun(int index, int64_t values = 1000) {
  Node run;
  run.attributes["optimizer"] = std::string("sam");
  run.attributes["index"] = int64_t(index);
  run.attributes["rho"] = 0.05;
  run.attributes["classes"] = std::vector<std::string>{"a", "b"};
  run.attributes["milestones"] = std::vector<int64_t>{3, 6};
  std::vector<double> loss(values);
  for (int64_t i = 0; i < values; ++i) loss[i] = index + i * 1e-3;
  run.groups["metrics"].datasets["train_loss"] = Array::f64(loss);
  run.groups["metrics"].datasets["grid"] = Array::f32(std::vector<float>(6, 1.5f), {2, 3});
  run.groups["metrics"].datasets["epoch"] = Array::i64({1, 2, 3});
  return run;
}

std::vector<char> fileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST(ProjectFile, CreatesWithFormatAttributes) {
  TempDir dir;
  auto project = ProjectFile::openOrCreate(dir.file("p.h5"));
  auto root = project.read("/", false);
  EXPECT_EQ(root.text("format"), "flatland-project");
  EXPECT_EQ(root.number("version"), 1);
  EXPECT_EQ(project.list("/"), (std::vector<std::string>{"analyses", "runs"}));
  EXPECT_NO_THROW(ProjectFile::open(dir.file("p.h5")));
}

TEST(ProjectFile, RoundTripsAttributesAndArrays) {
  TempDir dir;
  auto project = ProjectFile::openOrCreate(dir.file("p.h5"));
  project.put("/runs/first", sampleRun(1));
  auto run = project.read("/runs/first");
  EXPECT_EQ(run.text("optimizer"), "sam");
  EXPECT_EQ(run.number("rho"), 0.05);
  EXPECT_EQ(std::get<std::vector<std::string>>(run.attributes.at("classes")),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(std::get<std::vector<int64_t>>(run.attributes.at("milestones")),
            (std::vector<int64_t>{3, 6}));
  const auto& grid = run.group("metrics").dataset("grid");
  EXPECT_EQ(grid.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(std::get<std::vector<float>>(grid.values)[5], 1.5f);
  EXPECT_EQ(run.group("metrics").dataset("train_loss").asDoubles()[999], 1.0 + 0.999);
  EXPECT_EQ(std::get<std::vector<int64_t>>(run.group("metrics").dataset("epoch").values)[2], 3);

  // Replacing a group removes what the old one had; attributes can be added in place.
  Node smaller;
  smaller.attributes["optimizer"] = std::string("sgd");
  project.put("/runs/first", smaller);
  project.setAttributes("/runs/first", {{"status", std::string("finished")}});
  run = project.read("/runs/first");
  EXPECT_TRUE(run.groups.empty());
  EXPECT_EQ(run.text("status"), "finished");
  project.remove("/runs/first");
  EXPECT_FALSE(project.exists("/runs/first"));
}

TEST(ProjectFile, ATransactionAppliesAllOrNothing) {
  TempDir dir;
  auto project = ProjectFile::openOrCreate(dir.file("p.h5"));
  project.put("/runs/keep", sampleRun(2));
  auto before = fileBytes(dir.file("p.h5"));
  ProjectFile::Transaction t;
  t.put("/runs/new", sampleRun(3));
  t.putDataset("/runs/bad/data", Array{{5}, std::vector<double>{1, 2}});  // shape and size disagree
  EXPECT_THROW(project.commit(t), ProjectError);
  EXPECT_EQ(fileBytes(dir.file("p.h5")), before);
  EXPECT_FALSE(project.exists("/runs/new"));
  // No temporary files are left behind (the writers' lock file .p.h5.lock is kept by design).
  std::vector<std::string> files;
  for (auto& entry : std::filesystem::directory_iterator(dir.path()))
    if (entry.is_regular_file()) files.push_back(entry.path().filename().string());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{".p.h5.lock", "p.h5"}));
}

TEST(ProjectFile, RejectsFilesThatAreNotProjects) {
  TempDir dir;
  std::ofstream(dir.file("notes.h5")) << "not hdf5";
  EXPECT_THROW(ProjectFile::open(dir.file("notes.h5")), ProjectError);
  EXPECT_THROW(ProjectFile::openOrCreate(dir.file("notes.h5")), ProjectError);
  EXPECT_THROW(ProjectFile::open(dir.file("missing.h5")), ProjectError);
  EXPECT_THROW(ProjectFile::openOrCreate(dir.file("no/such/dir/p.h5")), ProjectError);
}

TEST(ProjectFile, CheckpointRoundTripThroughModelSpec) {
  TempDir dir;
  auto project = ProjectFile::openOrCreate(dir.file("p.h5"));
  const ModelShape shape{{3, 32, 32}, 10};
  auto model = makeZooModel("resnet20", shape, 9);
  Node run;
  run.attributes["model"] = std::string("zoo:resnet20");
  run.groups["checkpoints"].groups[checkpointName(1)] = checkpointNode(*model, 1);
  model->setFlatParameters(model->flatParameters() * 0.5);
  run.groups["checkpoints"].groups[checkpointName(2)] = checkpointNode(*model, 2);
  project.put("/runs/r", run);

  EXPECT_EQ(checkpointEpochs(project, "r"), (std::vector<int64_t>{1, 2}));
  auto latest = loadModel(dir.file("p.h5") + ":/runs/r", shape);
  EXPECT_TRUE(torch::equal(latest->flatParameters(), model->flatParameters()));
  auto first = loadModel(dir.file("p.h5") + ":/runs/r@1", shape);
  EXPECT_TRUE(torch::allclose(first->flatParameters() * 0.5, model->flatParameters()));
  EXPECT_THROW(loadModel(dir.file("p.h5") + ":/runs/r@7", shape), ProjectError);
  EXPECT_THROW(loadModel(dir.file("p.h5") + ":/runs/other", shape), ProjectError);
}

// A writer killed at random moments (SIGKILL, so no cleanup runs) must leave a readable file
// holding every run it reported as committed.
TEST(ProjectFile, SurvivesKillDuringWrites) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  ProjectFile::openOrCreate(path);
  int committedTotal = 0;
  for (int round = 0; round < 6; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      auto project = ProjectFile::open(path);
      for (int i = 0;; ++i) {
        project.put("/runs/r" + std::to_string(round) + "_" + std::to_string(i),
                    sampleRun(i, 20000));
        if (write(fds[1], &i, sizeof i) != sizeof i) _exit(3);
      }
    }
    close(fds[1]);
    int last = -1, value;
    // Let a few commits land, then kill at a moment that varies from round to round.
    while (last < 2 && read(fds[0], &value, sizeof value) == sizeof value) last = value;
    std::this_thread::sleep_for(std::chrono::microseconds(700 * round + 150));
    kill(pid, SIGKILL);
    while (read(fds[0], &value, sizeof value) == sizeof value) last = value;
    close(fds[0]);
    waitpid(pid, nullptr, 0);

    auto project = ProjectFile::open(path);  // must not throw
    for (int i = 0; i <= last; ++i) {
      auto run = project.read("/runs/r" + std::to_string(round) + "_" + std::to_string(i));
      ASSERT_EQ(run.number("index"), i);
      ASSERT_EQ(run.group("metrics").dataset("train_loss").size(), 20000);
    }
    committedTotal += last + 1;
  }
  EXPECT_GE(committedTotal, 18);
}

// Two processes that create the same project and commit to it at the same time: each copies the
// file, changes the copy and renames it over the original, so without a lock between processes
// the later rename drops what the other committed in the meantime. Every commit must survive.
TEST(ProjectFile, ConcurrentWritersInTwoProcessesLoseNoCommit) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  constexpr int kWriters = 2, kCommits = 12;
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(go[1]);
      char start;
      if (read(go[0], &start, 1) != 0) _exit(4);  // wait until the parent closes the pipe
      try {
        auto project = ProjectFile::openOrCreate(path);
        for (int i = 0; i < kCommits; ++i)
          project.put("/runs/w" + std::to_string(w) + "_" + std::to_string(i), sampleRun(i, 2000));
      } catch (const std::exception&) {
        _exit(2);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  close(go[0]);
  close(go[1]);  // both writers start now
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto project = ProjectFile::open(path);
  EXPECT_EQ(project.list("/runs").size(), size_t(kWriters * kCommits));
  for (int w = 0; w < kWriters; ++w)
    for (int i = 0; i < kCommits; ++i)
      EXPECT_TRUE(project.exists("/runs/w" + std::to_string(w) + "_" + std::to_string(i)))
          << "writer " << w << " commit " << i << " was lost";
}

// A writer waits while another holds the lock (the sidecar .NAME.h5.lock), then commits.
TEST(ProjectFile, AWriterWaitsForTheLockOnTheSidecarFile) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  auto project = ProjectFile::openOrCreate(path);
  const int fd = ::open(dir.file(".p.h5.lock").c_str(), O_RDWR);
  ASSERT_GE(fd, 0) << "the lock file is kept beside the project";
  ASSERT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
  const auto start = std::chrono::steady_clock::now();
  std::thread writer([&] { project.put("/runs/late", sampleRun(1)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_FALSE(project.exists("/runs/late"));
  close(fd);  // releases the lock
  writer.join();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(400));
  EXPECT_EQ(project.read("/runs/late").number("index"), 1);
}

// With the file-size limit standing in for a full disk, a write fails with a clear error and the
// file keeps exactly its previous content.
TEST(ProjectFile, FullDiskLeavesTheFileUnchanged) {
  TempDir dir;
  const std::string path = dir.file("p.h5");
  auto project = ProjectFile::openOrCreate(path);
  project.put("/runs/saved", sampleRun(1));
  auto before = fileBytes(path);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    rlimit limit{before.size() + 32 * 1024, before.size() + 32 * 1024};
    setrlimit(RLIMIT_FSIZE, &limit);
    try {
      project.put("/runs/huge", sampleRun(2, 400000));
      _exit(1);  // should have failed
    } catch (const ProjectError& e) {
      _exit(std::string(e.what()).find("not changed") != std::string::npos ? 0 : 2);
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(fileBytes(path), before);
  EXPECT_EQ(project.read("/runs/saved").number("index"), 1);
}

// On disk: the file and, for a split project, its folder's files (once the parts this process
// replaced, kept a few seconds for readers of the previous index, are gone).
uintmax_t projectBytes(const TempDir& dir) {
  project_split::removeReplacedParts();
  uintmax_t total = std::filesystem::file_size(dir.file("p.h5"));
  if (std::filesystem::exists(dir.file("p.flatland")))
    for (auto& entry : std::filesystem::directory_iterator(dir.file("p.flatland")))
      total += entry.file_size();
  return total;
}

TEST(ProjectFile, RewritingDoesNotGrowTheFileWithoutBound) {
  for (auto layout : {ProjectLayout::Split, ProjectLayout::Single}) {
    TempDir dir;
    auto project = ProjectFile::openOrCreate(dir.file("p.h5"), layout);
    project.put("/runs/r", sampleRun(1, 50000));
    const auto first = projectBytes(dir);
    for (int i = 0; i < 10; ++i) project.put("/runs/r", sampleRun(i, 50000));
    EXPECT_LT(projectBytes(dir), 3 * first);
  }
}

// The schema promise: h5py reads what we write. Runs only where Python has h5py.
TEST(ProjectFile, ReadableByH5py) {
  if (std::system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3-h5py is not installed";
  TempDir dir;
  auto project = ProjectFile::openOrCreate(dir.file("p.h5"));
  project.put("/runs/first", sampleRun(4));
  const std::string script =
      "import h5py, sys\n"
      "f = h5py.File(sys.argv[1], 'r')\n"
      "assert f.attrs['format'] == 'flatland-project', f.attrs['format']\n"
      "r = f['runs/first']\n"
      "assert r.attrs['optimizer'] == 'sam'\n"
      "assert list(r.attrs['classes']) == ['a', 'b']\n"
      "assert r['metrics/grid'].shape == (2, 3)\n"
      "assert abs(r['metrics/train_loss'][10] - 4.01) < 1e-12\n";
  std::ofstream(dir.file("check.py")) << script;
  EXPECT_EQ(
      std::system(("/usr/bin/python3 " + dir.file("check.py") + " " + dir.file("p.h5")).c_str()),
      0);
}
