# docker cp / export / diff / commit tests (included from tests/integration/CMakeLists.txt).
# Each script runs against a private pouchd, or with POUCH_TEST_AGAINST=unix:///...
# against that engine (the reference dockerd) to check the test itself.
pouch_integration_test(cp-28 cp.sh 28 TIMEOUT 600)
pouch_integration_test(cp-20.10 cp.sh 20 TIMEOUT 600)
pouch_integration_test(commit-28 commit.sh 28 TIMEOUT 300)
pouch_integration_test(commit-20.10 commit.sh 20 TIMEOUT 300)
pouch_integration_test(cp-python cp-python.sh TIMEOUT 300)
