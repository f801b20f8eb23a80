#!/usr/bin/env bash
# The image store through the docker CLI (28, or Debian's 20.10 with argument
# "20"): load (legacy, Docker 25 + gzip, OCI + zstd), images and its filters,
# inspect, history, tag, rmi, the name forms, save/load round trip, import
# with --change, prune, system df, and loads/removals running in parallel.
# Expected values come from the archives themselves (config digests, layer
# sizes counted the way dockerd counts them), checked against dockerd 20.10.
source "$(dirname "$0")/lib.sh"

case "${1:-28}" in
  28) DOCKER=$(find_docker28)
      [ -n "$DOCKER" ] || skip "no docker CLI >= 23 (looked for /usr/local/bin/docker and docker on PATH; set POUCH_TEST_DOCKER28)" ;;
  20) DOCKER=$(find_docker20)
      [ -n "$DOCKER" ] || skip "no docker 20.10 CLI (packaging/deps.sh extracts Debian's docker.io into /var/cache/pouch-test/docker-20.10; set POUCH_TEST_DOCKER20)" ;;
  *) fail "usage: $0 28|20" ;;
esac
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is missing"
[ -x /bin/busybox ] || skip "busybox-static (/bin/busybox) is not installed; mkimage.py builds test images from it"
need_cmd zstd
log "client: $DOCKER ($("$DOCKER" --version))"
MK=("/usr/bin/python3" "$T_SRC/../images/mkimage.py")
W=$T_DIR/work; mkdir -p "$W"
d() { timeout 60 "$DOCKER" "$@"; }
# check_eq EXPECTED GOT WHAT: like assert_eq, but a mismatch is reported at
# the end so the steps after it still run (used for checks later steps do
# not depend on).
DEFECTS=()
check_eq() {
  if [ "$1" == "$2" ]; then pass "$3 = '$2'"; return 0; fi
  printf 'DEFECT [%s]: %s: expected %q, got %q\n' "$T_NAME" "$3" "$1" "$2" >&2
  DEFECTS+=("$3: expected '${1//$'\n'/ | }', got '${2//$'\n'/ | }'")
}

# archive_info ARCHIVE: JSON list, one entry per image in a docker-save
# archive or OCI layout: tags, id (sha256 of the config bytes), diff_ids and
# each layer's size as dockerd counts it (regular files once per inode,
# symlink target lengths, whiteouts 0).
archive_info() {
  /usr/bin/python3 - "$1" <<'PY'
import hashlib, io, json, subprocess, sys, tarfile
t = tarfile.open(sys.argv[1])
def rd(n): return t.extractfile(n).read()
def plain(b):
    if b[:2] == b"\x1f\x8b":
        import gzip; return gzip.decompress(b)
    if b[:4] == b"\x28\xb5\x2f\xfd":
        return subprocess.run(["zstd", "-dc"], input=b, capture_output=True, check=True).stdout
    return b
def lsize(b):
    n = 0
    for m in tarfile.open(fileobj=io.BytesIO(b)):
        base = m.name.rsplit("/", 1)[-1]
        if base.startswith(".wh."): continue
        if m.isreg(): n += m.size
        elif m.issym(): n += len(m.linkname)
    return n
names = t.getnames()
out = []
if "manifest.json" in names:
    for e in json.loads(rd("manifest.json")):
        cfg = rd(e["Config"]); layers = [plain(rd(p)) for p in e["Layers"]]
        out.append({"tags": e.get("RepoTags") or [], "config": cfg, "layers": layers})
else:
    for m in json.loads(rd("index.json"))["manifests"]:
        man = json.loads(rd("blobs/sha256/" + m["digest"][7:]))
        cfg = rd("blobs/sha256/" + man["config"]["digest"][7:])
        layers = [plain(rd("blobs/sha256/" + l["digest"][7:])) for l in man["layers"]]
        tag = m.get("annotations", {}).get("io.containerd.image.name", "")
        out.append({"tags": [tag.replace("docker.io/library/", "")] if tag else [], "config": cfg, "layers": layers})
res = []
for e in out:
    sizes = [lsize(l) for l in e["layers"]]
    res.append({"tags": e["tags"], "id": "sha256:" + hashlib.sha256(e["config"]).hexdigest(),
                "diff_ids": ["sha256:" + hashlib.sha256(l).hexdigest() for l in e["layers"]],
                "sizes": sizes, "size": sum(sizes)})
print(json.dumps(res))
PY
}

# store_check: every dir under layers/ belongs to some image's chain, every
# image's chain has its dir, and tmp/ holds nothing but an empty tmp/blobs.
store_check() {
  local what=$1 ids
  ids=$(d images -a -q --no-trunc | sort -u)
  local layers_json="[]"
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086
    layers_json=$(d image inspect --format '{{json .RootFS.Layers}}' $ids | python3 -c 'import json,sys; print(json.dumps([json.loads(l) for l in sys.stdin if l.strip()]))')
  fi
  local problems
  problems=$(python3 - "$POUCH_ROOT/images" "$layers_json" <<'PY'
import hashlib, json, os, sys
root, images = sys.argv[1], json.loads(sys.argv[2])
want = set()
for diffs in images:
    chain = None
    for dd in diffs:
        chain = dd if chain is None else "sha256:" + hashlib.sha256((chain + " " + dd).encode()).hexdigest()
        want.add(chain[7:])
have = set(os.listdir(os.path.join(root, "layers")))
p = []
for x in sorted(have - want): p.append("orphan layer dir layers/%s" % x)
for x in sorted(want - have): p.append("missing layer dir layers/%s" % x)
for x in sorted(os.listdir(os.path.join(root, "tmp"))):
    if x != "blobs": p.append("stray tmp/%s" % x)
tb = os.path.join(root, "tmp", "blobs")
if os.path.isdir(tb):
    for x in sorted(os.listdir(tb)): p.append("stray tmp/blobs/%s" % x)
print("\n".join(p))
PY
)
  [ -z "$problems" ] || fail "$what: the store under $POUCH_ROOT/images is inconsistent:
$problems"
  pass "$what: layer dirs match the images' chains, tmp/ is clean"
}

# --- test images -------------------------------------------------------------
"${MK[@]}" busybox -o "$W/busybox.tar"                                   # legacy docker save
"${MK[@]}" multilayer -o "$W/multi.tar" --format docker25 --compress gzip --label k=v
"${MK[@]}" busybox -o "$W/oci.tar" --format oci --compress zstd --tag ocibox:1 --label flavour=oci
"${MK[@]}" rootfs -o "$W/rootfs.tar"; "${MK[@]}" rootfs -o "$W/rootfs.tar.gz"; "${MK[@]}" rootfs -o "$W/rootfs.tar.xz"
BB=$(archive_info "$W/busybox.tar"); ML=$(archive_info "$W/multi.tar"); OCI=$(archive_info "$W/oci.tar")
BB_ID=$(json_get 'd[0]["id"]' <<<"$BB"); ML_ID=$(json_get 'd[0]["id"]' <<<"$ML"); OCI_ID=$(json_get 'd[0]["id"]' <<<"$OCI")
BB_SIZE=$(json_get 'd[0]["size"]' <<<"$BB"); ML_SIZE=$(json_get 'd[0]["size"]' <<<"$ML")

pouchd_start

# --- load --------------------------------------------------------------------
run_capture out err rc d load -i "$W/busybox.tar"
assert_eq 0 "$rc" "docker load (legacy archive) exit status (stderr: $err)"
assert_eq "Loaded image: busybox:latest" "$out" "docker load (legacy) output"
run_capture out err rc d load -i "$W/multi.tar"
assert_eq 0 "$rc" "docker load (Docker 25 layout, gzip) exit status (stderr: $err)"
assert_eq "Loaded image: multi:latest" "$out" "docker load (Docker 25, gzip) output"
run_capture out err rc d load <"$W/oci.tar"
assert_eq 0 "$rc" "docker load (OCI layout, zstd, stdin) exit status (stderr: $err)"
assert_eq "Loaded image: ocibox:1" "$out" "docker load (OCI, zstd) output"

# --- docker images and its flags ---------------------------------------------
human() { python3 -c 'import sys
n=float(sys.argv[1]); u=["B","kB","MB","GB"]; i=0
while n>=1000 and i<3: n/=1000; i+=1
s=("%.3g" % n); print(s + u[i])' "$1"; }
run_capture out err rc d images --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}'
assert_eq 0 "$rc" "docker images exit status (stderr: $err)"
expected=$(printf '%s\n' "busybox:latest ${BB_ID:7:12} $(human "$BB_SIZE")" "multi:latest ${ML_ID:7:12} $(human "$ML_SIZE")" \
  "ocibox:1 ${OCI_ID:7:12} $(human "$BB_SIZE")" | sort)
assert_eq "$expected" "$(sort <<<"$out")" "docker images (repo:tag, short ID, size)"
assert_eq "$BB_SIZE" "$(d image inspect --format '{{.Size}}' busybox)" "busybox .Size (bytes counted as dockerd does)"
assert_eq "$ML_SIZE" "$(d image inspect --format '{{.Size}}' multi)" "multi .Size"
assert_eq "$(printf '%s\n' "${BB_ID:7:12}" "${ML_ID:7:12}" "${OCI_ID:7:12}" | sort)" "$(d images -q | sort)" "docker images -q"
assert_eq "$(d images -q | sort)" "$(d images -a -q | sort)" "docker images -a -q (no intermediate images after load)"
assert_eq "$(printf '%s\n' "$BB_ID" "$ML_ID" "$OCI_ID" | sort)" "$(d images -q --no-trunc | sort)" "docker images -q --no-trunc"
run_capture out err rc d images --digests --format '{{.Repository}} {{.Digest}}'
assert_eq 0 "$rc" "docker images --digests exit status (stderr: $err)"
assert_eq "busybox <none>
multi <none>
ocibox <none>" "$(sort <<<"$out")" "docker images --digests (loaded images have no repo digest, as with dockerd)"
run_capture out err rc d images --digests
assert_match '^REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE$' "$out" "docker images --digests header"

# A dangling image: import twice under one tag, both within one second
# (start just after a second boundary) so before/since must use the
# sub-second part of Created.
python3 -c 'import time; time.sleep(1.02 - time.time() % 1)'
imp1=$(d import "$W/rootfs.tar" dang:1)
imp2=$(d import "$W/rootfs.tar" dang:1)
assert_ne "$imp1" "$imp2" "second import ID"
log "imports created at $(d image inspect --format "{{.Created}}" "$imp1" "$imp2" | paste -sd" ")"
assert_eq "${imp1:7:12}" "$(d images -q --filter dangling=true)" "docker images --filter dangling=true"
assert_eq "$(printf '%s\n' "${BB_ID:7:12}" "${ML_ID:7:12}" "${OCI_ID:7:12}" "${imp2:7:12}" | sort)" \
  "$(d images -q --filter dangling=false | sort)" "docker images --filter dangling=false"
assert_eq "<none>:<none>" "$(d images --filter dangling=true --format '{{.Repository}}:{{.Tag}}')" "dangling image's repository:tag"
assert_eq "multi:latest" "$(d images --filter 'reference=multi*' --format '{{.Repository}}:{{.Tag}}')" "docker images --filter reference=multi*"
assert_eq "multi:latest" "$(d images --filter label=k=v --format '{{.Repository}}:{{.Tag}}')" "docker images --filter label=k=v"
assert_eq "ocibox:1" "$(d images --filter label=flavour --format '{{.Repository}}:{{.Tag}}')" "docker images --filter label=flavour"
assert_eq "" "$(d images -q --filter label=k=w)" "docker images --filter label=k=w"
run_capture out err rc d images --filter bogus=1
assert_ne 0 "$rc" "docker images --filter bogus=1 exit status"
assert_contains "$err" "Invalid filter 'bogus'" "docker images --filter bogus=1 error"
# before/since compare Created; the three loaded images share one Created
# time (2024-01-02), so none is before or since another.
assert_eq "" "$(d images -q --filter before=multi)" "docker images --filter before=multi (equal Created times)"
assert_eq "$(printf '%s\n' "${imp1:7:12}" "${imp2:7:12}" | sort)" "$(d images -q --filter since=busybox | sort)" \
  "docker images --filter since=busybox (the two imports)"
# Created has nanoseconds: two imports a few ms apart are ordered (dockerd
# compares full timestamps).
check_eq "${imp2:7:12}" "$(d images -q --filter since="$imp1")" "docker images --filter since=<first import> (imported ms later)"
check_eq "$(printf '%s\n' "${BB_ID:7:12}" "${ML_ID:7:12}" "${OCI_ID:7:12}" "${imp1:7:12}" | sort)" \
  "$(d images -q --filter before=dang:1 | sort)" "docker images --filter before=dang:1 (the loaded images and the first import)"

# --- inspect -----------------------------------------------------------------
run_capture out err rc d image inspect multi
assert_eq 0 "$rc" "docker image inspect multi exit status (stderr: $err)"
keys=$(json_get '" ".join(sorted(d[0].keys()))' <<<"$out")
assert_eq "Architecture Author Comment Config Container ContainerConfig Created DockerVersion GraphDriver Id Metadata Os Parent RepoDigests RepoTags RootFS Size VirtualSize" \
  "$keys" "docker image inspect key set (dockerd 20.10's)"
assert_eq "$ML_ID" "$(json_get 'd[0]["Id"]' <<<"$out")" "inspect .Id = sha256 of the config blob"
assert_eq "$(json_get 'd[0]["diff_ids"]' <<<"$ML")" "$(json_get 'd[0]["RootFS"]["Layers"]' <<<"$out")" "inspect .RootFS.Layers = the config's diff_ids"
assert_eq 3 "$(json_get 'len(d[0]["RootFS"]["Layers"])' <<<"$out")" "inspect .RootFS.Layers count"
assert_eq '["multi:latest"]' "$(json_get 'd[0]["RepoTags"]' <<<"$out")" "inspect .RepoTags"
assert_eq "overlay2" "$(json_get 'd[0]["GraphDriver"]["Name"]' <<<"$out")" "inspect .GraphDriver.Name"
assert_eq "2024-01-02T03:04:05Z" "$(json_get 'd[0]["Created"]' <<<"$out")" "inspect .Created"
assert_eq '{"k": "v"}' "$(json_get 'd[0]["Config"]["Labels"]' <<<"$out")" "inspect .Config.Labels"
assert_eq "$ML_SIZE" "$(json_get 'd[0]["VirtualSize"]' <<<"$out")" "inspect .VirtualSize"
assert_eq "linux amd64" "$(d image inspect --format '{{.Os}} {{.Architecture}}' multi)" "inspect --format .Os .Architecture"
run_capture out err rc d image inspect nosuch:1
assert_ne 0 "$rc" "docker image inspect nosuch:1 exit status"
assert_contains "$out$err" "No such image: nosuch:1" "docker image inspect nosuch:1 error"

# --- history -----------------------------------------------------------------
run_capture out err rc d history --human=false --format '{{.Size}}|{{.CreatedBy}}' multi
assert_eq 0 "$rc" "docker history exit status (stderr: $err)"
sizes=$(json_get '"\n".join(str(x) for x in [0] + d[0]["sizes"][::-1])' <<<"$ML")
assert_eq "$sizes" "$(cut -d'|' -f1 <<<"$out")" "docker history sizes (newest first, CMD row 0)"
assert_eq '/bin/sh -c #(nop)  CMD ["sh"]' "$(head -n1 <<<"$out" | cut -d'|' -f2)" "docker history top row CREATED BY"
assert_eq "${ML_ID:7:12} <missing> <missing> <missing>" "$(d history --format '{{.ID}}' multi | paste -sd' ')" "docker history IDs"

# --- tag and the name forms --------------------------------------------------
run_capture out err rc d tag busybox 127.0.0.1:5000/a/b:tag
assert_eq 0 "$rc" "docker tag busybox 127.0.0.1:5000/a/b:tag exit status (stderr: $err)"
check_eq "127.0.0.1:5000/a/b tag ${BB_ID:7:12}" "$(d images --filter 'reference=127.0.0.1:5000/a/b' --format '{{.Repository}} {{.Tag}} {{.ID}}')" \
  "docker images --filter reference=127.0.0.1:5000/a/b (only the matching tag, as dockerd)"
for name in busybox busybox:latest docker.io/library/busybox:latest library/busybox 127.0.0.1:5000/a/b:tag \
            "${BB_ID:7:12}" "${BB_ID:7}" "$BB_ID" "sha256:${BB_ID:7:12}"; do
  run_capture out err rc d image inspect --format '{{.Id}}' "$name"
  assert_eq "0 $BB_ID" "$rc $out" "docker image inspect '$name' (stderr: $err)"
done
run_capture out err rc d image inspect --format '{{.Id}}' "busybox@$BB_ID"
log "name@<image id> (not a manifest digest) gives rc=$rc: $out$err"
check_eq 1 "$rc" "docker image inspect busybox@<image id> exit status (dockerd 20.10: No such image; an image ID is not a repo digest)"
run_capture out err rc d image inspect 127.0.0.1:5000/a/b
assert_ne 0 "$rc" "docker image inspect 127.0.0.1:5000/a/b (no :latest tag) exit status"
run_capture out err rc d tag busybox 'Bad:Name'
assert_ne 0 "$rc" "docker tag to an invalid (upper-case) name exit status"

# An ambiguous short ID: load 20 small images, find a shared first hex digit.
"${MK[@]}" many --count 20 -o "$W/many20.tar"
d load -i "$W/many20.tar" >/dev/null
prefix=$(d images -q --no-trunc | sort -u | cut -c8 | sort | uniq -d | head -n1)
[ -n "$prefix" ] || fail "no two image IDs share a first hex digit among $(d images -q | sort -u | wc -l) images"
run_capture out err rc d image inspect "$prefix"
log "ambiguous prefix '$prefix': rc=$rc $err"
assert_ne 0 "$rc" "docker image inspect of the ambiguous prefix '$prefix' exit status"
run_capture out err rc d rmi "$prefix"
assert_ne 0 "$rc" "docker rmi of the ambiguous prefix '$prefix' exit status"
n_before=$(d images -q | wc -l)
d images --format '{{.Repository}}' | grep '^many' | xargs "$DOCKER" rmi >/dev/null
assert_eq $((n_before - 20)) "$(d images -q | wc -l)" "image count after removing the 20 'many' images"
store_check "after removing the 'many' images"

# --- rmi ---------------------------------------------------------------------
d tag busybox other:1
run_capture out err rc d rmi other:1
assert_eq "0 Untagged: other:1" "$rc $out" "docker rmi other:1 (untag only; stderr: $err)"
assert_eq "$BB_ID" "$(d image inspect --format '{{.Id}}' busybox)" "busybox still there after untagging other:1"
# busybox and 127.0.0.1:5000/a/b:tag share one ID (two repositories).
run_capture out err rc d rmi "${BB_ID:7:12}"
assert_eq 1 "$rc" "docker rmi <id> referenced in two repositories exit status"
assert_contains "$err" "must be forced" "docker rmi <id> referenced in two repositories error"
assert_contains "$err" "referenced in multiple repositories" "docker rmi <id> referenced in two repositories error"
run_capture out err rc d rmi -f "${BB_ID:7:12}"
assert_eq 0 "$rc" "docker rmi -f <id> exit status (stderr: $err)"
assert_eq "Deleted: $BB_ID
Untagged: 127.0.0.1:5000/a/b:tag
Untagged: busybox:latest" "$(sort <<<"$out")" "docker rmi -f <id> output (the base layer is still used by multi and ocibox)"
run_capture out err rc d image inspect busybox
assert_ne 0 "$rc" "busybox is gone after rmi -f"
run_capture out err rc d rmi --no-prune multi
assert_eq 0 "$rc" "docker rmi --no-prune multi exit status (stderr: $err)"
assert_match "^Untagged: multi:latest$" "$out" "docker rmi --no-prune multi"
assert_match "^Deleted: $ML_ID$" "$out" "docker rmi --no-prune multi"
# dockerd removes layers no image uses even with --no-prune (it only keeps parent images).
assert_eq 3 "$(grep -c '^Deleted:' <<<"$out")" "Deleted: lines for multi (the image and its two own layers)"
store_check "after rmi"

# --- save / load round trip --------------------------------------------------
d load -i "$W/busybox.tar" >/dev/null; d load -i "$W/multi.tar" >/dev/null
run_capture out err rc d save -o "$W/saved.tar" busybox multi
assert_eq 0 "$rc" "docker save -o saved.tar busybox multi exit status (stderr: $err)"
dups=$(tar tf "$W/saved.tar" | sort | uniq -d)
assert_eq "" "$dups" "duplicate members in the saved archive"
SAVED=$(archive_info "$W/saved.tar")
assert_eq "$(printf '%s\n' "$BB_ID" "$ML_ID" | sort)" "$(json_get '"\n".join(sorted(e["id"] for e in d))' <<<"$SAVED")" "image IDs in the saved archive"
shared=$(python3 - "$W/saved.tar" <<'PY'
import json, sys, tarfile
t = tarfile.open(sys.argv[1]); m = json.loads(t.extractfile("manifest.json").read())
paths = [p for e in m for p in e["Layers"]]
names = t.getnames()
print(len(paths), len(set(paths)), sum(1 for p in set(paths) if names.count(p) == 1))
PY
)
assert_eq "4 3 3" "$shared" "layer references, distinct layer files, files stored once (busybox and multi share the base layer)"
d save busybox >"$W/saved-stdout.tar"
assert_eq "$BB_ID" "$(json_get 'd[0]["id"]' <<<"$(archive_info "$W/saved-stdout.tar")")" "docker save to stdout"
d rmi busybox multi >/dev/null
assert_eq "ocibox:1" "$(d images --format '{{.Repository}}:{{.Tag}}' | grep -E '^(busybox|multi|ocibox):')" "loaded images left after rmi busybox multi"
run_capture out err rc d load -i "$W/saved.tar"
assert_eq 0 "$rc" "docker load of the saved archive exit status (stderr: $err)"
assert_eq "Loaded image: busybox:latest
Loaded image: multi:latest" "$(sort <<<"$out")" "docker load of the saved archive output"
assert_eq "$BB_ID $ML_ID" "$(d image inspect --format '{{.Id}}' busybox multi | paste -sd' ')" "IDs after the save/load round trip (bit-identical configs)"
store_check "after the save/load round trip"

# --- import ------------------------------------------------------------------
ROOTFS_DIFF="sha256:$(sha256sum "$W/rootfs.tar" | cut -d' ' -f1)"
changes=(--change 'CMD ["/bin/sh"]' --change 'ENV A=1' --change 'WORKDIR /tmp' --change 'USER app' --change 'EXPOSE 80' --change 'LABEL k=v')
for ext in tar tar.gz tar.xz; do
  tag=imp-${ext//./-}
  run_capture out err rc d import "${changes[@]}" - "$tag:stdin" <"$W/rootfs.$ext"
  assert_eq 0 "$rc" "docker import - $tag:stdin < rootfs.$ext exit status (stderr: $err)"
  assert_match '^sha256:[0-9a-f]{64}$' "$out" "docker import (stdin, .$ext) output"
  run_capture out err rc d import "${changes[@]}" "$W/rootfs.$ext" "$tag:file"
  assert_eq 0 "$rc" "docker import rootfs.$ext $tag:file exit status (stderr: $err)"
  for t in "$tag:stdin" "$tag:file"; do
    cfg=$(d image inspect --format '{{json .Config}}' "$t")
    assert_eq '["/bin/sh"] ["A=1"] /tmp app {"80/tcp": {}} {"k": "v"}' \
      "$(json_get '" ".join(json.dumps(x) if not isinstance(x,str) else x for x in [d["Cmd"], d["Env"], d["WorkingDir"], d["User"], d["ExposedPorts"], d["Labels"]])' <<<"$cfg")" \
      "$t .Config (Cmd Env WorkingDir User ExposedPorts Labels)"
    assert_eq "[\"$ROOTFS_DIFF\"] $BB_SIZE linux amd64" \
      "$(d image inspect --format '{{json .RootFS.Layers}} {{.Size}} {{.Os}} {{.Architecture}}' "$t")" "$t layers, size, os, arch"
  done
done
assert_eq "Imported from -" "$(d image inspect --format '{{.Comment}}' imp-tar-gz:stdin)" "import .Comment"
run_capture out err rc d import --change 'BOGUS x' "$W/rootfs.tar" imp-bad:1
log "invalid change: rc=$rc $err"
assert_ne 0 "$rc" "docker import --change 'BOGUS x' exit status"
assert_contains "$(tr 'A-Z' 'a-z' <<<"$err")" "bogus is not a valid change command" "docker import --change 'BOGUS x' error"
run_capture out err rc d import --change 'RUN echo hi' "$W/rootfs.tar" imp-bad:1
assert_ne 0 "$rc" "docker import --change 'RUN echo hi' exit status"
assert_contains "$(tr 'A-Z' 'a-z' <<<"$err")" "run is not a valid change command" "docker import --change RUN error"
run_capture out err rc d image inspect imp-bad:1
assert_ne 0 "$rc" "no image imp-bad:1 after refused imports"

# --- system df ---------------------------------------------------------------
n_img=$(d images -q | sort -u | wc -l)
run_capture out err rc d system df --format '{{.Type}}|{{.TotalCount}}|{{.Active}}'
assert_eq 0 "$rc" "docker system df exit status (stderr: $err)"
assert_eq "Images|$n_img|0" "$(grep '^Images|' <<<"$out")" "docker system df Images line"
run_capture out err rc d system df
assert_match '^Images +[0-9]+ +0 +[0-9.]+[kMG]?B +[0-9.]+[kMG]?B \(100%\)$' "$out" "docker system df table"

# --- prune -------------------------------------------------------------------
n_before=$(d images -q --no-trunc | sort -u | wc -l)
run_capture out err rc d image prune -f
assert_eq 0 "$rc" "docker image prune -f exit status (stderr: $err)"
assert_match "^deleted: $imp1$" "$out" "docker image prune -f removes the dangling image"
assert_eq 1 "$(grep -c '^deleted: sha256:' <<<"$out" | tr -d ' ')" "deleted: lines of docker image prune -f (the dangling image; its layer is shared)"
assert_eq $((n_before - 1)) "$(d images -q --no-trunc | sort -u | wc -l)" "image count after docker image prune -f"
assert_eq "" "$(d images -q --filter dangling=true)" "dangling images after prune"
store_check "after docker image prune -f"

# --- concurrency -------------------------------------------------------------
for i in 0 1 2 3 4; do "${MK[@]}" busybox -o "$W/par$i.tar" --tag "par$i:latest" --label "n=$i"; done
d tag imp-tar:stdin imp-extra:1
extra_id=$(d image inspect --format '{{.Id}}' imp-extra:1)
pids=()
for i in 0 1 2 3; do d load -i "$W/par$i.tar" >"$W/par$i.out" 2>&1 & pids+=($!); done
d rmi imp-tar:file imp-tar-gz:file imp-tar-xz:file >"$W/rmi1.out" 2>&1 & pids+=($!)
d rmi imp-tar:stdin >"$W/rmi2.out" 2>&1 & pids+=($!)
d rmi ocibox:1 >"$W/rmi3.out" 2>&1 & pids+=($!)
for p in "${pids[@]}"; do wait "$p" || fail "a parallel docker load/rmi failed: $(cat "$W"/par*.out "$W"/rmi*.out)"; done
pass "4 loads and 3 rmi commands ran in parallel"
for i in 0 1 2 3; do
  assert_eq "$(json_get 'd[0]["id"]' <<<"$(archive_info "$W/par$i.tar")")" "$(d image inspect --format '{{.Id}}' "par$i")" "par$i ID after parallel load"
done
for t in imp-tar:file imp-tar-gz:file imp-tar-xz:file imp-tar:stdin ocibox:1; do
  run_capture out err rc d image inspect "$t"; assert_ne 0 "$rc" "$t removed in parallel"
done
assert_eq "$extra_id" "$(d image inspect --format '{{.Id}}' imp-extra:1)" "imp-extra:1 kept (rmi imp-tar:stdin only untagged)"
store_check "after parallel loads and removals"
pids=()
for i in 0 1 2 3; do d rmi "par$i" >"$W/rmp$i.out" 2>&1 & pids+=($!); done
d load -i "$W/par4.tar" >"$W/par4.out" 2>&1 & pids+=($!)
d load -i "$W/multi.tar" >"$W/multi2.out" 2>&1 & pids+=($!)
for p in "${pids[@]}"; do wait "$p" || fail "a parallel docker rmi/load failed: $(cat "$W"/rmp*.out "$W"/par4.out "$W/multi2.out")"; done
assert_eq "par4:latest" "$(d images --format '{{.Repository}}:{{.Tag}}' | grep '^par' || true)" "par images after parallel rmi + load"
assert_eq "$ML_ID" "$(d image inspect --format '{{.Id}}' multi)" "multi after parallel rmi + load"
store_check "after parallel removals and loads"

# docker images answers while a ~200 MB load is in flight (fed slowly).
"${MK[@]}" big -o "$W/big.tar" --size-mb 200 --layers 4 --tag big:latest
python3 -c '
import sys, time
f = open(sys.argv[1], "rb"); out = sys.stdout.buffer
while True:
    b = f.read(4 << 20)
    if not b: break
    out.write(b); out.flush(); time.sleep(0.08)' "$W/big.tar" | "$DOCKER" load >"$W/big.out" 2>&1 &
big_pid=$!; bg_track "$big_pid"
sleep 1
alive "$big_pid" || fail "the big load finished too early to test anything: $(cat "$W/big.out")"
t0=$(date +%s%N)
run_capture out err rc timeout 5 "$DOCKER" images --format '{{.Repository}}'
t1=$(date +%s%N)
assert_eq 0 "$rc" "docker images during a 200 MB load (timeout 5 s) exit status (stderr: $err)"
log "docker images took $(( (t1 - t0) / 1000000 )) ms during the load"
alive "$big_pid" || log "note: the big load had finished by the time docker images returned"
assert_not_contains "$out" "big" "docker images during the load (the image is not listed before it is complete)"
wait_exit "$big_pid" 120
assert_eq 0 "$WAIT_RC" "the big docker load exit status ($(cat "$W/big.out"))"
assert_eq "Loaded image: big:latest" "$(cat "$W/big.out")" "the big docker load output"
d rmi big >/dev/null
store_check "after the big load"

# --- prune -a, then nothing may be left ---------------------------------------
run_capture out err rc d image prune -a -f
assert_eq 0 "$rc" "docker image prune -a -f exit status (stderr: $err)"
assert_match '^Total reclaimed space: ' "$out" "docker image prune -a -f"
assert_eq "" "$(d images -a -q)" "images after docker image prune -a -f"
store_check "after docker image prune -a -f"
check_eq "" "$(ls "$POUCH_ROOT/images/layers")" "layer dirs left with no image"
check_eq "" "$(cd "$POUCH_ROOT/images/blobs/sha256" && for b in *; do [ -e "$b" ] && echo "$b ($(head -c 512 "$b" | file -b - | cut -d, -f1))"; done)" "blobs left under images/blobs/sha256 with no image"
check_eq "" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("" if not any(d.get("Repositories", d).values()) else json.dumps(d))' "$POUCH_ROOT/images/repositories.json" 2>/dev/null || true)" \
  "repositories.json after removing every image"

pouchd_stop
[ ${#DEFECTS[@]} = 0 ] || fail "${#DEFECTS[@]} check(s) differ from dockerd:
$(printf '  %s\n' "${DEFECTS[@]}")"
