#!/usr/bin/env bash
# Mutual TLS on tcp://127.0.0.1: a client with a certificate from the CA gets
# in (docker CLI and curl); one without a certificate, with a certificate from
# another CA, or speaking plain HTTP is refused.
source "$(dirname "$0")/lib.sh"
need_cmd openssl

P=$T_DIR/pki; mkdir -p "$P"; cd "$P"
ossl() { openssl "$@" 2>>"$P/openssl.log" || fail "openssl $1 failed: $(tail -n 5 "$P/openssl.log")"; }
mkca() { # mkca NAME
  ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pouch test $1" \
    -keyout "$1-key.pem" -out "$1.pem"
}
mkcert() { # mkcert CA NAME EXTFILE-CONTENT
  ossl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$2-key.pem" -out "$2.csr"
  printf '%s\n' "$3" >"$2.ext"
  ossl x509 -req -in "$2.csr" -CA "$1.pem" -CAkey "$1-key.pem" -CAcreateserial \
    -days 2 -extfile "$2.ext" -out "$2.pem"
}
mkca ca
mkca otherca
mkcert ca server $'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'
mkcert ca client $'extendedKeyUsage=clientAuth'
mkcert otherca rogue $'extendedKeyUsage=clientAuth'
cd - >/dev/null

PORT=$(free_port)
pouchd_start -H "tcp://127.0.0.1:$PORT" --tlsverify --tlscacert "$P/ca.pem" \
  --tlscert "$P/server.pem" --tlskey "$P/server-key.pem"
URL=https://127.0.0.1:$PORT
wait_until 10 "pouchd to listen on 127.0.0.1:$PORT" \
  curl -s --max-time 2 --cacert "$P/ca.pem" --cert "$P/client.pem" --key "$P/client-key.pem" "$URL/_ping"

# A client with a certificate from the CA.
assert_eq OK "$(curl -s --max-time 5 --cacert "$P/ca.pem" --cert "$P/client.pem" --key "$P/client-key.pem" "$URL/_ping")" \
  "curl with a client certificate: GET /_ping"
body=$(curl -s --max-time 5 --cacert "$P/ca.pem" --cert "$P/client.pem" --key "$P/client-key.pem" "$URL/v1.41/version")
assert_eq 1.41 "$(json_get 'd["ApiVersion"]' <<<"$body")" "curl with a client certificate: /v1.41/version .ApiVersion"

DOCKER=$(find_docker28)
if [ -n "$DOCKER" ]; then
  run_capture out err rc env -u DOCKER_HOST timeout 20 "$DOCKER" --tlsverify --tlscacert "$P/ca.pem" \
    --tlscert "$P/client.pem" --tlskey "$P/client-key.pem" -H "tcp://127.0.0.1:$PORT" version
  assert_eq 0 "$rc" "docker --tlsverify ... version exit status (stderr: $err)"
  assert_match '^ *API version: +1\.41 \(minimum version 1\.24\)' "$out" "docker --tlsverify ... version"
  # The CLI without a certificate is refused too.
  run_capture out err rc env -u DOCKER_HOST timeout 20 "$DOCKER" --tlsverify --tlscacert "$P/ca.pem" \
    -H "tcp://127.0.0.1:$PORT" version --format '{{.Server.APIVersion}}'
  assert_ne 0 "$rc" "docker --tlsverify without a client certificate: exit status"
  assert_not_contains "$out" "1.41" "docker --tlsverify without a client certificate: output"
else
  log "no docker CLI >= 23: TLS checked with curl only"
fi

# Refusals.
rc=0; out=$(curl -sk --max-time 5 "$URL/_ping") || rc=$?
assert_ne 0 "$rc" "curl -k without a client certificate: exit status"
assert_ne OK "$out" "curl -k without a client certificate: body"
rc=0; out=$(curl -sk --max-time 5 --cert "$P/rogue.pem" --key "$P/rogue-key.pem" "$URL/_ping") || rc=$?
assert_ne 0 "$rc" "curl -k with a certificate from another CA: exit status"
assert_ne OK "$out" "curl -k with a certificate from another CA: body"
rc=0; out=$(curl -s --max-time 5 "http://127.0.0.1:$PORT/_ping") || rc=$?
assert_ne OK "$out" "plain HTTP to the TLS port: body"

# The server certificate is the one we gave it.
subj=$(openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$P/ca.pem" -cert "$P/client.pem" \
  -key "$P/client-key.pem" </dev/null 2>/dev/null | openssl x509 -noout -subject 2>/dev/null || true)
assert_contains "$subj" "CN = server" "server certificate subject"

# The unix socket still answers without TLS.
assert_eq OK "$(curl_unix /_ping)" "GET /_ping on the unix socket next to TLS"
pouchd_stop
