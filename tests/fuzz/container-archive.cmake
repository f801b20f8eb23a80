# fuzz-container-archive: docker cp's extraction into a container root
# (engine/containers/archive-extract.c). include()d by tests/fuzz/CMakeLists.txt;
# always builds the corpus replay (CTest fuzz/container-archive-corpus), with
# POUCH_FUZZ (clang) also the libFuzzer target.
add_executable(fuzz-container-archive-corpus ${CMAKE_CURRENT_LIST_DIR}/fuzz-container-archive.c
  ${CMAKE_CURRENT_LIST_DIR}/corpus-main.c)
target_link_libraries(fuzz-container-archive-corpus PRIVATE pouch-core pouch-common)
add_test(NAME fuzz/container-archive-corpus
  COMMAND fuzz-container-archive-corpus ${CMAKE_CURRENT_LIST_DIR}/corpus/container-archive)
set_tests_properties(fuzz/container-archive-corpus PROPERTIES LABELS fuzz TIMEOUT 300)

if(POUCH_FUZZ)
  pkg_check_modules(FUZZ_CP_LIBARCHIVE REQUIRED IMPORTED_TARGET libarchive)
  pkg_check_modules(FUZZ_CP_LIBCRYPTO REQUIRED IMPORTED_TARGET libcrypto)
  add_executable(fuzz-container-archive ${CMAKE_CURRENT_LIST_DIR}/fuzz-container-archive.c
    ${PROJECT_SOURCE_DIR}/engine/containers/archive-extract.c ${PROJECT_SOURCE_DIR}/engine/containers/archive-view.c
    ${PROJECT_SOURCE_DIR}/engine/images/layer-unpack.c ${PROJECT_SOURCE_DIR}/engine/images/sha256.c
    ${PROJECT_SOURCE_DIR}/engine/error.c)
  target_compile_definitions(fuzz-container-archive PRIVATE POUCH_FUZZ_STANDALONE)
  target_include_directories(fuzz-container-archive PRIVATE ${PROJECT_SOURCE_DIR}/engine
    ${PROJECT_SOURCE_DIR}/engine/containers ${PROJECT_SOURCE_DIR}/engine/images)
  target_compile_options(fuzz-container-archive PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz-container-archive PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz-container-archive PRIVATE pouch-common PkgConfig::FUZZ_CP_LIBARCHIVE PkgConfig::FUZZ_CP_LIBCRYPTO
    PkgConfig::JANSSON)
endif()
