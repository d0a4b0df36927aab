# libFuzzer targets (fuzz/, docs/hardening.md). They need clang's libFuzzer,
# so they are built apart from the main build, in a "fuzzer build":
#
#   - configured with clang and -DWERSA_FUZZER_BUILD=ON (scripts/fuzz.sh does
#     this in build-fuzz/), it builds only fuzz/ and the LibTorch-free
#     libraries the targets test, every file compiled with AddressSanitizer,
#     UndefinedBehaviorSanitizer and libFuzzer's coverage instrumentation;
#   - a main build configured with -DWERSA_BUILD_FUZZERS=ON (scripts/test.sh,
#     hence CI) builds one as a nested project in <build>/fuzz and registers
#     the short runs as tests of its own.
#
# Either way each target also becomes a CTest test, fuzz_<target>: a run of
# WERSA_FUZZ_SMOKE_SECONDS from its committed seed corpus, failing on any
# crash, sanitizer report, leak, timeout or failed check.

set(WERSA_FUZZERS
  request_fuzzer        # DocumentPreparer: validation, UTF-8, tokenizer, limits
  bundle_text_fuzzer    # config.json and labels.txt
  stream_chunks_fuzzer  # ClassifyStream's chunk reassembly
  zip_container_fuzzer  # the weights archive's container check
)

# Instruments every target of the calling directory and below.
function(wersa_instrument_for_fuzzing)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "WERSA_FUZZER_BUILD needs clang++ (libFuzzer); "
                        "configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  add_compile_options(-fsanitize=address,undefined,fuzzer-no-link
                      -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endfunction()

# fuzz_<target> tests for the binaries in `fuzzer_dir`.
function(wersa_add_fuzz_smoke_tests fuzzer_dir)
  foreach(fuzzer IN LISTS WERSA_FUZZERS)
    set(work ${CMAKE_BINARY_DIR}/fuzz-smoke/${fuzzer})
    set(args -max_total_time=${WERSA_FUZZ_SMOKE_SECONDS} -timeout=30
             -rss_limit_mb=2048 -print_final_stats=1 -create_missing_dirs=1
             -artifact_prefix=${work}/)
    if(EXISTS ${PROJECT_SOURCE_DIR}/fuzz/${fuzzer}.dict)
      list(APPEND args -dict=${PROJECT_SOURCE_DIR}/fuzz/${fuzzer}.dict)
    endif()
    # New inputs go to the first directory (in the build tree); the seeds
    # are read only.
    add_test(NAME fuzz_${fuzzer}
      COMMAND ${fuzzer_dir}/${fuzzer} ${args} ${work}/corpus
              ${PROJECT_SOURCE_DIR}/fuzz/corpus/${fuzzer})
    math(EXPR timeout "${WERSA_FUZZ_SMOKE_SECONDS} + 120")
    set_tests_properties(fuzz_${fuzzer} PROPERTIES TIMEOUT ${timeout} LABELS fuzz)
  endforeach()
endfunction()

# The nested fuzzer build of a main build, and its tests.
function(wersa_add_nested_fuzzer_build)
  find_program(WERSA_CLANGXX NAMES clang++ clang++-14)
  if(NOT WERSA_CLANGXX)
    message(FATAL_ERROR "WERSA_BUILD_FUZZERS needs clang++ and libFuzzer "
                        "(scripts/install-deps.sh installs clang and libclang-rt-14-dev)")
  endif()
  include(ExternalProject)
  cmake_host_system_information(RESULT jobs QUERY NUMBER_OF_LOGICAL_CORES)
  set(dir ${CMAKE_BINARY_DIR}/fuzz)
  ExternalProject_Add(wersa_fuzzer_build
    SOURCE_DIR ${PROJECT_SOURCE_DIR}
    BINARY_DIR ${dir}
    CMAKE_GENERATOR ${CMAKE_GENERATOR}
    CMAKE_ARGS -DCMAKE_CXX_COMPILER=${WERSA_CLANGXX}
               -DCMAKE_BUILD_TYPE=RelWithDebInfo
               -DWERSA_FUZZER_BUILD=ON
               -DWERSA_DEPS_PREFIX=${WERSA_DEPS_PREFIX}
    BUILD_COMMAND ${CMAKE_COMMAND} --build ${dir} --target wersa_fuzzers
                  --parallel ${jobs}
    # The sources are this project's own: the nested build decides what is
    # out of date.
    BUILD_ALWAYS ON
    INSTALL_COMMAND "")
  if(WERSA_BUILD_TESTS)
    wersa_add_fuzz_smoke_tests(${dir}/fuzz)
  endif()
endfunction()
