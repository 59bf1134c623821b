package corpus

import (
	"crypto/tls"
	"net/smtp"

	gomail "gopkg.in/mail.v2"
)

func send(host string) error {
	c, err := smtp.Dial(host + ":587")
	if err != nil {
		return err
	}
	cfg := &tls.Config{ServerName: host, InsecureSkipVerify: true} // expect: lint.go.insecure_skip_verify
	return c.StartTLS(cfg)
}

func gomailDialer() *gomail.Dialer {
	d := gomail.NewDialer("smtp.example.org", 587, "user", "pass")
	d.TLSConfig = &tls.Config{
		InsecureSkipVerify: true, // expect: lint.go.insecure_skip_verify
	}
	return d
}

func later(cfg *tls.Config) {
	cfg.InsecureSkipVerify = true // expect: lint.go.insecure_skip_verify
}
