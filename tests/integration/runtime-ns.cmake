# runtime-ns: pouch-shim and runtime-ns.so driven directly (no pouchd needed).
pouch_integration_test(runtime-ns runtime-ns.sh TIMEOUT 240)
# ABI 1.1 methods (exec, pause/resume, update, stats, pids) through the plugin.
pouch_integration_test(runtime-ns-ops runtime-ns-ops.sh TIMEOUT 300)
