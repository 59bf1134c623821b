#!/usr/bin/env bats
# The wrapper verifies for every caller.
_send_email() {
  swaks --server "$SMTP_HOST" --tls-verify --tls-ca-path ca.pem "$@"
}

@test "submission" {
  run _send_email --port 587 -tls
}

_plain() {
  swaks --server "$SMTP_HOST" "$@"
}

@test "port 25 without TLS" {
  run _plain --port 25
}

fetch() {
  curl -sS --cacert ca.pem "$@"
}

@test "status" {
  fetch https://status.example.org/
}
