# seccomp end to end (included from tests/integration/CMakeLists.txt): the
# default profile, capabilities, unconfined/--privileged, custom and bad
# profiles, with docker CLI 28 and 20.10. Needs the static probe built in
# tests/security.
pouch_integration_test(seccomp seccomp.sh TIMEOUT 600)
set_property(TEST integration/seccomp APPEND PROPERTY ENVIRONMENT "POUCH_PROBE=$<TARGET_FILE:probe>")
