# fuzz-layer-unpack: include()d by tests/fuzz/CMakeLists.txt. Always builds a
# corpus-replay executable (CTest fuzz/layer-unpack-corpus); with POUCH_FUZZ
# (clang) also the libFuzzer target, with the library sources instrumented.
set(LAYER_UNPACK_SOURCES
  ${PROJECT_SOURCE_DIR}/engine/images/layer-unpack.c
  ${PROJECT_SOURCE_DIR}/engine/images/sha256.c
  ${PROJECT_SOURCE_DIR}/engine/error.c)

add_executable(fuzz-layer-unpack-corpus ${CMAKE_CURRENT_LIST_DIR}/fuzz-layer-unpack.c ${CMAKE_CURRENT_LIST_DIR}/corpus-main.c)
target_link_libraries(fuzz-layer-unpack-corpus PRIVATE pouch-images pouch-core pouch-common)
add_test(NAME fuzz/layer-unpack-corpus
  COMMAND fuzz-layer-unpack-corpus ${CMAKE_CURRENT_LIST_DIR}/corpus/layer-unpack)
set_tests_properties(fuzz/layer-unpack-corpus PROPERTIES LABELS fuzz TIMEOUT 300)

if(POUCH_FUZZ)
  pkg_check_modules(FUZZ_LIBARCHIVE REQUIRED IMPORTED_TARGET libarchive)
  pkg_check_modules(FUZZ_LIBCRYPTO REQUIRED IMPORTED_TARGET libcrypto)
  add_executable(fuzz-layer-unpack ${CMAKE_CURRENT_LIST_DIR}/fuzz-layer-unpack.c ${LAYER_UNPACK_SOURCES})
  target_include_directories(fuzz-layer-unpack PRIVATE
    ${PROJECT_SOURCE_DIR}/engine ${PROJECT_SOURCE_DIR}/engine/images)
  target_compile_options(fuzz-layer-unpack PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz-layer-unpack PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz-layer-unpack PRIVATE pouch-common PkgConfig::FUZZ_LIBARCHIVE PkgConfig::FUZZ_LIBCRYPTO)
endif()
