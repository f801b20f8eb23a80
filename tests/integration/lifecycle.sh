#!/usr/bin/env bash
# pouchd as an operator sees it: readiness via NOTIFY_SOCKET, the pidfile,
# one daemon per data root, clean SIGTERM, config file errors and precedence,
# SIGHUP reloading the file, plugin selection and listing.
source "$(dirname "$0")/lib.sh"

# --- READY=1 on NOTIFY_SOCKET, pidfile -----------------------------------
NOTIFY=$T_DIR/notify.sock
python3 - "$NOTIFY" "$T_DIR/notify.out" "$T_READY_SECS" <<'PYEOF' &
import socket, sys, time
path, out, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
open(out + ".bound", "w").close()
s.settimeout(0.2)
deadline = time.time() + secs
msgs = []
while time.time() < deadline:
    try:
        msgs.append(s.recv(4096).decode(errors="replace"))
    except socket.timeout:
        continue
    if any("READY=1" in m.split("\n") for m in msgs):
        break
with open(out, "w") as f:
    f.write("\n".join(msgs) + "\n")
PYEOF
lpid=$!; bg_track "$lpid"
wait_until 5 "the NOTIFY_SOCKET listener to bind" test -e "$T_DIR/notify.out.bound"
NOTIFY_SOCKET=$NOTIFY pouchd_start
wait_exit "$lpid" "$T_READY_SECS"
assert_eq 0 "$WAIT_RC" "NOTIFY_SOCKET listener exit status"
notes=$(cat "$T_DIR/notify.out")
assert_match '^READY=1$' "$notes" "datagrams on NOTIFY_SOCKET"
mp=$(sed -n 's/^MAINPID=//p' <<<"$notes")
[ -z "$mp" ] || assert_eq "$POUCHD_PID" "$mp" "MAINPID= on NOTIFY_SOCKET"
assert_eq "$POUCHD_PID" "$(tr -d '[:space:]' <"$T_DIR/pouchd.pid")" "pidfile content"

# --- a second daemon on the same data root is refused ---------------------
pouchd_spawn second --plugin-dir "$POUCH_PLUGIN_DIR" --config-file "$POUCH_CONFIG" \
  --data-root "$POUCH_ROOT" --exec-root "$T_DIR/exec2" -H "unix://$T_DIR/second.sock" \
  --pidfile "$T_DIR/second.pid"
wait_exit "$SPAWN_PID" 10
[ "$WAIT_RC" != 124 ] || fail "a second pouchd on data root $POUCH_ROOT was still running after 10 s (expected it to refuse)"
assert_ne 0 "$WAIT_RC" "second pouchd on the same data root: exit status"
msg=$(cat "$T_DIR/second.log")
[ -n "$msg" ] || fail "second pouchd on the same data root exited $WAIT_RC without a message"
grep -qE "$POUCH_ROOT|already|in use|lock" <<<"$msg" \
  || fail "second pouchd's message names neither the data root nor the conflict: $msg"
pass "second pouchd refused: $(head -n1 <<<"$msg")"
assert_eq OK "$(curl_unix /_ping)" "the first pouchd still answers after the refused start"
[ ! -S "$T_DIR/second.sock" ] || fail "the refused pouchd left its socket $T_DIR/second.sock"

# --- SIGTERM: exit 0, socket gone ----------------------------------------
pid=$POUCHD_PID
pouchd_stop
pass "SIGTERM: pouchd $pid exited 0"
assert_file_absent "$POUCH_SOCK" "socket file after SIGTERM"
rc=0; curl -s --max-time 2 --unix-socket "$POUCH_SOCK" http://d/_ping >/dev/null || rc=$?
assert_ne 0 "$rc" "curl to the socket after SIGTERM"

# SIGINT stops it cleanly too.
pouchd_start
pid=$POUCHD_PID
kill -INT "$pid"; wait_exit "$pid" "$T_STOP_SECS"; POUCHD_PID=
assert_eq 0 "$WAIT_RC" "exit status after SIGINT"
assert_file_absent "$POUCH_SOCK" "socket file after SIGINT"

# --- config file: syntax error -------------------------------------------
bad=$T_DIR/bad.json
printf '{\n  "debug": true,\n  "log-level": \n}\n' >"$bad"
run_capture out err rc timeout 10 "$POUCHD" --plugin-dir "$POUCH_PLUGIN_DIR" --config-file "$bad" \
  --data-root "$T_DIR/root-bad" --exec-root "$T_DIR/exec-bad" -H "unix://$T_DIR/bad.sock"
[ "$rc" != 124 ] || fail "pouchd with a broken config file was still running after 10 s"
assert_ne 0 "$rc" "pouchd --config-file <JSON syntax error>: exit status"
assert_match "$bad:[34]:[0-9]+" "$err" "stderr for a config file with a JSON syntax error (file:line:column)"
assert_eq 1 "$(grep -c . <<<"$err")" "stderr line count for a config syntax error"
[ ! -S "$T_DIR/bad.sock" ] || fail "pouchd with a broken config left a socket behind"

# A missing config file named on the command line is an error, not a default.
run_capture out err rc timeout 10 "$POUCHD" --plugin-dir "$POUCH_PLUGIN_DIR" --config-file "$T_DIR/nosuch.json" \
  --data-root "$T_DIR/root-bad" --exec-root "$T_DIR/exec-bad" -H "unix://$T_DIR/bad.sock"
assert_ne 0 "$rc" "pouchd --config-file <missing file>: exit status"
assert_contains "$err" "$T_DIR/nosuch.json" "stderr for a missing config file"

# --- config file values, flag precedence, SIGHUP reload ------------------
POUCH_CONFIG=$T_DIR/debug.json
echo '{"debug": true}' >"$POUCH_CONFIG"
pouchd_start
assert_eq true "$(curl_unix /info | json_get 'd["Debug"]')" "info .Debug with config {\"debug\": true}"
pouchd_stop

echo "{\"debug\": false, \"data-root\": \"$T_DIR/file-root\"}" >"$POUCH_CONFIG"
pouchd_start -D
info=$(curl_unix /info)
assert_eq true "$(json_get 'd["Debug"]' <<<"$info")" "info .Debug with config debug=false and flag -D"
assert_eq "$POUCH_ROOT" "$(json_get 'd["DockerRootDir"]' <<<"$info")" "info .DockerRootDir with data-root in config and --data-root flag"
pouchd_stop

echo '{"debug": false}' >"$POUCH_CONFIG"
pouchd_start
assert_eq false "$(curl_unix /info | json_get 'd["Debug"]')" "info .Debug with config {\"debug\": false}"
echo '{"debug": true}' >"$POUCH_CONFIG"
kill -HUP "$POUCHD_PID"
debug_on() { [ "$(curl_unix /info | json_get 'd["Debug"]')" = true ]; }
wait_until 10 "info .Debug to become true after editing the config and kill -HUP" debug_on
pass "SIGHUP reloaded debug=true from the config file"
# A broken file on reload keeps the running daemon and its settings.
printf '{ "debug": \n' >"$POUCH_CONFIG"
kill -HUP "$POUCHD_PID"
sleep 1
alive "$POUCHD_PID" || fail "pouchd died on SIGHUP with a broken config file"
assert_eq OK "$(curl_unix /_ping)" "GET /_ping after SIGHUP with a broken config file"
assert_eq true "$(curl_unix /info | json_get 'd["Debug"]')" "info .Debug kept after a failed reload"
pouchd_stop
POUCH_CONFIG=$T_DIR/pouchd.json

# --- plugin selection ----------------------------------------------------
run_capture out err rc timeout 10 "$POUCHD" --plugins=nosuch --plugin-dir "$POUCH_PLUGIN_DIR" \
  --config-file "$POUCH_CONFIG" --data-root "$T_DIR/root-np" --exec-root "$T_DIR/exec-np" -H "unix://$T_DIR/np.sock"
[ "$rc" != 124 ] || fail "pouchd --plugins=nosuch was still running after 10 s"
assert_ne 0 "$rc" "pouchd --plugins=nosuch: exit status"
assert_contains "$err" "nosuch" "stderr of pouchd --plugins=nosuch"
assert_contains "$err" "moby-api" "stderr of pouchd --plugins=nosuch (names the known plugins)"

run_capture out err rc timeout 10 "$POUCHD" plugins --plugin-dir "$POUCH_PLUGIN_DIR"
assert_eq 0 "$rc" "pouchd plugins exit status (stderr: $err)"
line=$(grep -w moby-api <<<"$out" || true)
[ -n "$line" ] || fail "pouchd plugins does not list moby-api:
$out"
assert_contains "$line" "frontend" "pouchd plugins line for moby-api (kind)"
assert_contains "$line" "$POUCH_PLUGIN_DIR/moby-api.so" "pouchd plugins line for moby-api (file)"
assert_match '[0-9]+\.[0-9]+' "$line" "pouchd plugins line for moby-api (versions)"

# Explicit --plugins=moby-api starts like the default set.
pouchd_start --plugins=moby-api
assert_eq OK "$(curl_unix /_ping)" "GET /_ping with --plugins=moby-api"
pouchd_stop
