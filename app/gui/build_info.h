// What the About box says about the build and the machine: the versions and the compute devices
// LibTorch sees. Kept out of the Qt headers (it asks LibTorch).
#pragma once

#include <string>

namespace flatland::app {

// "0.1.0", as `flatland-cli --version` prints it.
std::string flatlandVersion();
// "2.11.0, built with CUDA 13.0, CPU only", as `flatland-cli --version` says.
std::string libtorchVersion();
// "cpu" or "cpu, cuda:0, cuda:1" — what `--device auto` chooses among.
std::string devicesSeen();

}  // namespace flatland::app
