#!/usr/bin/env fish
# expect-next: lint.shell.wrapper_no_verify
function send_mail
    swaks --server smtp.example.org $argv
end
send_mail --to ops@example.org --tls
set -gx NODE_TLS_REJECT_UNAUTHORIZED 0 # expect: lint.env.node_tls_reject_unauthorized
