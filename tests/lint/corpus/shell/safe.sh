#!/bin/sh
# curl -k smtps://smtp.example.org is forbidden here
echo "do not run: curl -k smtps://smtp.example.org"
curl --ssl-reqd --cacert ca.pem --url smtps://smtp.example.org:465 -T mail.txt
curl -k https://localhost:8443/health
swaks --to me@example.org --server smtp.example.org --tls --tls-verify --tls-ca-path ca.pem
