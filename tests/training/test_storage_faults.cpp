// The project file and data readers under faults: errors on broken files leave no HDF5 object
// open, a full disk (injected, or a real small tmpfs when the test may mount one) leaves the old
// file and no temporary copy, stale copies of killed writers are cleaned up, links stay links,
// failed runs say so, and damaged data or models give one clear error instead of a LibTorch one.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <torch/script.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "flatland/errors.h"
#include "flatland/training/dataset.h"
#include "flatland/training/evaluate.h"
#include "flatland/training/model_spec.h"
#include "flatland/training/project_file.h"
#include "flatland/training/trainer.h"
#include "test_util.h"

using namespace flatland;
using namespace flatland::training;
using flatland::testing::errorOf;
using flatland::testing::FailCommits;
using flatland::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// Objects HDF5 holds open in this process (files, groups, datasets, ...).
ssize_t openHdf5Objects() { return H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL); }

std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> out;
  for (auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().find(".tmp-") != std::string::npos)
      out.push_back(entry.path().filename().string());
  return out;
}

Node someNode(size_t values = 100) {
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> uniform;
  std::vector<double> v(values);
  for (auto& x : v) x = uniform(gen);  // random, so compression cannot shrink it
  Node n;
  n.attributes["kind"] = std::string("test");
  n.datasets["values"] = Array::f64(v);
  return n;
}

// A PID that is not alive: a child that has exited and been reaped.
pid_t deadPid() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

}  // namespace

// ---------------------------------------------------------------- errors leave nothing open

TEST(StorageFaults, ErrorsOnBrokenProjectsLeaveNoHdf5ObjectOpen) {
  TempDir dir;
  const auto path = dir.file("p.h5");
  auto project = ProjectFile::openOrCreate(path);
  project.commit(
      ProjectFile::Transaction().remove("/analyses").putDataset("/analyses", Array::i64({1, 2})));
  ASSERT_EQ(openHdf5Objects(), 0);

  EXPECT_NE(errorOf([&] { project.list("/analyses"); }).find("not a group"), std::string::npos);
  EXPECT_NE(errorOf([&] { project.read("/analyses"); }).find("not a group"), std::string::npos);
  EXPECT_NE(errorOf([&] { project.read("/runs/r"); }).find("/runs/r"), std::string::npos);
  EXPECT_NE(errorOf([&] { project.readDataset("/runs"); }).find("/runs"), std::string::npos);
  const auto before = readBytes(path);
  // A change that fails half-way (a group below a dataset) changes nothing.
  auto message = errorOf([&] { project.put("/analyses/a", someNode()); });
  EXPECT_NE(message.find("was not changed"), std::string::npos) << message;
  EXPECT_EQ(readBytes(path), before);
  EXPECT_TRUE(temporaries(dir.path()).empty());
  EXPECT_EQ(openHdf5Objects(), 0);
}

TEST(StorageFaults, ErrorsOnBrokenDataFilesLeaveNoHdf5ObjectOpen) {
  TempDir dir;
  const auto path = dir.file("data.h5");
  {
    hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(H5Gcreate2(f, "/x", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5Gclose(H5Gcreate2(f, "/y", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5Fclose(f);
  }
  auto message = errorOf([&] { loadDataset("h5:" + path); });
  EXPECT_NE(message.find("/x is not a dataset"), std::string::npos) << message;
  EXPECT_EQ(openHdf5Objects(), 0);
}

// Attributes of types Flatland never writes (h5py or another tool added them) are refused by
// name, not read as a placeholder value.
TEST(StorageFaults, AttributesOfUnsupportedTypesAreProjectErrors) {
  TempDir dir;
  const auto path = dir.file("p.h5");
  ProjectFile::openOrCreate(path).put("/runs/odd", someNode());
  {
    struct Pair {
      int a;
      double b;
    };
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t group = H5Gopen2(f, "/runs/odd", H5P_DEFAULT);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t pairType = H5Tcreate(H5T_COMPOUND, sizeof(Pair));
    H5Tinsert(pairType, "a", HOFFSET(Pair, a), H5T_NATIVE_INT);
    H5Tinsert(pairType, "b", HOFFSET(Pair, b), H5T_NATIVE_DOUBLE);
    const Pair pair{1, 2.0};
    hid_t attr = H5Acreate2(group, "pair", pairType, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attr, pairType, &pair);
    H5Aclose(attr);
    hid_t enumType = H5Tenum_create(H5T_NATIVE_INT);
    const int red = 0;
    H5Tenum_insert(enumType, "red", &red);
    attr = H5Acreate2(group, "colour", enumType, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attr, enumType, &red);
    H5Aclose(attr);
    H5Tclose(enumType);
    H5Tclose(pairType);
    H5Sclose(space);
    H5Gclose(group);
    H5Fclose(f);
  }
  const auto project = ProjectFile::open(path);
  EXPECT_THROW(project.read("/runs/odd"), ProjectError);
  const auto message = errorOf([&] { project.read("/runs/odd", false); });
  // The first attribute by name is "colour", the enum.
  EXPECT_NE(message.find("'colour'"), std::string::npos) << message;
  EXPECT_NE(message.find("/runs/odd"), std::string::npos) << message;
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_EQ(openHdf5Objects(), 0);
}

// ---------------------------------------------------------------- a full disk

TEST(StorageFaults, AFullDiskDuringACommitKeepsTheOldFileAndSaysSo) {
  TempDir dir;
  const auto path = dir.file("p.h5");
  auto project = ProjectFile::openOrCreate(path);
  project.put("/runs/a", someNode());
  const auto before = readBytes(path);
  {
    FailCommits fail("1");
    auto message = errorOf([&] { project.put("/runs/b", someNode()); });
    EXPECT_NE(message.find("disk is full"), std::string::npos) << message;
    EXPECT_NE(message.find("No space left on device"), std::string::npos) << message;
    EXPECT_NE(message.find("p.h5"), std::string::npos) << message;
    EXPECT_NE(message.find("not changed"), std::string::npos) << message;
  }
  EXPECT_EQ(readBytes(path), before);
  EXPECT_TRUE(temporaries(dir.path()).empty());
  EXPECT_EQ(openHdf5Objects(), 0);
  // The file is whole and takes the next commit.
  project.put("/runs/b", someNode());
  EXPECT_EQ(ProjectFile::open(path).list("/runs"), (std::vector<std::string>{"a", "b"}));
}

TEST(StorageFaults, ACreateOnAFullDiskSaysSoAndCreatesNothing) {
  TempDir dir;
  const auto path = dir.file("p.h5");
  FailCommits fail("1");
  auto message = errorOf([&] { ProjectFile::openOrCreate(path); });
  EXPECT_NE(message.find("disk is full"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(temporaries(dir.path()).empty());
  EXPECT_EQ(openHdf5Objects(), 0);
}

// A real full disk: a 1 MiB tmpfs, when this process may mount one (root, or CAP_SYS_ADMIN).
TEST(StorageFaults, ARealFullDiskKeepsEverySavedCommit) {
  TempDir dir;
  const auto mountPoint = dir.file("small");
  fs::create_directories(mountPoint);
  if (::mount("tmpfs", mountPoint.c_str(), "tmpfs", 0, "size=1m") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno)
                 << "); the injected-ENOSPC tests cover this";
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mountPoint};
  const auto path = mountPoint + "/p.h5";
  auto project = ProjectFile::openOrCreate(path);
  std::string message;
  int saved = 0;
  for (int i = 0; i < 100 && message.empty(); ++i) {
    try {
      project.put("/runs/r" + std::to_string(i), someNode(20000));  // 160 kB each
      ++saved;
    } catch (const ProjectError& e) {
      message = e.what();
    }
  }
  ASSERT_FALSE(message.empty()) << "the 1 MiB file system never filled up";
  EXPECT_NE(message.find("disk is full"), std::string::npos) << message;
  EXPECT_NE(message.find("not changed"), std::string::npos) << message;
  EXPECT_GT(saved, 0);
  EXPECT_EQ(ProjectFile::open(path).list("/runs").size(), size_t(saved));
  EXPECT_TRUE(temporaries(mountPoint).empty());
  EXPECT_EQ(openHdf5Objects(), 0);
}

// ---------------------------------------------------------------- temporaries and links

TEST(StorageFaults, StaleTemporaryCopiesOfDeadWritersAreRemovedLiveOnesKept) {
  TempDir dir;
  const auto path = dir.file("p.h5");
  auto project = ProjectFile::openOrCreate(path);
  const auto stale = dir.file(".p.h5.tmp-" + std::to_string(deadPid()));
  const auto live = dir.file(".p.h5.tmp-" + std::to_string(::getppid()));
  const auto other = dir.file(".q.h5.tmp-" + std::to_string(deadPid()));
  for (auto* file : {&stale, &live, &other}) std::ofstream(*file) << "a copy";
  project.put("/runs/a", someNode());
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(other));  // another project's
}

TEST(StorageFaults, ACommitThroughASymbolicLinkKeepsTheLink) {
  TempDir dir;
  fs::create_directories(dir.path() / "store");
  const auto target = dir.file("store/real.h5");
  ProjectFile::openOrCreate(target);
  const auto link = dir.file("link.h5");
  fs::create_symlink("store/real.h5", link);
  auto project = ProjectFile::openOrCreate(link);
  project.put("/runs/a", someNode());
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(ProjectFile::open(target).list("/runs"), std::vector<std::string>{"a"});
  EXPECT_TRUE(temporaries(dir.path()).empty());
  EXPECT_TRUE(temporaries(dir.path() / "store").empty());
}

// ---------------------------------------------------------------- runs that fail

TEST(StorageFaults, ARunStoppedByAFullDiskIsMarkedFailed) {
  TempDir dir;
  const auto path = dir.file("p.h5");
  auto c = flatland::testing::blobsTrainConfig();
  c.runName = "r";
  {
    // Writes: 1 the new index; 2-4 the run recorded with its epoch-0 checkpoint (the
    // checkpoint's file, the run's, the index); 5 epoch 1's checkpoint fails; then the run is
    // marked.
    FailCommits fail("5");
    auto message = errorOf([&] { trainRun(c, path); });
    EXPECT_NE(message.find("disk is full"), std::string::npos) << message;
  }
  auto run = ProjectFile::open(path).read("/runs/r", false);
  EXPECT_EQ(run.text("status"), "failed");
  EXPECT_NE(run.text("message").find("disk is full"), std::string::npos) << run.text("message");
  EXPECT_EQ(openHdf5Objects(), 0);
}

TEST(StorageFaults, RunNamesThatArePathsAreRefused) {
  TempDir dir;
  auto c = flatland::testing::blobsTrainConfig();
  for (const std::string name : {"a/b", ".", "..", "x y"}) {
    c.runName = name;
    auto message = errorOf([&] { trainRun(c, dir.file("p.h5")); });
    EXPECT_NE(message.find("run name '" + name + "'"), std::string::npos) << message;
  }
  EXPECT_FALSE(fs::exists(dir.file("p.h5")));
}

// ---------------------------------------------------------------- damaged data

TEST(StorageFaults, FashionMnistLabelsAboveNineAreADataError) {
  TempDir dir;
  auto bigEndian = [](std::vector<uint8_t>& b, uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
  };
  std::vector<uint8_t> images, labels;
  bigEndian(images, 0x803), bigEndian(images, 3), bigEndian(images, 28), bigEndian(images, 28);
  images.resize(images.size() + 3 * 28 * 28, 0);
  bigEndian(labels, 0x801), bigEndian(labels, 3);
  labels.insert(labels.end(), {1, 115, 2});
  // gzread reads plain files too, so the names may say .gz.
  std::ofstream(dir.file("t10k-images-idx3-ubyte.gz"), std::ios::binary)
      .write(reinterpret_cast<const char*>(images.data()), std::streamsize(images.size()));
  std::ofstream(dir.file("t10k-labels-idx1-ubyte.gz"), std::ios::binary)
      .write(reinterpret_cast<const char*>(labels.data()), std::streamsize(labels.size()));
  DataOptions options;
  options.dataDir = dir.path().string();
  auto message = errorOf([&] { loadDataset("fashion-mnist:test", options); });
  EXPECT_NE(message.find("115"), std::string::npos) << message;
  EXPECT_NE(message.find("0 to 9"), std::string::npos) << message;
}

TEST(StorageFaults, HugeShapesAndLabelsInHdf5DataAreDataErrors) {
  TempDir dir;
  auto write = [&](const std::string& name, std::vector<hsize_t> xDims, int64_t label) {
    const auto path = dir.file(name);
    hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t xs = H5Screate_simple(int(xDims.size()), xDims.data(), nullptr);
    hid_t x = H5Dcreate2(f, "/x", H5T_NATIVE_FLOAT, xs, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (xDims[0] * xDims[1] <= 64) {
      std::vector<float> v(xDims[0] * xDims[1], 0.5f);
      H5Dwrite(x, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    }
    hsize_t n = xDims[0];
    hid_t ys = H5Screate_simple(1, &n, nullptr);
    hid_t y = H5Dcreate2(f, "/y", H5T_NATIVE_INT64, ys, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (n <= 8) {
      std::vector<int64_t> v(n, 0);
      v[0] = label;
      H5Dwrite(y, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    }
    H5Dclose(y), H5Sclose(ys), H5Dclose(x), H5Sclose(xs), H5Fclose(f);
    return "h5:" + path;
  };
  auto message = errorOf([&] { loadDataset(write("huge.h5", {hsize_t(1) << 40, 8}, 0)); });
  EXPECT_NE(message.find("damaged"), std::string::npos) << message;
  message = errorOf([&] { loadDataset(write("label.h5", {4, 2}, int64_t(1000000000000))); });
  EXPECT_NE(message.find("1000000000000"), std::string::npos) << message;
  message = errorOf([&] { loadDataset(write("max.h5", {4, 2}, INT64_MAX)); });
  EXPECT_NE(message.find(std::to_string(INT64_MAX)), std::string::npos) << message;
  message = errorOf([&] { loadDataset("synthetic:blobs:1000000000"); });
  EXPECT_NE(message.find("at most"), std::string::npos) << message;
  EXPECT_EQ(openHdf5Objects(), 0);
}

// ---------------------------------------------------------------- models LibTorch rejects

TEST(StorageFaults, ModelsWithIntegerOutputsNoParametersOrBatchLimitsAreModelErrors) {
  TempDir dir;
  auto save = [&](const std::string& name, const std::string& source, bool withParameter) {
    torch::jit::Module m("M");
    if (withParameter) m.register_parameter("w", torch::ones({8, 4}).requires_grad_(), false);
    m.define(source);
    m.save(dir.file(name));
    return dir.file(name);
  };
  const ModelShape shape{{8}, 4};  // synthetic blobs: 8-D, 4 classes
  auto integer = save("int.pt", "def forward(self, x):\n  return (x @ self.w).long()\n", true);
  auto message = errorOf([&] { loadModel(integer, shape); });
  EXPECT_NE(message.find("floating-point logits"), std::string::npos) << message;

  auto none = save("none.pt", "def forward(self, x):\n  return x[:, :4] * 2.0\n", false);
  message = errorOf([&] { loadModel(none, shape); });
  EXPECT_NE(message.find("no trainable parameters"), std::string::npos) << message;

  auto small = save("small.pt",
                    "def forward(self, x):\n"
                    "  return x.view(2, 8) @ self.w\n",  // any batch but 2 fails
                    true);
  auto model = loadModel(small, shape);  // the check with a batch of 2 passes
  auto data = loadDataset("synthetic:blobs:16");
  message = errorOf([&] { evaluate(*model, data, 8); });
  EXPECT_NE(message.find(small), std::string::npos) << message;
  EXPECT_NE(message.find("is invalid for input"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}
