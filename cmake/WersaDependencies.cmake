# Finds the libraries every build needs; docs/toolchain.md says how each is found.
# The fuzzer build (cmake/WersaFuzz.cmake) has no LibTorch.
if(NOT WERSA_FUZZER_BUILD)
  find_package(Torch REQUIRED)
endif()
find_package(absl CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(Threads REQUIRED)
# scripts/install-deps.sh builds SentencePiece against the system protobuf,
# which the server needs anyway. A model-only build (WERSA_BUILD_SERVER=OFF,
# the GPU machine) may use one built with SentencePiece's own protobuf-lite.
if(WERSA_BUILD_SERVER)
  find_package(Protobuf REQUIRED)
else()
  find_package(Protobuf QUIET)
endif()

# SentencePiece comes from scripts/install-deps.sh as static libraries built against
# the system protobuf (Debian's shared library embeds protobuf 3.14 and aborts a
# process that also loads protobuf 3.21).
find_path(WERSA_SENTENCEPIECE_INCLUDE_DIR sentencepiece_processor.h
          HINTS ${WERSA_DEPS_PREFIX}/include NO_DEFAULT_PATH)
find_library(WERSA_SENTENCEPIECE_LIBRARY libsentencepiece.a
             HINTS ${WERSA_DEPS_PREFIX}/lib NO_DEFAULT_PATH)
find_library(WERSA_SENTENCEPIECE_TRAIN_LIBRARY libsentencepiece_train.a
             HINTS ${WERSA_DEPS_PREFIX}/lib NO_DEFAULT_PATH)
if(NOT WERSA_SENTENCEPIECE_INCLUDE_DIR OR NOT WERSA_SENTENCEPIECE_LIBRARY
   OR NOT WERSA_SENTENCEPIECE_TRAIN_LIBRARY)
  message(FATAL_ERROR
    "Static SentencePiece not found under WERSA_DEPS_PREFIX=${WERSA_DEPS_PREFIX}; "
    "run scripts/install-deps.sh")
endif()
# Imported targets carry their own link dependencies, so protobuf always
# follows the static archives that need it on the link line.
add_library(wersa::sentencepiece STATIC IMPORTED)
set_target_properties(wersa::sentencepiece PROPERTIES
  IMPORTED_LOCATION ${WERSA_SENTENCEPIECE_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${WERSA_SENTENCEPIECE_INCLUDE_DIR}
  INTERFACE_LINK_LIBRARIES "$<$<TARGET_EXISTS:protobuf::libprotobuf>:protobuf::libprotobuf>;Threads::Threads")
add_library(wersa::sentencepiece_train STATIC IMPORTED)
set_target_properties(wersa::sentencepiece_train PROPERTIES
  IMPORTED_LOCATION ${WERSA_SENTENCEPIECE_TRAIN_LIBRARY}
  INTERFACE_LINK_LIBRARIES wersa::sentencepiece)

if(WERSA_BUILD_SERVER)
  find_package(gRPC CONFIG REQUIRED)
  # Metrics: prometheus-cpp's core (registry, text format) behind Debian's
  # cpp-httplib, which ships a pkg-config file but no CMake config.
  find_package(prometheus-cpp CONFIG REQUIRED)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
endif()

if(WERSA_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
  include(GoogleTest)
endif()
if(WERSA_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()
