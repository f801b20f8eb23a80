#!/usr/bin/env bash
# docker events against pouchd: history (--since/--until) holds the plugin
# enable events and returns; a live stream gets the daemon reload that
# SIGHUP causes; filters select like dockerd's.
source "$(dirname "$0")/lib.sh"
need_docker28

pouchd_start
# Let the daemon's start-up events fall in the past before we ask for them.
sleep 1
now=$(date +%s.%N)

# --since 0 --until now: the enable event of each loaded plugin, then exit.
run_capture out err rc timeout 20 "$DOCKER" events --since 0 --until "$now" --format '{{json .}}'
[ "$rc" != 124 ] || fail "docker events --since 0 --until $now did not return within 20 s"
assert_eq 0 "$rc" "docker events --since 0 --until now exit status (stderr: $err)"
got=$(python3 -c '
import json, sys
for line in sys.stdin:
    if not line.strip(): continue
    e = json.loads(line)
    if e.get("Type") == "plugin" and e.get("Action") == "enable":
        a = e.get("Actor") or {}
        print(a.get("ID"), e.get("scope"), "time" in e and "timeNano" in e)
' <<<"$out")
assert_contains "$got" "moby-api local True" "plugin enable events (Actor.ID scope has-time) in history"
history_count=$(grep -c . <<<"$out" || true)

# Human format, as users read it: '<time> plugin enable moby-api ...'.
run_capture out err rc timeout 20 "$DOCKER" events --since 0 --until "$now"
assert_eq 0 "$rc" "docker events (default format) exit status (stderr: $err)"
assert_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z plugin enable moby-api' "$out" "docker events default format"

# Live stream: started with --since before the daemon, so the replayed enable
# event proves it is subscribed; then SIGHUP must reach it live.
stream=$T_DIR/stream.json
"$DOCKER" events --since "$T_START_SECS" --format '{{json .}}' >"$stream" 2>"$T_DIR/stream.err" &
spid=$!; bg_track "$spid"
wait_until 10 "streaming docker events to replay the plugin enable event" grep -q '"enable"' "$stream"
assert_eq "" "$(grep '"reload"' "$stream" || true)" "reload events before SIGHUP"
hup_time=$(date +%s)
kill -HUP "$POUCHD_PID"
wait_until 10 "a daemon reload event on the live stream after kill -HUP $POUCHD_PID" grep -q '"reload"' "$stream"
ev=$(grep '"reload"' "$stream" | head -n1)
assert_eq daemon "$(json_get 'd["Type"]' <<<"$ev")" "reload event .Type"
assert_eq reload "$(json_get 'd["Action"]' <<<"$ev")" "reload event .Action"
assert_eq local "$(json_get 'd["scope"]' <<<"$ev")" "reload event .scope"
t=$(json_get 'd["time"]' <<<"$ev")
[ "$t" -ge $((hup_time - 1)) ] && [ "$t" -le $(($(date +%s) + 1)) ] \
  || fail "reload event .time: expected about $hup_time, got $t"
pass "reload event .time = $t"
tn=$(json_get 'd["timeNano"]' <<<"$ev")
assert_eq "$t" "${tn:0:${#t}}" "reload event .timeNano's seconds"
alive "$spid" || fail "the streaming docker events client exited: $(cat "$T_DIR/stream.err")"
pass "streaming client still connected"
kill "$spid"; wait "$spid" 2>/dev/null || true

sleep 1
now=$(date +%s.%N)
# Filters, each checked against what dockerd returns for the same query.
ev_lines() {
  local rc=0
  timeout 20 "$DOCKER" events --since 0 --until "$now" --format '{{.Type}}/{{.Action}}' "$@" 2>"$T_DIR/ev.err" || rc=$?
  [ $rc = 0 ] || fail "docker events --since 0 --until $now $*: exit status $rc: $(cat "$T_DIR/ev.err")"
}
all=$(ev_lines)
assert_contains "$all" "plugin/enable" "unfiltered history"
assert_contains "$all" "daemon/reload" "unfiltered history"

out=$(ev_lines --filter type=daemon)
assert_eq "daemon/reload" "$(sort -u <<<"$out")" "events --filter type=daemon"
out=$(ev_lines --filter event=reload)
assert_eq "daemon/reload" "$(sort -u <<<"$out")" "events --filter event=reload"
out=$(ev_lines --filter type=plugin)
assert_eq "plugin/enable" "$(sort -u <<<"$out")" "events --filter type=plugin"
out=$(ev_lines --filter type=daemon --filter event=enable)
assert_eq "" "$out" "events --filter type=daemon --filter event=enable (matches nothing)"
out=$(ev_lines --filter type=container)
assert_eq "" "$out" "events --filter type=container (matches nothing)"
out=$(ev_lines --filter event=reload --filter event=enable | sort -u | tr '\n' ' ')
assert_eq "daemon/reload plugin/enable " "$out" "events --filter event=reload --filter event=enable (OR within a key)"

# --until in the past relative to the reload: only the start-up events.
out=$(timeout 20 "$DOCKER" events --since 0 --until "$((hup_time - 1))" --format '{{.Type}}/{{.Action}}' | sort -u)
assert_not_contains "$out" "daemon/reload" "events --until before the reload"

# A stream filtered on type=daemon sees the next reload but no other type.
"$DOCKER" events --since "$now" --filter type=daemon --format '{{json .}}' >"$T_DIR/f.json" 2>&1 &
fpid=$!; bg_track "$fpid"
"$DOCKER" events --since "$now" --filter type=container --format '{{json .}}' >"$T_DIR/none.json" 2>&1 &
npid=$!; bg_track "$npid"
sleep 1
kill -HUP "$POUCHD_PID"
wait_until 10 "the type=daemon stream to get the second reload" grep -q '"reload"' "$T_DIR/f.json"
sleep 0.5
assert_eq "" "$(cat "$T_DIR/none.json")" "output of a live stream filtered on type=container"
alive "$npid" || fail "the type=container stream exited early"

pouchd_stop
