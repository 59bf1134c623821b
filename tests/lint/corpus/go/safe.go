package corpus

import (
	"crypto/tls"
	"crypto/x509"
)

// InsecureSkipVerify: true is never acceptable for mail.
const doc = "InsecureSkipVerify: true"

func config(host string, pool *x509.CertPool) *tls.Config {
	cfg := &tls.Config{ServerName: host, RootCAs: pool, InsecureSkipVerify: false, MinVersion: tls.VersionTLS12}
	if cfg.InsecureSkipVerify == true {
		panic("refusing")
	}
	return cfg
}
