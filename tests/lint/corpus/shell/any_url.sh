#!/bin/sh
# HTTPS, LDAP and webhook calls with verification off (labelled corpus)
curl --insecure https://api.example.org/v1/token -d "client_secret=$SECRET" # expect: lint.shell.curl_insecure
curl -sk "$WEBHOOK_URL" -d @payload.json # expect: lint.shell.curl_insecure
NODE_TLS_REJECT_UNAUTHORIZED=0 node deploy.js # expect: lint.env.node_tls_reject_unauthorized
curl -k https://127.0.0.1:8443/health
curl -k http://[::1]:8080/
