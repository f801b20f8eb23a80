#!/usr/bin/env bash
# docker load of hostile archives (hostile_archives.py writes them): entries
# climbing out with .., absolute paths, writes through symlinks, hardlinks
# to files outside, device nodes, missing or mismatched layers, corrupt
# gzip/zstd, truncated archives, duplicate members, 10 GiB size claims.
# Each is refused with a message naming the problem; the store is exactly as
# before (same images, same files, tmp/ clean) and nothing appears outside.
# Policy checked as pouch implements it: setuid/setgid files load (as with
# dockerd) and keep their mode; absolute entry names are re-rooted inside the
# layer (as dockerd and GNU tar do), never written at the absolute path.
source "$(dirname "$0")/lib.sh"

DOCKER=$(find_docker28)
[ -n "$DOCKER" ] || DOCKER=$(find_docker20)
[ -n "$DOCKER" ] || skip "no docker CLI (28 or Debian's 20.10)"
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is missing"
[ -x /bin/busybox ] || skip "busybox-static (/bin/busybox) is not installed"
need_cmd zstd
d() { timeout 60 "$DOCKER" "$@"; }

W=$T_DIR/work; S=$T_DIR/sentinel; V=$S/victim
mkdir -p "$W" "$S"
echo "must not change" >"$V"
victim_state() { echo "$(stat -c '%h %s' "$V") $(sha256sum <"$V" | cut -d' ' -f1)"; }
VICTIM0=$(victim_state)
/usr/bin/python3 "$T_SRC/../images/mkimage.py" busybox -o "$W/busybox.tar"
/usr/bin/python3 "$T_SRC/hostile_archives.py" --out "$W/h" --sentinel "$S" --victim "$V" >"$W/cases.jsonl"
n_cases=$(wc -l <"$W/cases.jsonl")
[ "$n_cases" -ge 20 ] || fail "hostile_archives.py wrote only $n_cases archives"

pouchd_start
d load -i "$W/busybox.tar" >/dev/null

store_files() { (cd "$POUCH_ROOT/images" && find . -mindepth 1 | sort); }
IDS0=$(d images -q --no-trunc | sort)
FILES0=$(store_files)
SENT0=$(cd "$S" && find . | sort)
tmp_clean() {
  local extra
  extra=$(cd "$POUCH_ROOT/images/tmp" && find . -mindepth 1 ! -path ./blobs | sort)
  [ -z "$extra" ] || fail "$1: left in $POUCH_ROOT/images/tmp: $extra"
}
store_unchanged() {
  assert_eq "$IDS0" "$(d images -q --no-trunc | sort)" "$1: docker images -q --no-trunc"
  local now; now=$(store_files)
  [ "$FILES0" == "$now" ] || fail "$1: files under $POUCH_ROOT/images changed:
$(diff <(echo "$FILES0") <(echo "$now"))"
  pass "$1: files under images/ unchanged"
  tmp_clean "$1"
}
outside_unchanged() {
  local name=$1 targets=$2 t
  assert_eq "$SENT0" "$(cd "$S" && find . | sort)" "$name: sentinel dir listing"
  assert_eq "$VICTIM0" "$(victim_state)" "$name: victim link count, size, sha256"
  for t in $targets; do assert_file_absent "$t" "$name: escape target"; done
}

# The word a clear refusal names (case-insensitive), per case.
declare -A WHY=(
  [dotdot]="climbs out" [dotdot-mid]="climbs out" [symlink-dir-chain]="climbs out"
  [symlink-abs]="symlink" [symlink-rel]="symlink"
  [hardlink-abs]="hardlink" [hardlink-rel]="hardlink" [hardlink-via-symlink]="hardlink"
  [chardev]="device" [blockdev]="device"
  [missing-layer]="missing" [digest-mismatch]="digest mismatch"
  [truncated-gzip]="gzip" [corrupt-zstd]="zstd"
  [truncated-outer]="truncated" [outer-pax-10g]="truncated" [pax-10g]="10737418240"
  [duplicate-manifest]="twice" [duplicate-layer]="twice"
)
TABLE=()
while IFS= read -r line; do
  name=$(json_get 'd["name"]' <<<"$line"); file=$(json_get 'd["file"]' <<<"$line")
  what=$(json_get 'd["what"]' <<<"$line"); targets=$(json_get '" ".join(d["targets"])' <<<"$line")
  t0=$(date +%s%N)
  run_capture out err rc timeout 60 "$DOCKER" load -i "$file"
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  msg=$(tr '\n' ' ' <<<"$out$err")
  log "$name ($what): rc=$rc in ${ms} ms: $msg"
  [ "$rc" != 124 ] || fail "$name: docker load hung (timeout 60 s)"
  case "$name" in
    setuid)
      assert_eq "0 Loaded image: hostile-setuid:latest" "$rc $out" "$name: loads (setuid allowed by default, as dockerd)"
      up=$(d image inspect --format '{{.GraphDriver.Data.UpperDir}}' hostile-setuid)
      assert_eq "4755 2755" "$(stat -c %a "$up/bin/suid" "$up/bin/sgid" | paste -sd' ')" "$name: modes kept in the snapshot"
      d rmi hostile-setuid >/dev/null
      TABLE+=("$name|$what|$rc|loaded, modes 4755/2755 kept")
      ;;
    absolute)
      assert_eq "0 Loaded image: hostile-absolute:latest" "$rc $out" "$name: loads with the name re-rooted (as dockerd)"
      up=$(d image inspect --format '{{.GraphDriver.Data.UpperDir}}' hostile-absolute)
      [ -f "$up$S/absolute" ] || fail "$name: expected the entry inside the layer at $up$S/absolute"
      pass "$name: entry written inside the layer"
      d rmi hostile-absolute >/dev/null
      TABLE+=("$name|$what|$rc|loaded, re-rooted inside the layer")
      ;;
    *)
      [ -n "${WHY[$name]:-}" ] || fail "no expectation for case $name"
      assert_ne 0 "$rc" "$name: docker load exit status"
      assert_contains "$(tr 'A-Z' 'a-z' <<<"$msg")" "${WHY[$name]}" "$name: error message"
      assert_not_contains "$out" "Loaded image" "$name: docker load output"
      short=$(sed -E 's#(\.\./){3,}#../(...)/#g' <<<"$msg")
      TABLE+=("$name|$what|$rc|${short:0:160}")
      ;;
  esac
  store_unchanged "$name"
  outside_unchanged "$name" "$targets"
done <"$W/cases.jsonl"

# The daemon is still healthy: a good load works after all of that.
d rmi busybox >/dev/null
run_capture out err rc d load -i "$W/busybox.tar"
assert_eq "0 Loaded image: busybox:latest" "$rc $out" "a good docker load after the hostile ones (stderr: $err)"

{
  printf '\n%-22s %-3s %s\n' CASE RC RESULT
  for row in "${TABLE[@]}"; do
    IFS='|' read -r n w r m <<<"$row"
    printf '%-22s %-3s %s\n' "$n" "$r" "$m"
  done
} >&2
assert_eq "$n_cases" "${#TABLE[@]}" "cases tried"
pouchd_stop
