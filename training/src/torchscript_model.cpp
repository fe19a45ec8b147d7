// A TorchScript module saved from PyTorch, behind the common Model interface.
#include <torch/script.h>
#include <torch/version.h>

#include <filesystem>
#include <optional>
#include <sstream>

#include "flatland/errors.h"
#include "flatland/training/model.h"

namespace flatland::training {

namespace {

// Runs a module and checks it returns floating-point logits; `path` names the model in errors.
at::Tensor logitsOf(torch::jit::Module& module, const at::Tensor& inputs, const std::string& path) {
  c10::IValue out;
  try {
    out = module.forward({inputs});
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    // A model can fail on some batches only (a size it hard-codes): name it and the batch.
    throw ModelError("TorchScript model " + path + " failed on a batch of shape " +
                     c10::str(inputs.sizes()) + ": " + summarizeTorchError(e));
  }
  if (!out.isTensor())
    throw ModelError("TorchScript model " + path + " returns a " + out.tagKind() +
                     ", not a tensor of logits");
  auto logits = out.toTensor();
  if (!logits.is_floating_point())
    throw ModelError("TorchScript model " + path + " returns " +
                     std::string(c10::toString(logits.scalar_type())) +
                     " outputs; Flatland needs floating-point logits (one per class)");
  return logits;
}

// Whether a frozen graph runs convolutions: what freezing speeds up (BatchNorm folded into them,
// oneDNN kernels and pooling: a BatchNorm CNN's surface took half the time). Without them (MLPs,
// transformers) it gains little, and a PyTorch transformer took 200 ms to freeze and kept ~1 MB
// of LibTorch's memory per frozen copy.
bool runsConvolutions(const torch::jit::Block& block) {
  for (const auto* node : block.nodes()) {
    if (std::string(node->kind().toQualString()).find("conv") != std::string::npos) return true;
    for (const auto* inner : node->blocks())
      if (runsConvolutions(*inner)) return true;
  }
  return false;
}

bool runsConvolutions(const torch::jit::Graph& graph) { return runsConvolutions(*graph.block()); }

class TorchScriptModel final : public Model {
 public:
  TorchScriptModel(std::string path, torch::jit::Module module)
      : m_path(std::move(path)), m_module(std::move(module)) {}

  at::Tensor forward(const at::Tensor& inputs) override {
    return logitsOf(m_module, inputs, m_path);
  }
  InferenceForward inferenceForward() override {
    // oneDNN's rewrites cover float32 on the CPU; elsewhere freezing would only fold BatchNorm,
    // which a GPU's large batches do not notice.
    if (isTraining() || !device().is_cpu() || dtype() != at::kFloat || m_freezingPays == false)
      return Model::inferenceForward();
    auto& copy = freezeSource();
    auto frozen = torch::jit::freeze(copy);
    auto optimized = torch::jit::optimize_for_inference(frozen);
    if (!m_freezingPays)
      m_freezingPays = runsConvolutions(*optimized.get_method("forward").graph());
    if (!*m_freezingPays) return Model::inferenceForward();
    return [optimized, path = m_path](const at::Tensor& inputs) mutable {
      return logitsOf(optimized, inputs, path);
    };
  }
  std::vector<NamedTensor> namedParameters() const override {
    std::vector<NamedTensor> out;
    for (const auto& p : m_module.named_parameters(true))
      if (p.value.requires_grad()) out.push_back({p.name, p.value});
    return out;
  }
  std::vector<NamedTensor> namedBuffers() const override {
    std::vector<NamedTensor> out;
    for (const auto& b : m_module.named_buffers(true)) out.push_back({b.name, b.value});
    return out;
  }
  void setTraining(bool on) override { m_module.train(on); }
  bool isTraining() const override { return m_module.is_training(); }
  void to(const c10::Device& device, c10::ScalarType dtype) override {
    m_module.to(device, dtype);
    m_saved.clear();
    m_freezeSource.reset();
  }
  std::unique_ptr<Model> clone() const override {
    return std::make_unique<TorchScriptModel>(m_path, m_module.deepcopy());
  }
  std::string source() const override { return m_path; }

 private:
  // What inferenceForward() freezes: a copy of the module, loaded from its saved bytes, with the
  // live parameters and buffers. Freezing registers new types in the compilation unit of the
  // module it copies, for as long as that unit lives: freezing the live module leaked ~0.8 MB
  // per call (a surface freezes once per point). The copy has a unit of its own, replaced after
  // 32 freezes (loading costs about as much as freezing) and freed with the last frozen copy.
  torch::jit::Module& freezeSource() {
    if (!m_freezeSource || m_freezes == 32) {
      if (m_saved.empty()) {
        std::ostringstream out;
        m_module.save(out);
        m_saved = out.str();
      }
      std::istringstream in(m_saved);
      c10::InferenceMode normalTensors(false);  // its parameters are written again next time
      m_freezeSource = torch::jit::load(in, device());
      m_freezes = 0;
    }
    ++m_freezes;
    torch::NoGradGuard noGrad;
    copyTensors(m_module.named_parameters(true), m_freezeSource->named_parameters(true));
    copyTensors(m_module.named_buffers(true), m_freezeSource->named_buffers(true));
    m_freezeSource->eval();
    return *m_freezeSource;
  }
  template <typename List>
  static void copyTensors(const List& from, const List& to) {
    std::vector<std::pair<std::string, at::Tensor>> sources;
    for (const auto& item : from) sources.emplace_back(item.name, item.value);
    size_t i = 0;
    for (const auto& target : to) {
      if (i == sources.size() || sources[i].first != target.name)
        throw ModelError("a reloaded copy of a TorchScript model does not match it");
      target.value.copy_(sources[i++].second);
    }
  }

  std::string m_path;
  torch::jit::Module m_module;
  std::string m_saved;  // the module as saved, for freezeSource()
  std::optional<torch::jit::Module> m_freezeSource;
  int m_freezes = 0;
  std::optional<bool> m_freezingPays;  // known after the first freeze
};

}  // namespace

namespace {

// The operator a TorchScript file needs and this LibTorch lacks, or "" when that is not the error.
std::string missingOperator(const std::string& error) {
  const std::string marker = "Unknown builtin op: ";
  const auto at = error.find(marker);
  if (at == std::string::npos) return "";
  const auto start = at + marker.size();
  const auto end = error.find_first_of(". \n", start);
  return error.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

std::unique_ptr<Model> loadTorchScriptModel(const std::string& path, const c10::Device& device) {
  if (!std::filesystem::exists(path)) throw ModelError("TorchScript model not found: " + path);
  try {
    auto module = torch::jit::load(path, device);
    return std::make_unique<TorchScriptModel>(path, std::move(module));
  } catch (const std::exception& e) {
    const std::string op = missingOperator(e.what());
    if (!op.empty())
      throw ModelError("cannot load " + path + ": Flatland was built against LibTorch " +
                       TORCH_VERSION + ", which lacks " + op +
                       "; rebuild with the default (PyTorch >= 2.7) set-up "
                       "(bash packaging/setup-torch.sh, then configure with "
                       "-DFLATLAND_TORCH_PYTHON=<its python>), or re-export the model without "
                       "that operator");
    const std::string why = summarizeTorchError(e);
    const bool notAnArchive = why.find("PytorchStreamReader") != std::string::npos ||
                              why.find("archive") != std::string::npos ||
                              why.find("zip") != std::string::npos;
    throw ModelError("cannot load " + path + " as a TorchScript model: " + why +
                     (notAnArchive ? " (is it a TorchScript file? save one from PyTorch with "
                                     "torch.jit.script(model).save(path); a state_dict saved with "
                                     "torch.save is not enough)"
                                   : ""));
  }
}

}  // namespace flatland::training
