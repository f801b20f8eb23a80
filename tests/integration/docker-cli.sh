#!/usr/bin/env bash
# The docker CLI (28, or Debian's 20.10 with argument "20") sees pouchd as an
# API 1.41 Linux engine: version, info and their --format forms, with the same
# info key set dockerd 20.10 gives that CLI.
source "$(dirname "$0")/lib.sh"

case "${1:-28}" in
  28) DOCKER=$(find_docker28); GOLDEN=$T_SRC/golden/info-keys.docker28.txt
      [ -n "$DOCKER" ] || skip "no docker CLI >= 23 (looked for /usr/local/bin/docker and docker on PATH; set POUCH_TEST_DOCKER28)" ;;
  20) DOCKER=$(find_docker20); GOLDEN=$T_SRC/golden/info-keys.docker20.txt
      [ -n "$DOCKER" ] || skip "no docker 20.10 CLI (packaging/deps.sh extracts Debian's docker.io into /var/cache/pouch-test/docker-20.10; set POUCH_TEST_DOCKER20)" ;;
  *) fail "usage: $0 28|20" ;;
esac
log "client: $DOCKER ($("$DOCKER" --version))"

pouchd_start

# docker version: the Server section.
run_capture out err rc timeout 20 "$DOCKER" version
assert_eq 0 "$rc" "docker version exit status (stderr: $err)"
server=$(sed -n '/^Server/,$p' <<<"$out")
[ -n "$server" ] || fail "docker version printed no Server section:
$out"
assert_match '^ *API version: +1\.41 \(minimum version 1\.24\)' "$server" "docker version Server section"
assert_match '^ *OS/Arch: +linux/' "$server" "docker version Server section"
assert_match '^ *Version: +[0-9]' "$server" "docker version Server section"
assert_eq "" "$(grep -i 'error' <<<"$out$err" || true)" "error lines in docker version output"

run_capture out err rc timeout 20 "$DOCKER" version --format '{{.Server.APIVersion}}'
assert_eq 0 "$rc" "docker version --format exit status (stderr: $err)"
assert_eq 1.41 "$out" "docker version --format '{{.Server.APIVersion}}'"
run_capture out err rc timeout 20 "$DOCKER" version --format '{{.Server.MinAPIVersion}} {{.Server.Os}}'
assert_eq "1.24 linux" "$out" "docker version --format '{{.Server.MinAPIVersion}} {{.Server.Os}}'"

# docker info: human form.
run_capture out err rc timeout 20 "$DOCKER" info
assert_eq 0 "$rc" "docker info exit status (stderr: $err)"
assert_match '^ *Server Version: +[0-9]' "$out" "docker info"
assert_match "^ *Docker Root Dir: $POUCH_ROOT\$" "$out" "docker info"
assert_match '^ *OSType: linux$' "$out" "docker info"
assert_eq "" "$(grep -iE 'error' <<<"$out$err" || true)" "error lines in docker info output"

# docker info --format '{{json .}}': the key set dockerd 20.10 gives this CLI.
run_capture out err rc timeout 20 "$DOCKER" info --format '{{json .}}'
assert_eq 0 "$rc" "docker info --format '{{json .}}' exit status (stderr: $err)"
diff=$(python3 "$T_SRC/keyset.py" --top --compare "$GOLDEN" <<<"$out") \
  || fail "docker info --format '{{json .}}' key set differs from dockerd 20.10's ($GOLDEN):
$diff"
pass "docker info --format '{{json .}}' has dockerd 20.10's key set"
assert_eq "$POUCH_ROOT" "$(json_get 'd["DockerRootDir"]' <<<"$out")" "info .DockerRootDir"
assert_eq "null" "$(json_get 'd.get("ServerErrors")' <<<"$out")" "info .ServerErrors"
assert_eq "inactive" "$(json_get 'd["Swarm"]["LocalNodeState"]' <<<"$out")" "info .Swarm.LocalNodeState"
# log drivers by driver name, as dockerd lists them (the default plugin set)
assert_eq '["json-file", "none"]' "$(json_get 'sorted(d["Plugins"]["Log"])' <<<"$out")" "info .Plugins.Log"

pouchd_stop
