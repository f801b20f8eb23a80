# fuzz-image-load and fuzz-reference: include()d by tests/fuzz/CMakeLists.txt.
# Corpus replays always run in CTest; libFuzzer builds only with POUCH_FUZZ.
foreach(target image-load reference)
  add_executable(fuzz-${target}-corpus ${CMAKE_CURRENT_LIST_DIR}/fuzz-${target}.c
    ${CMAKE_CURRENT_LIST_DIR}/corpus-main.c)
  target_link_libraries(fuzz-${target}-corpus PRIVATE pouch-core pouch-common)
  add_test(NAME fuzz/${target}-corpus
    COMMAND fuzz-${target}-corpus ${CMAKE_CURRENT_LIST_DIR}/corpus/${target})
  set_tests_properties(fuzz/${target}-corpus PROPERTIES LABELS fuzz TIMEOUT 300)
  if(POUCH_FUZZ)
    add_executable(fuzz-${target} ${CMAKE_CURRENT_LIST_DIR}/fuzz-${target}.c)
    target_compile_options(fuzz-${target} PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz-${target} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(fuzz-${target} PRIVATE pouch-core pouch-common)
  endif()
endforeach()
