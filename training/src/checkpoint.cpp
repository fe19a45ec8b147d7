#include "flatland/training/checkpoint.h"

#include <torch/types.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "flatland/errors.h"
#include "flatland/training/project_schema.h"
#include "flatland/training/tensor_array.h"

namespace flatland::training {

std::string checkpointName(int64_t epoch) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%04lld", schema::kCheckpointPrefix,
                static_cast<long long>(epoch));
  return buf;
}

std::string checkpointsPath(const std::string& run) {
  return schema::runPath(run) + "/" + schema::kCheckpoints;
}

std::string checkpointPath(const std::string& run, int64_t epoch) {
  return checkpointsPath(run) + "/" + checkpointName(epoch);
}

Node checkpointNode(const Model& model, int64_t epoch) {
  Node node;
  node.attributes[schema::kEpoch] = epoch;
  node.attributes[schema::kModel] = model.source();
  node.attributes[schema::kParameterCount] = model.parameterCount();
  Node& params = node.groups[schema::kParameters];
  for (auto& p : model.namedParameters()) params.datasets[p.name] = toArray(p.tensor);
  Node& buffers = node.groups[schema::kBuffers];
  for (auto& b : model.namedBuffers()) buffers.datasets[b.name] = toArray(b.tensor);
  return node;
}

void loadCheckpoint(Model& model, const Node& checkpoint) {
  torch::NoGradGuard noGrad;
  auto copyGroup = [&](const std::vector<NamedTensor>& targets, const std::string& group) {
    const Node& stored = checkpoint.group(group);
    for (auto& t : targets) {
      auto it = stored.datasets.find(t.name);
      if (it == stored.datasets.end())
        throw ModelError("the checkpoint has no tensor '" + t.name +
                         "': it was made from a "
                         "different architecture than " +
                         model.source());
      auto value = toTensor(it->second);
      if (value.sizes() != t.tensor.sizes())
        throw ModelError("checkpoint tensor '" + t.name + "' has shape " + c10::str(value.sizes()) +
                         " but the model's has " + c10::str(t.tensor.sizes()));
      t.tensor.copy_(value);
    }
  };
  copyGroup(model.namedParameters(), schema::kParameters);
  copyGroup(model.namedBuffers(), schema::kBuffers);
}

std::vector<int64_t> checkpointEpochs(const ProjectFile& project, const std::string& runName) {
  std::vector<int64_t> epochs;
  const size_t prefix = std::strlen(schema::kCheckpointPrefix);
  for (auto& name : project.list(checkpointsPath(runName))) {
    long long epoch = 0;
    if (name.compare(0, prefix, schema::kCheckpointPrefix) == 0 &&
        std::sscanf(name.c_str() + prefix, "%lld", &epoch) == 1)
      epochs.push_back(epoch);
  }
  std::sort(epochs.begin(), epochs.end());
  return epochs;
}

}  // namespace flatland::training
