# Finds LibTorch and defines the target flatland_torch that every LibTorch user links.
#
# Two sources are supported:
#  - a PyTorch >= 2.7 wheel (PyPI), named by FLATLAND_TORCH_PYTHON: the python that imports it.
#    The wheel's LibTorch is CUDA-enabled when the wheel is. PyTorch's own CMake files then want a
#    CUDA toolkit; where none is installed we link the wheel's libraries directly (the CUDA
#    runtime libraries come with the wheel's nvidia packages, so nothing else is needed).
#  - Debian's libtorch-dev 1.13 (CPU only), found by find_package when FLATLAND_TORCH_PYTHON is
#    empty.
# Sets FLATLAND_TORCH_VERSION, FLATLAND_TORCH_SOURCE and FLATLAND_TORCH_CUDA, and raises the C++
# standard to 20 for LibTorch >= 2.12, whose headers require it.

set(FLATLAND_TORCH_PYTHON "$ENV{FLATLAND_TORCH_PYTHON}" CACHE FILEPATH
    "Python whose torch package (PyTorch >= 2.7) provides LibTorch; empty: Debian's libtorch-dev")

add_library(flatland_torch INTERFACE)

if(FLATLAND_TORCH_PYTHON)
  execute_process(
    COMMAND "${FLATLAND_TORCH_PYTHON}" -c
      "import os, torch; print(os.path.dirname(torch.__file__)); print(torch.__version__.split('+')[0]); print(torch.version.cuda or ''); print(int(torch._C._GLIBCXX_USE_CXX11_ABI))"
    OUTPUT_VARIABLE torch_info ERROR_VARIABLE torch_error RESULT_VARIABLE torch_failed
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(torch_failed)
    message(FATAL_ERROR "FLATLAND_TORCH_PYTHON=${FLATLAND_TORCH_PYTHON} cannot import torch:\n"
      "${torch_error}\nInstall PyTorch >= 2.7 for it (bash packaging/setup-torch.sh does), or "
      "configure with -DFLATLAND_TORCH_PYTHON= to build against Debian's libtorch-dev.")
  endif()
  string(REPLACE "\n" ";" torch_info "${torch_info}")
  list(GET torch_info 0 torch_root)
  list(GET torch_info 1 FLATLAND_TORCH_VERSION)
  list(GET torch_info 2 torch_cuda)
  list(GET torch_info 3 torch_cxx11_abi)
  if(FLATLAND_TORCH_VERSION VERSION_LESS 2.7)
    message(FATAL_ERROR "PyTorch ${FLATLAND_TORCH_VERSION} at ${torch_root} is too old: wheels "
      "before 2.7 use the pre-C++11 ABI and cannot link with Debian's Qt and VTK. Install "
      "PyTorch >= 2.7 (bash packaging/setup-torch.sh).")
  endif()
  if(NOT torch_cxx11_abi)
    message(FATAL_ERROR "PyTorch at ${torch_root} was built with the pre-C++11 ABI")
  endif()
  set(FLATLAND_TORCH_SOURCE "PyPI wheel at ${torch_root}")
  set(FLATLAND_TORCH_CUDA "${torch_cuda}")

  find_program(FLATLAND_NVCC nvcc PATHS /usr/local/cuda/bin)
  if(torch_cuda AND NOT FLATLAND_NVCC)
    # PyTorch's CMake files stop without a CUDA toolkit; the wheel's libraries suffice to link.
    message(STATUS "LibTorch: CUDA ${torch_cuda} wheel and no CUDA toolkit: linking the wheel's libraries directly")
    target_include_directories(flatland_torch SYSTEM INTERFACE
      ${torch_root}/include ${torch_root}/include/torch/csrc/api/include)
    # --no-as-needed keeps libtorch_cuda loaded, so its CUDA kernels register themselves.
    target_link_libraries(flatland_torch INTERFACE
      ${torch_root}/lib/libtorch.so ${torch_root}/lib/libtorch_cpu.so ${torch_root}/lib/libc10.so
      "-Wl,--no-as-needed,${torch_root}/lib/libtorch_cuda.so,${torch_root}/lib/libc10_cuda.so,--as-needed")
    target_link_options(flatland_torch INTERFACE "-Wl,-rpath,${torch_root}/lib")
  else()
    # The wheel's root goes first, so find_library takes its libraries, not Debian's.
    list(PREPEND CMAKE_PREFIX_PATH "${torch_root}/share/cmake" "${torch_root}")
    find_package(Torch REQUIRED CONFIG PATHS "${torch_root}/share/cmake/Torch" NO_DEFAULT_PATH)
    cmake_path(IS_PREFIX torch_root "${TORCH_LIBRARY}" torch_library_in_wheel)
    if(NOT torch_library_in_wheel)
      message(FATAL_ERROR "found ${TORCH_LIBRARY}, not the wheel's LibTorch under ${torch_root}")
    endif()
    target_link_libraries(flatland_torch INTERFACE ${TORCH_LIBRARIES})
  endif()
  target_compile_definitions(flatland_torch INTERFACE _GLIBCXX_USE_CXX11_ABI=1)
  # The wheel's libtorch exports copies of libstdc++ functions from the newer GCC it was built
  # with (std::filesystem, std::chrono::tzdb), and the dynamic linker binds our calls to them when
  # LibTorch comes first: std::filesystem::remove_all then jumped to address 0. Naming libstdc++
  # before every library binds those calls to the system's libstdc++.
  target_link_options(flatland_torch INTERFACE
    "SHELL:-Wl,--push-state,--no-as-needed -lstdc++ -Wl,--pop-state")
else()
  find_package(Torch REQUIRED)
  set(FLATLAND_TORCH_VERSION ${Torch_VERSION})
  set(FLATLAND_TORCH_SOURCE "${TORCH_INSTALL_PREFIX}")
  set(FLATLAND_TORCH_CUDA "")
  target_link_libraries(flatland_torch INTERFACE ${TORCH_LIBRARIES})
endif()

if(FLATLAND_TORCH_VERSION VERSION_GREATER_EQUAL 2.12)
  set(CMAKE_CXX_STANDARD 20)
endif()
