#!/usr/bin/env bats
# Mail server tests (labelled corpus): the wrapper never adds --tls-verify.

# expect-next: lint.shell.wrapper_no_verify
_send_email() {
  swaks --server "$SMTP_HOST" --to test@example.org "$@"
}

@test "submission with STARTTLS" {
  run _send_email --port 587 -tls --auth-user me
  [ "$status" -eq 0 ]
}

@test "plain port 25" {
  run _send_email --port 25
}

# expect-next: lint.shell.wrapper_no_verify
function fetch_status {
  curl -sS "$@"
}

@test "status page" {
  fetch_status -k https://status.example.org/
}
