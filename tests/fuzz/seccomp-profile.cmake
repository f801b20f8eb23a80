# fuzz-seccomp-profile: include()d by tests/fuzz/CMakeLists.txt. Seccomp
# profiles arrive from any API client in HostConfig.SecurityOpt; the engine
# parses and translates them (engine/containers/seccomp.c). Corpus replay
# always runs in CTest (fuzz/seccomp-profile-corpus); the libFuzzer target
# only with POUCH_FUZZ (clang).
add_executable(fuzz-seccomp-profile-corpus ${CMAKE_CURRENT_LIST_DIR}/fuzz-seccomp-profile.c
  ${CMAKE_CURRENT_LIST_DIR}/corpus-main.c)
target_link_libraries(fuzz-seccomp-profile-corpus PRIVATE pouch-core pouch-common)
add_test(NAME fuzz/seccomp-profile-corpus
  COMMAND fuzz-seccomp-profile-corpus ${CMAKE_CURRENT_LIST_DIR}/corpus/seccomp-profile)
set_tests_properties(fuzz/seccomp-profile-corpus PROPERTIES LABELS fuzz TIMEOUT 120)

if(POUCH_FUZZ)
  add_executable(fuzz-seccomp-profile ${CMAKE_CURRENT_LIST_DIR}/fuzz-seccomp-profile.c
    ${PROJECT_SOURCE_DIR}/engine/containers/seccomp.c ${PROJECT_SOURCE_DIR}/engine/containers/seccomp-default.c)
  target_compile_options(fuzz-seccomp-profile PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz-seccomp-profile PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz-seccomp-profile PRIVATE pouch-core pouch-common)
endif()
