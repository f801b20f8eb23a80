# fuzz-log-json-file: include()d by tests/fuzz/CMakeLists.txt. The json-file
# line parser reads log files that anything with write access to the data
# root may have altered. Always builds a corpus-replay executable (CTest
# fuzz/log-json-file-corpus); with POUCH_FUZZ (clang) also the libFuzzer
# target, with the codec sources instrumented.
set(LOG_JSON_FILE_FUZZ_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/fuzz-log-json-file.c
  ${PROJECT_SOURCE_DIR}/plugins/log/json-line.c
  ${PROJECT_SOURCE_DIR}/plugins/log/log-time.c)

add_executable(fuzz-log-json-file-corpus ${LOG_JSON_FILE_FUZZ_SOURCES} ${CMAKE_CURRENT_LIST_DIR}/corpus-main.c)
target_include_directories(fuzz-log-json-file-corpus PRIVATE ${PROJECT_SOURCE_DIR}/plugins/log)
target_link_libraries(fuzz-log-json-file-corpus PRIVATE pouch-common pouch-plugin-api)
add_test(NAME fuzz/log-json-file-corpus
  COMMAND fuzz-log-json-file-corpus ${CMAKE_CURRENT_LIST_DIR}/corpus/log-json-file)
set_tests_properties(fuzz/log-json-file-corpus PROPERTIES LABELS fuzz TIMEOUT 120)

if(POUCH_FUZZ)
  add_executable(fuzz-log-json-file ${LOG_JSON_FILE_FUZZ_SOURCES})
  target_include_directories(fuzz-log-json-file PRIVATE ${PROJECT_SOURCE_DIR}/plugins/log)
  target_compile_options(fuzz-log-json-file PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz-log-json-file PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz-log-json-file PRIVATE pouch-common pouch-plugin-api)
endif()
