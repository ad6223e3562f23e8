# Imports the pinned llama.cpp, built once by scripts/build-llama.sh into a cache outside the clone.
# We link its static libraries directly instead of add_subdirectory() so that every build tree of
# this project (and CI) reuses one cached llama.cpp build keyed by version and flags.
set(SWITCHYARD_LLAMA_SRC "" CACHE PATH "llama.cpp source tree (scripts/build-llama.sh prints it)")
set(SWITCHYARD_LLAMA_BUILD "" CACHE PATH "llama.cpp build tree (scripts/build-llama.sh prints it)")
if(NOT EXISTS "${SWITCHYARD_LLAMA_SRC}/include/llama.h")
  message(FATAL_ERROR "SWITCHYARD_LLAMA_SRC='${SWITCHYARD_LLAMA_SRC}' has no include/llama.h; run scripts/build-llama.sh (scripts/setup.sh does)")
endif()

find_package(Threads REQUIRED)
find_package(OpenMP)

set(_llama_libs
  common/libllama-common.a
  vendor/cpp-httplib/libcpp-httplib.a
  common/libllama-common-base.a
  src/libllama.a
  ggml/src/libggml.a
  ggml/src/libggml-cpu.a
  ggml/src/libggml-base.a)
set(_llama_paths "")
foreach(lib IN LISTS _llama_libs)
  set(p "${SWITCHYARD_LLAMA_BUILD}/${lib}")
  if(NOT EXISTS "${p}")
    message(FATAL_ERROR "missing ${p}; run scripts/build-llama.sh")
  endif()
  list(APPEND _llama_paths "${p}")
endforeach()
file(GLOB _llama_cuda_libs "${SWITCHYARD_LLAMA_BUILD}/ggml/src/ggml-cuda/libggml-cuda.a")

add_library(llama_cpp INTERFACE)
target_include_directories(llama_cpp SYSTEM INTERFACE
  "${SWITCHYARD_LLAMA_SRC}/include" "${SWITCHYARD_LLAMA_SRC}/ggml/include" "${SWITCHYARD_LLAMA_SRC}/common")
# The static archives depend on each other in a cycle-free but order-sensitive way; a link group keeps it simple.
target_link_libraries(llama_cpp INTERFACE
  "-Wl,--start-group" ${_llama_paths} ${_llama_cuda_libs} "-Wl,--end-group"
  Threads::Threads ${CMAKE_DL_LIBS})
if(OpenMP_CXX_FOUND)
  target_link_libraries(llama_cpp INTERFACE OpenMP::OpenMP_CXX)
endif()
if(_llama_cuda_libs)
  find_package(CUDAToolkit REQUIRED)
  target_link_libraries(llama_cpp INTERFACE CUDA::cudart CUDA::cublas CUDA::cuda_driver)
endif()
