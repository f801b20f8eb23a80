pouch_integration_test(userns userns.sh TIMEOUT 300)
