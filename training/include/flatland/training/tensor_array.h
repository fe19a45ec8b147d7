// Conversions between LibTorch tensors and project-file arrays.
#pragma once

#include <ATen/core/Tensor.h>

#include "flatland/training/project_file.h"

namespace flatland::training {

// Copies to CPU; float32/float64/int64 keep their type, other floating types become float32,
// other integer and bool types int64.
Array toArray(const at::Tensor& tensor);
// A CPU tensor of the array's type and shape.
at::Tensor toTensor(const Array& array);

}  // namespace flatland::training
