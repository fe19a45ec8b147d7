// The LibTorch headers most of our translation units need, precompiled once.
#pragma once
#include <torch/nn.h>
#include <torch/script.h>
#include <torch/types.h>
