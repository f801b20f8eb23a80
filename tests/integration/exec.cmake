# Exec and running-container operations (included from tests/integration/CMakeLists.txt):
# docker exec (CLI 28 and 20.10), pause/unpause/update/stats/top, and python3-docker's
# exec_run/pause/update/stats/top. Each runs against a private pouchd, or with
# POUCH_TEST_AGAINST=unix:///... against that engine (the reference dockerd).
pouch_integration_test(exec-28 exec.sh 28 TIMEOUT 300)
pouch_integration_test(exec-20.10 exec.sh 20 TIMEOUT 300)
pouch_integration_test(containers-ops containers-ops.sh TIMEOUT 300)
pouch_integration_test(exec-python exec-python.sh TIMEOUT 180)
