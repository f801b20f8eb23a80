#!/usr/bin/env bash
# The shape of a container as dockerd 20.10 shows it: the key paths of
# GET /containers/{id}/json (docker inspect) for a running container started
# with --network none, for a created one and an exited one, and of an entry
# of GET /containers/json (docker ps), compared with golden lists captured
# from dockerd. Objects are walked, arrays are not; maps keyed by data
# (labels, ports, log options, graph driver data) are not walked, and the
# networks map is walked through its one entry as "*". Also the types the
# clients rely on: NetworkSettings.Networks an object (never null), Mounts
# an array (never null), State fields.
#
# To refresh the golden lists from a dockerd:
#   POUCH_TEST_AGAINST=unix:///tmp/reference-dockerd/docker.sock \
#     tests/integration/containers-inspect-golden.sh --update
source "$(dirname "$0")/containers-lib.sh"

UPDATE=0; [ "${1:-}" = --update ] && UPDATE=1
[ $UPDATE = 0 ] || [ "$CT_REF" = 1 ] || fail "--update captures from dockerd: set POUCH_TEST_AGAINST"
ct_client 28
ct_engine
ct_images busybox
P=$CT_PFX
G=$T_SRC/golden

keys() {
  python3 -c '
import json, sys
MAPS = {"Config.Labels", "Config.Volumes", "Config.ExposedPorts", "NetworkSettings.Ports",
        "HostConfig.PortBindings", "HostConfig.LogConfig.Config", "GraphDriver.Data",
        "HostConfig.Tmpfs", "HostConfig.StorageOpt", "HostConfig.Sysctls", "Labels", "Ports"}
WILD = {"NetworkSettings.Networks"}
def walk(o, pre):
    for k, v in o.items():
        p = pre + k
        yield p
        if isinstance(v, dict) and p not in MAPS:
            if p in WILD:
                for sub in v.values():
                    if isinstance(sub, dict):
                        yield from walk(sub, p + ".*.")
            else:
                yield from walk(v, p + ".")
d = json.load(sys.stdin)
if isinstance(d, list):
    d = d[0]
print("\n".join(sorted(set(walk(d, "")))))'
}
api() { curl -s --max-time 20 --unix-socket "$ENGINE_SOCK" "http://d/v1.41$1"; }
compare() {   # compare GOLDEN WHAT  (keys on stdin)
  local got; got=$(cat)
  if [ $UPDATE = 1 ]; then
    { echo "# $2: key paths from dockerd $(D version -f '{{.Server.Version}}') (API 1.41), see containers-inspect-golden.sh"; echo "$got"; } >"$G/$1"
    log "wrote $G/$1"; return 0
  fi
  [ -f "$G/$1" ] || { defect "no golden file $G/$1"; return 0; }
  local diff
  diff=$(diff <(grep -v '^#' "$G/$1") <(echo "$got") | grep '^[<>]' | sed 's/^</missing:/; s/^>/extra:  /') || true
  if [ -z "$diff" ]; then pass "$2: key set equals dockerd's ($1)"; else defect "$2: key set differs from dockerd's ($1):${diff//$'\n'/; }"; fi
}

id=$(drun -d --name "${P}run" busybox sleep 300) || fail "docker run -d failed"
api "/containers/$id/json" | keys | compare container-inspect-keys.running.txt "inspect of a running container"
[ $UPDATE = 1 ] || D inspect "$id" | keys | compare container-inspect-keys.running.txt "docker inspect (CLI) of a running container"
api "/containers/json?filters=%7B%22id%22%3A%5B%22$id%22%5D%7D" | keys | compare container-list-keys.txt "GET /containers/json entry"
cid=$(dcreate --name "${P}created" busybox true) || fail "docker create failed"
api "/containers/$cid/json" | keys | compare container-inspect-keys.created.txt "inspect of a created container"
eid=$(dcreate --name "${P}exited" busybox sh -c 'exit 4') || fail "docker create failed"
D start "$eid" >/dev/null; D wait "$eid" >/dev/null || true
api "/containers/$eid/json" | keys | compare container-inspect-keys.exited.txt "inspect of an exited container"

if [ $UPDATE = 0 ]; then
  j=$(api "/containers/$id/json")
  check_eq "dict" "$(json_get 'type(d["NetworkSettings"]["Networks"]).__name__' <<<"$j")" "NetworkSettings.Networks is an object"
  check_eq '["none"]' "$(json_get 'sorted(d["NetworkSettings"]["Networks"])' <<<"$j")" "--network none: the networks map"
  check_eq "list" "$(json_get 'type(d["Mounts"]).__name__' <<<"$j")" "Mounts is an array"
  for c in "$cid" "$eid"; do
    jc=$(api "/containers/$c/json")
    check_eq "dict list" "$(json_get 'type(d["NetworkSettings"]["Networks"]).__name__ + " " + type(d["Mounts"]).__name__' <<<"$jc")" "Networks/Mounts types of $(json_get 'd["State"]["Status"]' <<<"$jc")"
  done
  check_eq "running True False False False False 0 True" "$(json_get '" ".join(str(d["State"][k]) for k in ["Status","Running","Paused","Restarting","OOMKilled","Dead","ExitCode"]) + " " + str(d["State"]["Pid"] > 0)' <<<"$j")" "State of a running container"
  check_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]+Z$' "$(json_get 'd["State"]["StartedAt"]' <<<"$j")" "State.StartedAt format"
  check_eq "0001-01-01T00:00:00Z" "$(json_get 'd["State"]["FinishedAt"]' <<<"$j")" "State.FinishedAt of a running container"
  check_eq "/${P}run busybox sha256 none" "$(json_get '" ".join([d["Name"], d["Config"]["Image"], d["Image"][:6], d["HostConfig"]["NetworkMode"]])' <<<"$j")" "Name/Config.Image/Image/NetworkMode"
  check_eq "['sleep', '300'] sleep ['300'] None" "$(json_get 'str(d["Config"]["Cmd"]) + " " + d["Path"] + " " + str(d["Args"]) + " " + str(d["Config"]["Entrypoint"])' <<<"$j")" "Config.Cmd/Path/Args/Entrypoint"
  check_eq "True True" "$(json_get 'str(d["ResolvConfPath"].endswith("/resolv.conf")) + " " + str(d["HostnamePath"].endswith("/hostname"))' <<<"$j")" "ResolvConfPath/HostnamePath"
  check_eq "exited 4 False" "$(json_get '" ".join(str(x) for x in [d["State"]["Status"], d["State"]["ExitCode"], d["State"]["Running"]])' <<<"$(api "/containers/$eid/json")")" "State of an exited container"
  l=$(api "/containers/json?all=1&filters=%7B%22id%22%3A%5B%22$id%22%5D%7D")
  check_eq "running /${P}run busybox sleep 300 dict" "$(json_get '" ".join([d[0]["State"], d[0]["Names"][0], d[0]["Image"], d[0]["Command"], type(d[0]["NetworkSettings"]["Networks"]).__name__])' <<<"$l")" "list entry State/Names/Image/Command/Networks"
fi
ct_done
