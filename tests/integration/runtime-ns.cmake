# runtime-ns: pouch-shim and runtime-ns.so driven directly (no pouchd needed).
pouch_integration_test(runtime-ns runtime-ns.sh TIMEOUT 240)
