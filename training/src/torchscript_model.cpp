// A TorchScript module saved from PyTorch, behind the common Model interface.
#include <torch/script.h>

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

std::unique_ptr<Model> loadTorchScriptModel(const std::string& path, const c10::Device& device) {
  if (!std::filesystem::exists(path)) throw ModelError("TorchScript model not found: " + path);
  try {
    auto module = torch::jit::load(path, device);
    return std::make_unique<TorchScriptModel>(path, std::move(module));
  } catch (const std::exception& e) {
    throw ModelError("cannot load " + path + " as a TorchScript model (save it from PyTorch with "
                     "torch.jit.script(model).save(path)): " + summarizeTorchError(e));
  }
}

}  // namespace flatland::training
