// A TorchScript module saved from PyTorch, behind the common Model interface.
#include <torch/script.h>
#include <torch/version.h>

#include <filesystem>

#include "flatland/errors.h"
#include "flatland/training/model.h"

namespace flatland::training {

namespace {

class TorchScriptModel final : public Model {
 public:
  TorchScriptModel(std::string path, torch::jit::Module module)
      : m_path(std::move(path)), m_module(std::move(module)) {}

  at::Tensor forward(const at::Tensor& inputs) override {
    c10::IValue out;
    try {
      out = m_module.forward({inputs});
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      // A model can fail on some batches only (a size it hard-codes): name it and the batch.
      throw ModelError("TorchScript model " + m_path + " failed on a batch of shape " +
                       c10::str(inputs.sizes()) + ": " + summarizeTorchError(e));
    }
    if (!out.isTensor())
      throw ModelError("TorchScript model " + m_path + " returns a " + out.tagKind() +
                       ", not a tensor of logits");
    auto logits = out.toTensor();
    if (!logits.is_floating_point())
      throw ModelError("TorchScript model " + m_path + " returns " +
                       std::string(c10::toString(logits.scalar_type())) +
                       " outputs; Flatland needs floating-point logits (one per class)");
    return logits;
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
  void to(const c10::Device& device, c10::ScalarType dtype) override { m_module.to(device, dtype); }
  std::unique_ptr<Model> clone() const override {
    return std::make_unique<TorchScriptModel>(m_path, m_module.deepcopy());
  }
  std::string source() const override { return m_path; }

 private:
  std::string m_path;
  torch::jit::Module m_module;
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
