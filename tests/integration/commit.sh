#!/usr/bin/env bash
# docker commit through the docker CLI (28, or 20.10 with argument "20"):
# -m/-a/--change, the new layer (whiteouts and opaque dirs included) seen by
# docker run of the committed image, docker history, the merged config, the
# "commit" event, a commit without changes (no new layer, empty_layer), and
# docker save of the result loading into another engine (POUCH_TEST_INTEROP,
# or the reference dockerd when it runs) or else back into this one.
# Runs against a private pouchd, or POUCH_TEST_AGAINST=unix://... (dockerd).
source "$(dirname "$0")/containers-lib.sh"

GEN=${1:-28}
ct_client "$GEN"
ct_engine
ct_images busybox
IMG="pt-commit-${CT_RUN}"
CT_RMI+=("$IMG:v1" "$IMG:v2" "$IMG:v3")
api() { curl -s --max-time 20 --unix-socket "$ENGINE_SOCK" "$@"; }

C=${CT_PFX}commit
drun -d --name "$C" -e FROMRUN=1 busybox sh -c 'echo new > /added; echo more >> /etc/passwd; rm /bin/ls; rm -rf /home; rm -rf /var && mkdir /var && touch /var/new; mkdir -p /opq; touch /opq/a; sleep 600' >/dev/null \
  || fail "docker run $C"
wait_until 20 "$C made its changes" bash -c "$DOCKER exec $C test -f /opq/a"
since=$(date +%s)
out=$(D commit -m "my message" -a "me <me@example.com>" --change 'ENV X=1' --change 'CMD ["sh", "-c", "echo cmd:$X:$FROMRUN"]' "$C" "$IMG:v1") \
  || fail "docker commit: $out"
check_match '^sha256:[0-9a-f]{64}$' "$out" "docker commit prints the new image ID"
check_eq "$out" "$(D image inspect -f '{{.Id}}' "$IMG:v1")" "the committed image is tagged $IMG:v1"
check_eq "cmd:1:1" "$(drun --rm "$IMG:v1")" "docker run of the committed image: --change CMD and ENV, the container's own env kept"
check_eq "new|more|absent|absent" "$(drun --rm "$IMG:v1" sh -c 'cat /added; tail -1 /etc/passwd; [ -e /bin/ls ] && echo present || echo absent; [ -e /home ] && echo present || echo absent' | paste -sd'|')" \
  "the committed layer: an added file, a modified file, deletions (whiteouts)"
check_eq "new|absent" "$(drun --rm "$IMG:v1" sh -c 'ls /var; [ -e /var/cache ] && echo present || echo absent' | paste -sd'|')" \
  "a directory removed and made again (opaque) hides the image's contents in the committed image"
check_eq "my message|me <me@example.com>" "$(D image inspect -f '{{.Comment}}|{{.Author}}' "$IMG:v1")" "image inspect: Comment and Author"
base_layers=$(D image inspect -f '{{len .RootFS.Layers}}' busybox)
check_eq "$((base_layers + 1))" "$(D image inspect -f '{{len .RootFS.Layers}}' "$IMG:v1")" "the committed image has one more layer than busybox"
hist=$(D history --no-trunc --format '{{.Comment}}|{{.CreatedBy}}' "$IMG:v1" | head -1)
check_contains "$hist" "my message|" "docker history: the newest entry carries the commit message"
check_contains "$(D image inspect -f '{{json .Config.Env}}' "$IMG:v1")" '"X=1"' "the new config has ENV X=1"
check_contains "$(D image inspect -f '{{json .Config.Env}}' "$IMG:v1")" '"FROMRUN=1"' "the new config keeps the container's env"
ev=$(D events --since "$since" --until "$(date +%s)" --filter event=commit --format '{{.Action}} {{.Actor.Attributes.comment}}' 2>&1)
check_contains "$ev" "commit my message" "a commit event with its comment"

# --pause=false, no changes on a fresh container: no layer, empty_layer history
F=${CT_PFX}fresh
dcreate --name "$F" busybox true >/dev/null || fail "docker create $F"
id2=$(D commit --pause=false "$F" "$IMG:v2") || fail "docker commit of an unchanged container: $id2"
check_eq "$base_layers" "$(D image inspect -f '{{len .RootFS.Layers}}' "$IMG:v2")" "commit without changes adds no layer"
check_eq "0B" "$(D history --format '{{.Size}}' "$IMG:v2" | head -1)" "commit without changes: history size 0B"

# the raw API: status 201 and {"Id"}; a missing container is a 404
code=$(api -o "$T_DIR/.body" -w '%{http_code}' -X POST "http://d/v1.41/commit?container=$C&repo=$IMG&tag=v3&comment=raw")
check_eq 201 "$code" "POST /commit: status"
check_match '^\{"Id":"sha256:[0-9a-f]{64}"\}$' "$(cat "$T_DIR/.body")" "POST /commit: body"
code=$(api -o "$T_DIR/.body" -w '%{http_code}' -X POST "http://d/v1.41/commit?container=${CT_PFX}nosuch")
check_eq 404 "$code" "POST /commit of a missing container: status"
check_eq "No such container: ${CT_PFX}nosuch" "$(json_get 'd["message"]' <"$T_DIR/.body")" "POST /commit of a missing container: message"

# docker save of the committed image loads elsewhere
D save -o "$T_DIR/c.tar" "$IMG:v1" || fail "docker save $IMG:v1"
# another engine: POUCH_TEST_INTEROP, else the shared reference dockerd if it answers
OTHER=${POUCH_TEST_INTEROP:-}
if [ -z "$OTHER" ] && ping_unix /tmp/reference-dockerd/docker.sock; then OTHER=unix:///tmp/reference-dockerd/docker.sock; fi
if [ -n "$OTHER" ] && [ "$CT_REF" = 0 ]; then
  other() { DOCKER_HOST=$OTHER timeout -k 5 60 "$DOCKER" "$@"; }
  other load -i "$T_DIR/c.tar" >/dev/null || fail "loading pouch's committed image into $OTHER"
  check_eq "cmd:1:1|new" "$(other run --rm --network none "$IMG:v1" | paste -sd'|')$(other run --rm --network none "$IMG:v1" cat /added | sed 's/^/|/')" \
    "the committed image runs in $OTHER"
  other rmi "$IMG:v1" >/dev/null 2>&1 || true
else
  D rmi "$IMG:v1" >/dev/null || fail "docker rmi $IMG:v1"
  D load -i "$T_DIR/c.tar" >/dev/null || fail "docker load of the saved committed image"
  check_eq "cmd:1:1" "$(drun --rm "$IMG:v1")" "the saved and re-loaded committed image runs"
fi

ct_done
