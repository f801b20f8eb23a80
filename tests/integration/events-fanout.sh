#!/usr/bin/env bash
# 256 concurrent event streams (raw curl) plus a few docker CLI ones: pouchd
# keeps answering other requests, every stream gets the next reload event,
# and the listeners go away when the clients do.
source "$(dirname "$0")/lib.sh"
N=${POUCH_TEST_STREAMS:-256}
NCLI=4
DOCKER=$(find_docker28)
[ -n "$DOCKER" ] || { log "no docker CLI >= 23: running the raw curl streams only"; NCLI=0; }

pouchd_start
base=$(curl_unix /info | json_get 'd["NEventsListener"]')
mkdir -p "$T_DIR/s"
since=$T_START_SECS
for ((i = 0; i < N; i++)); do
  curl -sN --unix-socket "$POUCH_SOCK" "http://d/v1.41/events?since=$since" >"$T_DIR/s/$i" 2>/dev/null &
  bg_track $!
done
for ((i = 0; i < NCLI; i++)); do
  "$DOCKER" events --since "$since" --format '{{json .}}' >"$T_DIR/s/cli$i" 2>"$T_DIR/s/cli$i.err" &
  bg_track $!
done
total=$((N + NCLI))
count_with() { grep -l -- "$1" "$T_DIR"/s/* 2>/dev/null | grep -vc '\.err$' || true; }
all_have() { [ "$(count_with "$1")" -ge "$total" ]; }
wait_until 60 "all $total streams to replay the plugin enable event (have $(count_with enable))" all_have '"enable"'
pass "$total streams subscribed"

info=$(curl_unix /info)
listeners=$(json_get 'd["NEventsListener"]' <<<"$info")
[ "$listeners" -ge $((base + total)) ] || fail "info .NEventsListener with $total streams open: expected >= $((base + total)), got $listeners"
pass "info .NEventsListener = $listeners"

if [ -n "$DOCKER" ]; then
  run_capture out err rc timeout 20 "$DOCKER" version --format '{{.Server.APIVersion}}'
  assert_eq "0 1.41" "$rc $out" "docker version while $total streams are open (rc, API version; stderr: $err)"
fi
assert_eq OK "$(curl -s --max-time 20 --unix-socket "$POUCH_SOCK" http://d/_ping)" "GET /_ping while $total streams are open"

kill -HUP "$POUCHD_PID"
deadline=$(( $(date +%s) + 30 ))
while ! all_have '"reload"'; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "after 30 s only $(count_with '"reload"') of $total streams got the reload event"
  sleep 0.2
done
pass "all $total streams got the reload event"

# Clients leave: pouchd must notice and drop them.
for pid in "${T_BG_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "${T_BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
T_BG_PIDS=()
drained() { [ "$(curl_unix /info | json_get 'd["NEventsListener"]')" -le "$base" ]; }
wait_until 20 "info .NEventsListener to fall back to $base after the clients left" drained
pass "listeners released"
assert_eq OK "$(curl_unix /_ping)" "GET /_ping after the streams closed"

pouchd_stop
