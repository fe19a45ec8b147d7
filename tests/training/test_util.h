// Helpers for tests: a temporary directory removed at the end of the test, a short training run.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "flatland/errors.h"
#include "flatland/training/train_config.h"

namespace flatland::testing {

// Three epochs of zoo:mlp on synthetic blobs (512 training, 256 test samples): well under a
// second on a CPU, and the blobs are easy enough that any working optimizer learns them.
inline training::TrainConfig blobsTrainConfig() {
  training::TrainConfig c;
  c.model = "zoo:mlp";
  c.data = "synthetic:blobs:512:1";
  c.testData = "synthetic:blobs:256:1";
  c.epochs = 3;
  c.batchSize = 64;
  c.evalBatchSize = 256;
  c.optimizer.learningRate = 0.05;
  c.device = "cpu";  // the tests compare runs bit for bit and with CPU references
  return c;
}

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    m_path = std::filesystem::temp_directory_path() / ("flatland-test-" + std::to_string(rd()));
    std::filesystem::create_directories(m_path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (m_path / name).string(); }
  const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
};

// Sets FLATLAND_TEST_FAIL_COMMITS (writes of project files that fail as on a full disk, counted
// from 1: "3" the third, "3-" the third and later) for the scope of the object.
class FailCommits {
 public:
  explicit FailCommits(const char* spec) { ::setenv("FLATLAND_TEST_FAIL_COMMITS", spec, 1); }
  ~FailCommits() { ::unsetenv("FLATLAND_TEST_FAIL_COMMITS"); }
  FailCommits(const FailCommits&) = delete;
  FailCommits& operator=(const FailCommits&) = delete;
};

// The message of the flatland::Error that `f` throws; a test failure when it throws none.
template <class F>
std::string errorOf(F&& f) {
  try {
    f();
  } catch (const flatland::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a flatland::Error";
  return "";
}

}  // namespace flatland::testing
