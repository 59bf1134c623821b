#!/bin/sh
# Smoke tests of the mail server (labelled corpus).
curl -k --url smtps://smtp.example.org:465 --user me:secret -T mail.txt # expect: lint.shell.curl_insecure
# expect-next: lint.shell.curl_insecure
curl --ssl-reqd -sSk \
  --url imaps://imap.example.org/INBOX
swaks --to me@example.org --server smtp.example.org --tls --auth-user me # expect: lint.shell.swaks_no_verify
echo ok && swaks -tlsc --server smtp.example.org:465 # expect: lint.shell.swaks_no_verify
