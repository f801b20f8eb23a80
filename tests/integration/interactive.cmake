# Interactive containers (pty, attach, detach keys, start -ai): interactive.sh
# drives interactive.py with docker CLI 28 (every case) and 20.10 (run -it,
# detach/attach, start -ai). POUCH_TEST_AGAINST=unix://... runs it against dockerd.
pouch_integration_test(interactive-28 interactive.sh 28 TIMEOUT 480)
pouch_integration_test(interactive-20.10 interactive.sh 20 TIMEOUT 300)
