# Shared by the scripts: where the pinned llama.cpp lives and how it is built.
# Sourced, not run. The source and the build are cached outside the clone,
# keyed by the package version and the build flags, so CI and repeated builds reuse them.
NODE_LLAMA_CPP_VERSION="3.22.1"
# SHA-256 of package/llama/gitRelease.bundle inside node-llama-cpp@3.22.1 (llama.cpp tag v0.5.0, commit de3ff81).
LLAMA_BUNDLE_SHA256="5f5d1105d5df040738d87b8290e5d17e7362131cdcfdb0831618e0ea528b4a51"
SWITCHYARD_CACHE="${SWITCHYARD_CACHE:-$HOME/.cache/switchyard}"
SWITCHYARD_CUDA="${SWITCHYARD_CUDA:-auto}"   # auto | on | off
if [ "$SWITCHYARD_CUDA" = auto ]; then
  if command -v nvcc >/dev/null 2>&1 && command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    SWITCHYARD_CUDA=on; else SWITCHYARD_CUDA=off; fi
fi
# GGML_NATIVE=ON tunes for this CPU; an image that runs elsewhere (deploy/Containerfile) sets OFF.
SWITCHYARD_LLAMA_NATIVE="${SWITCHYARD_LLAMA_NATIVE:-ON}"
LLAMA_CMAKE_FLAGS=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=$SWITCHYARD_LLAMA_NATIVE
  -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF
  -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=ON -DLLAMA_BUILD_TOOLS=ON
  -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_COMMON=ON -DCMAKE_POSITION_INDEPENDENT_CODE=ON)
if [ "$SWITCHYARD_CUDA" = on ]; then LLAMA_CMAKE_FLAGS+=(-DGGML_CUDA=ON); fi
LLAMA_FLAGS_KEY="$(printf '%s ' "${LLAMA_CMAKE_FLAGS[@]}" "$(uname -m)" | sha256sum | cut -c1-12)"
LLAMA_SRC_DIR="$SWITCHYARD_CACHE/llama.cpp/node-llama-cpp-$NODE_LLAMA_CPP_VERSION/src"
LLAMA_BUILD_DIR="$SWITCHYARD_CACHE/llama.cpp/node-llama-cpp-$NODE_LLAMA_CPP_VERSION/build-$LLAMA_FLAGS_KEY"
