#include "flatland/training/tensor_array.h"

#include <torch/types.h>

namespace flatland::training {

namespace {
template <typename T>
std::vector<T> valuesOf(const at::Tensor& t) {
  auto c = t.contiguous();
  return std::vector<T>(c.data_ptr<T>(), c.data_ptr<T>() + c.numel());
}
}  // namespace

Array toArray(const at::Tensor& tensor) {
  auto t = tensor.detach().cpu();
  std::vector<int64_t> shape(t.sizes().begin(), t.sizes().end());
  Array array;
  array.shape = shape;
  if (t.scalar_type() == torch::kFloat64) {
    array.values = valuesOf<double>(t);
  } else if (t.is_floating_point()) {
    array.values = valuesOf<float>(t.to(torch::kFloat32));
  } else {
    array.values = valuesOf<int64_t>(t.to(torch::kInt64));
  }
  return array;
}

at::Tensor toTensor(const Array& array) {
  return std::visit(
      [&](const auto& v) {
        using T = typename std::decay_t<decltype(v)>::value_type;
        auto type = std::is_same_v<T, float>    ? torch::kFloat32
                    : std::is_same_v<T, double> ? torch::kFloat64
                                                : torch::kInt64;
        return torch::from_blob(const_cast<T*>(v.data()), array.shape, type).clone();
      },
      array.values);
}

}  // namespace flatland::training
