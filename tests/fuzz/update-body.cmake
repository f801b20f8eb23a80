# fuzz-update-body: include()d by tests/fuzz/CMakeLists.txt. Update bodies
# come from any API client (POST /containers/{id}/update); the engine checks
# and translates them (engine/containers/update-body.c). Corpus replay always
# runs in CTest; the libFuzzer target only with POUCH_FUZZ (clang).
add_executable(fuzz-update-body-corpus ${CMAKE_CURRENT_LIST_DIR}/fuzz-update-body.c
  ${CMAKE_CURRENT_LIST_DIR}/corpus-main.c)
target_link_libraries(fuzz-update-body-corpus PRIVATE pouch-core pouch-common)
add_test(NAME fuzz/update-body-corpus
  COMMAND fuzz-update-body-corpus ${CMAKE_CURRENT_LIST_DIR}/corpus/update-body)
set_tests_properties(fuzz/update-body-corpus PROPERTIES LABELS fuzz TIMEOUT 120)

if(POUCH_FUZZ)
  add_executable(fuzz-update-body ${CMAKE_CURRENT_LIST_DIR}/fuzz-update-body.c
    ${PROJECT_SOURCE_DIR}/engine/containers/update-body.c)
  target_compile_options(fuzz-update-body PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz-update-body PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz-update-body PRIVATE pouch-core pouch-common)
endif()
