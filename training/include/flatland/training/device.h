// Choosing the compute device from the strings users type: auto, cpu, cuda, cuda:N.
#pragma once

#include <c10/core/Device.h>

#include <string>

namespace flatland::training {

// "auto" picks CUDA when LibTorch sees a GPU, else the CPU. Throws InvalidArgument for a CUDA
// device this LibTorch cannot use, naming the fix.
c10::Device parseDevice(const std::string& text);

// What this build runs on, for --version and the GUI's About box: the LibTorch version, whether it
// was built with CUDA (and which), and the devices it sees now. One item per line.
std::string describeLibTorch();

}  // namespace flatland::training
