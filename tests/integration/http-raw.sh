#!/usr/bin/env bash
# Raw HTTP on the unix socket, byte for byte what dockerd 20.10 answers:
# /_ping headers (GET and HEAD), versioned prefixes, version errors, 404s,
# and event stream headers flushed before any event.
source "$(dirname "$0")/lib.sh"
pouchd_start

# header NAME < headers: value of one response header (case-insensitive name).
header() { tr -d '\r' | awk -v n="$(tr 'A-Z' 'a-z' <<<"$1")" -F': ' 'tolower($1)==n { sub(/^[^:]*: /, ""); print; exit }'; }
status() { tr -d '\r' | awk 'NR==1 { print $2 }'; }

for method in GET HEAD; do
  if [ $method = HEAD ]; then args=(-I); else args=(-D "$T_DIR/h"); fi
  if [ $method = HEAD ]; then
    curl_unix /_ping "${args[@]}" >"$T_DIR/h"
    body=""
  else
    body=$(curl_unix /_ping "${args[@]}")
  fi
  h=$(cat "$T_DIR/h")
  assert_eq 200 "$(status <<<"$h")" "$method /_ping status"
  assert_eq 1.41 "$(header Api-Version <<<"$h")" "$method /_ping Api-Version"
  assert_eq linux "$(header Ostype <<<"$h")" "$method /_ping Ostype"
  assert_eq false "$(header Docker-Experimental <<<"$h")" "$method /_ping Docker-Experimental"
  assert_eq "no-cache, no-store, must-revalidate" "$(header Cache-Control <<<"$h")" "$method /_ping Cache-Control"
  assert_eq no-cache "$(header Pragma <<<"$h")" "$method /_ping Pragma"
  assert_eq "text/plain; charset=utf-8" "$(header Content-Type <<<"$h")" "$method /_ping Content-Type"
  assert_match '^[^/ ]+/[^ ]+ \(linux\)$' "$(header Server <<<"$h")" "$method /_ping Server"
  # dockerd 20.10 sends no Swarm header (API 1.42+ does); if sent, it must be well-formed.
  sw=$(header Swarm <<<"$h")
  [ -z "$sw" ] || assert_eq inactive "$sw" "$method /_ping Swarm"
  if [ $method = GET ]; then
    assert_eq OK "$body" "GET /_ping body"
  else
    assert_eq 0 "$(header Content-Length <<<"$h")" "HEAD /_ping Content-Length"
  fi
done

# Versioned prefixes.
for v in v1.24 v1.30 v1.41; do
  body=$(curl_unix "/$v/version" -D "$T_DIR/h")
  assert_eq 200 "$(status <"$T_DIR/h")" "GET /$v/version status"
  assert_eq application/json "$(header Content-Type <"$T_DIR/h")" "GET /$v/version Content-Type"
  assert_eq 1.41 "$(json_get 'd["ApiVersion"]' <<<"$body")" "GET /$v/version .ApiVersion"
  assert_eq OK "$(curl_unix "/$v/_ping")" "GET /$v/_ping body"
done
diff=$(curl_unix /v1.41/version | python3 "$T_SRC/keyset.py" --compare "$T_SRC/golden/version-keys.api.txt") \
  || fail "/version key set differs from dockerd 20.10's:
$diff"
pass "/version has dockerd 20.10's key set"
diff=$(curl_unix /v1.41/info | python3 "$T_SRC/keyset.py" --compare "$T_SRC/golden/info-keys.api.txt") \
  || fail "/info key set differs from dockerd 20.10's:
$diff"
pass "/info has dockerd 20.10's key set"

body=$(curl_unix /v1.42/version -D "$T_DIR/h")
assert_eq 400 "$(status <"$T_DIR/h")" "GET /v1.42/version status"
assert_eq application/json "$(header Content-Type <"$T_DIR/h")" "GET /v1.42/version Content-Type"
assert_eq '{"message":"client version 1.42 is too new. Maximum supported API version is 1.41"}' "$body" "GET /v1.42/version body"

body=$(curl_unix /v1.23/version -D "$T_DIR/h")
assert_eq 400 "$(status <"$T_DIR/h")" "GET /v1.23/version status"
# dockerd answers clients of API <= 1.23 in plain text, not JSON.
assert_eq "text/plain; charset=utf-8" "$(header Content-Type <"$T_DIR/h")" "GET /v1.23/version Content-Type"
assert_eq 'client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version' "$body" "GET /v1.23/version body"

for p in /nosuch /v1.41/nosuch /v1.41/containers/x/nosuch; do
  body=$(curl_unix "$p" -D "$T_DIR/h")
  assert_eq 404 "$(status <"$T_DIR/h")" "GET $p status"
  assert_eq application/json "$(header Content-Type <"$T_DIR/h")" "GET $p Content-Type"
  assert_eq '{"message":"page not found"}' "$body" "GET $p body"
done

# /events: status and headers come at once, before any event (a client
# waiting for headers must not hang). since=now so no history is replayed.
start=$(date +%s%N)
rc=0
curl -sN --max-time 2 --unix-socket "$POUCH_SOCK" -D "$T_DIR/eh" -o "$T_DIR/eb" \
  "http://d/v1.41/events?since=$(date +%s)&filters=%7B%22type%22%3A%5B%22container%22%5D%7D" || rc=$?
assert_eq 28 "$rc" "curl on /events exit status (28 = still streaming at --max-time)"
assert_eq 200 "$(status <"$T_DIR/eh")" "GET /events status before any event"
assert_eq application/json "$(header Content-Type <"$T_DIR/eh")" "GET /events Content-Type"
assert_eq 1.41 "$(header Api-Version <"$T_DIR/eh")" "GET /events Api-Version"
assert_eq "" "$(cat "$T_DIR/eb")" "GET /events body with nothing to report"

# Headers arrive well before the 2 s cut-off: time to first byte.
ttfb=$(curl -sN --max-time 2 --unix-socket "$POUCH_SOCK" -o /dev/null -w '%{time_starttransfer}' \
  "http://d/v1.41/events?since=$(date +%s)" || true)
python3 -c "import sys; sys.exit(0 if 0 < float('$ttfb') < 1.0 else 1)" \
  || fail "GET /events time to first byte: expected < 1 s, got ${ttfb}s"
pass "GET /events headers after ${ttfb}s"

# A malformed filters parameter is an error with a JSON message, not a hang
# (dockerd 20.10 answers 500, later releases 400).
body=$(curl_unix '/v1.41/events?filters=notjson' -D "$T_DIR/h" --max-time 5)
assert_match '^(400|500)$' "$(status <"$T_DIR/h")" "GET /events?filters=notjson status"
assert_match '^\{"message":".+"\}$' "$body" "GET /events?filters=notjson body"

pouchd_stop
