# Container integration tests (included from tests/integration/CMakeLists.txt).
# Each script runs against a private pouchd started with
# --plugins=moby-api,runtime-ns,log-json-file,log-none; with
# POUCH_TEST_AGAINST=unix:///... in the environment it runs against that
# engine instead (the reference dockerd), to check the test itself.
# POUCH_TEST_CYCLES sets the leak check's create/start/rm cycles (default 100).
pouch_integration_test(containers-28 containers.sh 28 TIMEOUT 300)
pouch_integration_test(containers-20.10 containers.sh 20 TIMEOUT 180)
pouch_integration_test(containers-lifecycle containers-lifecycle.sh TIMEOUT 600)
pouch_integration_test(containers-restart containers-restart.sh TIMEOUT 300)
pouch_integration_test(containers-live-restore containers-live-restore.sh TIMEOUT 300)
pouch_integration_test(containers-python containers-python.sh TIMEOUT 180)
pouch_integration_test(containers-security containers-security.sh TIMEOUT 300)
pouch_integration_test(containers-inspect-golden containers-inspect-golden.sh TIMEOUT 120)
