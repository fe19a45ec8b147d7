// Provenance of an analysis: besides the model spec, the checkpoint epoch it resolved to and the
// identity (size, FNV-1a hash) of a TorchScript file.
#include <gtest/gtest.h>

#include <fstream>

#include "flatland/analysis/provenance.h"
#include "flatland/training/checkpoint.h"
#include "flatland/training/model.h"
#include "flatland/training/project_file.h"
#include "test_util.h"

using namespace flatland;
using namespace flatland::analysis;
using flatland::testing::TempDir;
using training::Node;
using training::ProjectFile;

namespace {

Provenance provenanceOf(const std::string& model) {
  Provenance p;
  p.kind = "hessian";
  p.model = model;
  p.data = "synthetic:blobs:80:1";
  p.device = "cpu";
  p.settingsJson = "{}";
  return p;
}

// A run of zoo:mlp with checkpoints at the given epochs.
void addRun(const ProjectFile& project, const std::string& name, std::vector<int64_t> epochs) {
  auto model = training::makeZooModel("mlp", training::ModelShape{{8}, 4}, 1);
  Node run;
  run.attributes["model"] = std::string("zoo:mlp");
  for (auto epoch : epochs)
    run.groups["checkpoints"].groups[training::checkpointName(epoch)] =
        training::checkpointNode(*model, epoch);
  project.put("/runs/" + name, run);
}

void addCheckpoint(const ProjectFile& project, const std::string& name, int64_t epoch) {
  auto model = training::makeZooModel("mlp", training::ModelShape{{8}, 4}, 1);
  project.put("/runs/" + name + "/checkpoints/" + training::checkpointName(epoch),
              training::checkpointNode(*model, epoch));
}

}  // namespace

TEST(Provenance, RecordsTheCheckpointEpochALatestSpecResolvedTo) {
  TempDir dir;
  auto project = ProjectFile::openOrCreate(dir.file("p.h5"));
  addRun(project, "sam", {0, 1, 2});
  const std::string spec = dir.file("p.h5") + ":/runs/sam";

  auto latest = provenanceOf(spec);
  auto attributes = latest.toAttributes();
  ASSERT_TRUE(attributes.count("model_epoch"));
  EXPECT_EQ(std::get<int64_t>(attributes.at("model_epoch")), 2);
  EXPECT_EQ(std::get<std::string>(attributes.at("model")),
            spec);  // the spec itself is kept as given
  EXPECT_FALSE(attributes.count("model_file_fnv1a64"));

  // Training goes on: the analysis keeps the epoch it resolved when it started, a new one sees 3.
  addCheckpoint(project, "sam", 3);
  EXPECT_EQ(std::get<int64_t>(latest.toAttributes().at("model_epoch")), 2);
  EXPECT_EQ(std::get<int64_t>(provenanceOf(spec).toAttributes().at("model_epoch")), 3);

  // An explicit epoch is recorded too; a zoo model has no epoch.
  EXPECT_EQ(std::get<int64_t>(provenanceOf(spec + "@1").toAttributes().at("model_epoch")), 1);
  EXPECT_FALSE(provenanceOf("zoo:mlp").toAttributes().count("model_epoch"));

  // Stored and read back.
  const auto path = newAnalysisPath(project, "hessian");
  project.setAttributes(path, latest.toAttributes());
  auto back = Provenance::fromAttributes(project.read(path, false).attributes);
  ASSERT_TRUE(back.modelIdentity.has_value());
  EXPECT_EQ(back.modelIdentity->checkpointEpoch, 2);
}

TEST(Provenance, RecordsSizeAndHashOfATorchScriptFile) {
  TempDir dir;
  const std::string file = dir.file("model.pt");
  std::ofstream(file, std::ios::binary) << "foobar";
  auto attributes = provenanceOf(file).toAttributes();
  ASSERT_TRUE(attributes.count("model_file_bytes"));
  EXPECT_EQ(std::get<int64_t>(attributes.at("model_file_bytes")), 6);
  // The published FNV-1a 64 test vector for "foobar".
  EXPECT_EQ(std::get<std::string>(attributes.at("model_file_fnv1a64")), "85944171f73967e8");
  EXPECT_FALSE(attributes.count("model_epoch"));

  // A changed file gets another hash; the record round-trips.
  std::ofstream(file, std::ios::binary) << "foobaz";
  auto changed = provenanceOf(file).toAttributes();
  EXPECT_NE(std::get<std::string>(changed.at("model_file_fnv1a64")), "85944171f73967e8");
  auto back = Provenance::fromAttributes(attributes);
  ASSERT_TRUE(back.modelIdentity.has_value());
  EXPECT_EQ(back.modelIdentity->fileBytes, 6);
  EXPECT_EQ(back.modelIdentity->fileFnv1a64, 0x85944171f73967e8ULL);

  // A file removed since loading does not fail the analysis: the spec is recorded alone.
  EXPECT_FALSE(provenanceOf(dir.file("gone.pt")).toAttributes().count("model_file_bytes"));
}
