"""Catalogue part "lint": code and configuration that turns certificate checks off.

Gettext domain ``mailtls-lint``. Each rule's detail says what an attacker on the path
gains; its remediation names the safe replacement. CWE-295 (improper certificate
validation) or CWE-297 (host mismatch). Translations live in
locale/zh_CN/LC_MESSAGES/mailtls-lint.po (``python tools/i18n.py``).
"""

from __future__ import annotations

from ...model import Severity
from ..entry import Entry, Part

C, H, M, INFO = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.INFO

PY_SSL = "https://docs.python.org/3/library/ssl.html#security-considerations"
PY_SMTP = "https://docs.python.org/3/library/smtplib.html#smtplib.SMTP.starttls"
RFC8314 = "https://www.rfc-editor.org/rfc/rfc8314"
RFC6125 = "https://www.rfc-editor.org/rfc/rfc6125"
JAKARTA = "https://jakarta.ee/specifications/mail/"
NODE_TLS = "https://nodejs.org/api/tls.html#tlsconnectoptions-callback"
PHP_SSL = "https://www.php.net/manual/en/context.ssl.php"
GO_TLS = "https://pkg.go.dev/crypto/tls#Config"
MAILKIT = "https://github.com/jstedfast/MailKit/blob/master/FAQ.md#ssl-handshake-exception"
LETTRE = "https://docs.rs/lettre/latest/lettre/transport/smtp/client/struct.TlsParametersBuilder.html"

#: What an attacker on the network path gains when a mail client accepts any certificate.
_ANY = (
    "An attacker on the network path (public Wi-Fi, a hostile router, DNS spoofing) can "
    "present any certificate, read the mail and the SMTP/IMAP password, and change messages."
)
#: ... and when it accepts a valid certificate for any host name.
_ANY_NAME = (
    "An attacker who holds any valid certificate for any domain (free from any public CA) "
    "can impersonate the mail server and read the password and the mail."
)
#: ... for a connection that may not be mail (HTTPS, LDAP, a database, a webhook).
_ANY_CONNECTION = (
    "An attacker on the network path can present any certificate, then read and change "
    "what the connection carries, including the passwords, tokens and mail in it."
)
_DOWNGRADE = (
    "An attacker on the path can strip STARTTLS from the server's reply, and the client "
    "then sends the password and the mail in clear text."
)


#: The way to keep verification on in development (mailtls devcert), named in the
#: remediation of every rule that finds code or configuration accepting any certificate.
_DEVCERT = (
    "In development, use mailtls devcert: a CA that can vouch only for development names, "
    "trusted by the client with verification left on."
)
_TRUST_ALL = frozenset({
    "lint.python.unverified_context", "lint.python.cert_none", "lint.python.smtplib_no_context",
    "lint.python.aiosmtplib_no_verify", "lint.python.http_verify_false",
    "lint.java.trust_all_manager", "lint.java.mail_ssl_trust_all",
    "lint.java.mail_trust_all_hosts", "lint.js.reject_unauthorized_false",
    "lint.js.node_tls_reject_unauthorized", "lint.php.verify_peer_off",
    "lint.php.allow_self_signed", "lint.php.mailer_dsn_verify_peer", "lint.php.curl_verify_off",
    "lint.go.insecure_skip_verify", "lint.csharp.cert_callback_true", "lint.ruby.verify_none",
    "lint.rust.accept_invalid_certs", "lint.spring.mail_ssl_trust_all",
    "lint.env.node_tls_reject_unauthorized", "lint.env.verify_peer_off",
    "lint.msmtp.tls_certcheck_off", "lint.shell.curl_insecure", "lint.shell.swaks_no_verify",
    "lint.config.tls_verify_off", "lint.powershell.cert_callback_true",
    "lint.powershell.skip_certificate_check", "lint.shell.wrapper_no_verify",
}) | frozenset({  # the library API rules (issue 15, item 3)
    "lint.java.simplejavamail_trust_all", "lint.java.commons_net_accept_all",
    "lint.ruby.net_imap_no_verify", "lint.rust.openssl_verify_none",
    "lint.rust.rustls_no_verify", "lint.python.managesieve_no_verify",
    "lint.python.twisted_no_verify",
})


def _e(
    fid: str, sev: Severity, cwe: int, title: str, detail: str, fix: str, *refs: str
) -> Entry:
    if fid in _TRUST_ALL:
        fix = fix + " " + _DEVCERT
    return Entry(fid, sev, title, detail, fix, refs, cwe)


_PYTHON = (
    _e("lint.python.smtplib_no_context", C, 295,
       "smtplib TLS without a verifying context",
       "{call} is called without a verifying ssl context, so Python does not check the "
       "server certificate at all. " + _ANY,
       "Pass context=ssl.create_default_context() (or your CA with cafile=...), "
       "or use mailtls.client, which verifies.", PY_SMTP, RFC8314),
    _e("lint.python.imaplib_no_context", C, 295,
       "imaplib TLS without a verifying context",
       "{call} is called without a verifying ssl_context, so the IMAP server certificate "
       "is not checked. " + _ANY,
       "Pass ssl_context=ssl.create_default_context().", PY_SSL),
    _e("lint.python.poplib_no_context", C, 295,
       "poplib TLS without a verifying context",
       "{call} is called without a verifying context, so the POP3 server certificate "
       "is not checked. " + _ANY,
       "Pass context=ssl.create_default_context().", PY_SSL),
    _e("lint.python.unverified_context", C, 295,
       "Unverified ssl context",
       "{call} builds a context that accepts any certificate for any name. " + _ANY,
       "Use ssl.create_default_context(); for a private CA add cafile=... "
       "instead of switching verification off.", PY_SSL),
    _e("lint.python.cert_none", C, 295,
       "Certificate verification set to CERT_NONE",
       "verify_mode/cert_reqs CERT_NONE accepts any certificate. " + _ANY,
       "Keep ssl.CERT_REQUIRED (the default of ssl.create_default_context()) and "
       "trust your CA with load_verify_locations().", PY_SSL),
    _e("lint.python.check_hostname_false", H, 297,
       "Host name checking switched off",
       "check_hostname = False accepts a valid certificate issued for another name. "
       + _ANY_NAME,
       "Keep check_hostname = True and connect to a name the certificate lists.", PY_SSL),
    _e("lint.python.aiosmtplib_no_verify", C, 295,
       "aiosmtplib with validate_certs=False",
       "validate_certs=False makes aiosmtplib accept any certificate. " + _ANY,
       "Remove validate_certs=False; for a private CA pass cert_bundle=... or "
       "tls_context=ssl.create_default_context(cafile=...).",
       "https://aiosmtplib.readthedocs.io/en/latest/encryption.html"),
    _e("lint.python.aiosmtplib_opportunistic", M, 295,
       "aiosmtplib opportunistic STARTTLS (start_tls=None)",
       "start_tls=None uses TLS only when the server offers it. " + _DOWNGRADE,
       "Use start_tls=True (submission, port 587) or use_tls=True (port 465).",
       "https://aiosmtplib.readthedocs.io/en/latest/encryption.html"),
    _e("lint.python.http_verify_false", C, 295,
       "HTTP client with verify=False",
       "verify=False makes requests/httpx accept any certificate (mail APIs, OAuth token "
       "endpoints). An attacker on the path can read and change the requests, including "
       "the API keys and tokens they carry.",
       "Remove verify=False; for a private CA pass verify='/path/to/ca.pem'.",
       "https://requests.readthedocs.io/en/latest/user/advanced/#ssl-cert-verification"),
    _e("lint.python.django_ssl_context", H, 295,
       "Django email backend overrides ssl_context",
       "The ssl_context override of {name} does not build a verifying context, so Django's "
       "SMTP backend may accept any certificate. " + _ANY,
       "Return ssl.create_default_context(cafile=...) from the override, or drop it and "
       "use EMAIL_SSL_CERTFILE/EMAIL_SSL_KEYFILE only for client certificates.",
       "https://docs.djangoproject.com/en/stable/topics/email/#smtp-backend"),
    _e("lint.python.flask_mail_no_context", C, 295,
       "Flask-Mail does not verify the server certificate",
       "Flask-Mail calls smtplib's starttls()/SMTP_SSL() without a context, so with "
       "MAIL_USE_TLS or MAIL_USE_SSL the certificate is never checked. " + _ANY,
       "Send through smtplib with context=ssl.create_default_context() (or "
       "mailtls.client), or a maintained extension that passes a verifying context.",
       "https://github.com/mattupstate/flask-mail"),
    _e("lint.python.yagmail_no_context", C, 295,
       "yagmail without a verifying context",
       "yagmail opens SMTP_SSL()/starttls() without a context unless one is passed, so "
       "the certificate is not checked. " + _ANY,
       "Pass context=ssl.create_default_context() to yagmail.SMTP and do not use "
       "smtp_starttls=True, or send with smtplib and a verifying context.",
       "https://github.com/kootenpv/yagmail"),
)

_JVM = (
    _e("lint.java.trust_all_manager", C, 295,
       "TrustManager that trusts every certificate",
       "checkServerTrusted in {name} does not always throw for a bad chain ({path}), so "
       "such a chain is accepted. " + _ANY,
       "Delete the custom TrustManager. For a private CA load it into a KeyStore and use "
       "TrustManagerFactory.", JAKARTA),
    _e("lint.java.hostname_verifier_true", H, 297,
       "HostnameVerifier that accepts every name",
       "A HostnameVerifier that always returns true accepts a certificate for any "
       "name. " + _ANY_NAME,
       "Remove the custom HostnameVerifier and keep the default one.", RFC6125),
    _e("lint.java.mail_ssl_trust_all", C, 295,
       "Jakarta Mail trusts all hosts (ssl.trust = *)",
       "{key} = \"*\" makes JavaMail/Jakarta Mail trust every certificate. " + _ANY,
       "Remove the property; for a private CA import the CA into the trust store (a host "
       "list in ssl.trust also accepts any certificate from those hosts).", JAKARTA),
    _e("lint.java.mail_ssl_trust_hosts", H, 295,
       "Jakarta Mail trusts any certificate from listed hosts (ssl.trust)",
       "{key} = \"{hosts}\" makes JavaMail/Jakarta Mail accept any certificate, "
       "self-signed or forged, from a server reached under these names: only the name is "
       "compared. An attacker on the path to that host can read the password and the mail.",
       "Remove the property and put the server's CA into the trust store the client uses "
       "(javax.net.ssl.trustStore or mail.<protocol>.ssl.socketFactory).", JAKARTA),
    _e("lint.java.mail_identity_default_off", M, 297,
       "Jakarta Mail host name check off by default",
       "{key} is read with false as its default, so unless the user sets it the server's "
       "host name is not checked. " + _ANY_NAME,
       "Default the property to true, or check the host name after the handshake "
       "(HostnameChecker / SSLParameters.setEndpointIdentificationAlgorithm(\"HTTPS\")).",
       JAKARTA),
    _e("lint.java.mail_no_identity_check", H, 297,
       "Jakarta Mail server identity check off",
       "{key} = false skips the host name check. " + _ANY_NAME,
       "Set mail.<protocol>.ssl.checkserveridentity to true.", JAKARTA),
    _e("lint.java.mail_trust_all_hosts", C, 295,
       "MailSSLSocketFactory trusts all hosts",
       "setTrustAllHosts(true) accepts every certificate. " + _ANY,
       "Remove setTrustAllHosts(true) and keep the default socket factory with the CA in "
       "the trust store (setTrustedHosts also accepts any certificate from its hosts).",
       JAKARTA),
    _e("lint.java.commons_email_no_identity_check", H, 297,
       "Commons Email TLS without server identity check",
       "Commons Email turns TLS on here without setSSLCheckServerIdentity(true), so "
       "the host name is not checked. " + _ANY_NAME,
       "Call email.setSSLCheckServerIdentity(true) next to setSSLOnConnect/"
       "setStartTLSRequired.", "https://commons.apache.org/proper/commons-email/"),
)

_WEB = (
    _e("lint.js.reject_unauthorized_false", C, 295,
       "TLS with rejectUnauthorized: false",
       "rejectUnauthorized: false makes Node.js (nodemailer, imapflow, tls) accept any "
       "certificate. " + _ANY,
       "Remove rejectUnauthorized: false; for a private CA pass ca: fs.readFileSync("
       "'ca.pem').", NODE_TLS),
    _e("lint.js.nodemailer_ignore_tls", H, 295,
       "nodemailer ignoreTLS: true",
       "ignoreTLS: true never starts TLS, so the password and the mail cross the network "
       "in clear text even when the server offers STARTTLS.",
       "Remove ignoreTLS and set requireTLS: true (or secure: true on port 465).",
       "https://nodemailer.com/smtp/"),
    _e("lint.js.node_tls_reject_unauthorized", C, 295,
       "NODE_TLS_REJECT_UNAUTHORIZED=0",
       "NODE_TLS_REJECT_UNAUTHORIZED=0 switches certificate checks off for every TLS "
       "connection of the process. " + _ANY,
       "Remove it; for a private CA set NODE_EXTRA_CA_CERTS=/path/to/ca.pem.", NODE_TLS),
    _e("lint.php.verify_peer_off", C, 295,
       "PHP stream TLS with verify_peer off",
       "'{key}' => false (PHPMailer SMTPOptions, SwiftMailer setStreamOptions, Laravel "
       "mail config) disables certificate checks. " + _ANY,
       "Remove the option; for a private CA set 'cafile' => '/path/to/ca.pem'.", PHP_SSL),
    _e("lint.php.allow_self_signed", C, 295,
       "PHP stream TLS allows self-signed certificates",
       "'allow_self_signed' => true accepts a certificate that an attacker made "
       "himself. " + _ANY,
       "Remove allow_self_signed; trust the server's CA with 'cafile'.", PHP_SSL),
    _e("lint.php.smtp_auto_tls_off", H, 295,
       "PHPMailer SMTPAutoTLS = false",
       "SMTPAutoTLS = false skips STARTTLS even when the server offers it, so the "
       "password and the mail go in clear text.",
       "Remove SMTPAutoTLS = false and set SMTPSecure = PHPMailer::ENCRYPTION_STARTTLS.",
       "https://github.com/PHPMailer/PHPMailer/wiki/Troubleshooting"),
    _e("lint.php.mailer_dsn_verify_peer", C, 295,
       "Mailer DSN with verify_peer=0",
       "A Symfony/Laravel mailer DSN with verify_peer=0 accepts any certificate. " + _ANY,
       "Remove verify_peer=0 from the DSN; for a private CA configure the CA file.",
       "https://symfony.com/doc/current/mailer.html#tls-peer-verification"),
    _e("lint.php.curl_verify_off", C, 295,
       "cURL certificate check off",
       "{key} switched off makes cURL accept any certificate (or any name). " + _ANY,
       "Keep CURLOPT_SSL_VERIFYPEER true and CURLOPT_SSL_VERIFYHOST 2; set CURLOPT_CAINFO "
       "for a private CA.", "https://curl.se/libcurl/c/CURLOPT_SSL_VERIFYPEER.html"),
)

_NATIVE = (
    _e("lint.go.insecure_skip_verify", C, 295,
       "Go tls.Config InsecureSkipVerify: true",
       "InsecureSkipVerify: true accepts any certificate for any name (net/smtp, gomail, "
       "any tls.Config). " + _ANY,
       "Remove it and set ServerName; for a private CA set RootCAs.", GO_TLS),
    _e("lint.csharp.cert_callback_true", C, 295,
       "Certificate validation callback that returns true",
       "{key} can return true without the certificate having been verified ({path}), so "
       "MailKit/.NET accepts a certificate it should reject. " + _ANY,
       "Remove the callback; for a private CA check the chain against that CA and the "
       "host name, returning sslPolicyErrors == SslPolicyErrors.None otherwise.", MAILKIT),
    _e("lint.csharp.no_revocation_check", M, 295,
       "MailKit revocation check off",
       "CheckCertificateRevocation = false accepts a certificate that its CA revoked, "
       "for example after its key was stolen.",
       "Keep CheckCertificateRevocation = true.", MAILKIT),
    _e("lint.csharp.starttls_when_available", M, 295,
       "MailKit SecureSocketOptions.StartTlsWhenAvailable",
       "StartTlsWhenAvailable continues without TLS when STARTTLS is missing. "
       + _DOWNGRADE,
       "Use SecureSocketOptions.StartTls (port 587) or SslOnConnect (port 465).", MAILKIT),
    _e("lint.ruby.verify_none", C, 295,
       "Ruby mail with OpenSSL verify mode none",
       "openssl_verify_mode none (ActionMailer, Mail, Net::SMTP) accepts any "
       "certificate. " + _ANY,
       "Use openssl_verify_mode: 'peer' and ca_file: for a private CA.",
       "https://guides.rubyonrails.org/action_mailer_basics.html"),
    _e("lint.rust.accept_invalid_certs", C, 295,
       "Rust TLS accepts invalid certificates",
       "dangerous_accept_invalid_certs(true) (lettre, native-tls) accepts any "
       "certificate. " + _ANY,
       "Remove it; for a private CA use add_root_certificate().", LETTRE),
    _e("lint.rust.accept_invalid_hostnames", H, 297,
       "Rust TLS accepts invalid host names",
       "dangerous_accept_invalid_hostnames(true) accepts a certificate for another "
       "name. " + _ANY_NAME,
       "Remove it and connect to the name on the certificate.", LETTRE),
)

_CONFIG = (
    _e("lint.spring.mail_ssl_trust_all", C, 295,
       "Mail property ssl.trust = *",
       "{key} = * makes Jakarta Mail (Spring Boot spring.mail.properties) trust every "
       "certificate. " + _ANY,
       "Remove it, or set it to the exact mail host; import a private CA into the "
       "trust store.", JAKARTA),
    _e("lint.spring.mail_no_identity_check", H, 297,
       "Mail property checkserveridentity = false",
       "{key} = false skips the host name check. " + _ANY_NAME,
       "Set it to true.", JAKARTA),
    _e("lint.env.node_tls_reject_unauthorized", C, 295,
       "NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment",
       "Every TLS connection of the Node.js process accepts any certificate. " + _ANY,
       "Remove it; set NODE_EXTRA_CA_CERTS for a private CA.", NODE_TLS),
    _e("lint.env.verify_peer_off", C, 295,
       "Mail peer verification off in the environment",
       "{key} turns peer verification off for the mailer. " + _ANY,
       "Remove it (or set it to true) and configure the CA file for a private CA.",
       PHP_SSL),
    _e("lint.msmtp.tls_certcheck_off", C, 295,
       "msmtp tls_certcheck off",
       "tls_certcheck off makes msmtp accept any certificate. " + _ANY,
       "Use tls_certcheck on with tls_trust_file (or tls_fingerprint for one server).",
       "https://marlam.de/msmtp/msmtp.html"),
    _e("lint.mutt.ssl_verify_host_off", H, 297,
       "mutt ssl_verify_host unset",
       "With ssl_verify_host off mutt accepts a certificate for another name. "
       + _ANY_NAME,
       "set ssl_verify_host = yes.", "http://www.mutt.org/doc/manual/"),
    _e("lint.mutt.ssl_verify_dates_off", H, 295,
       "mutt ssl_verify_dates unset",
       "With ssl_verify_dates off mutt accepts expired certificates, whose keys may "
       "have been stolen or retired.",
       "set ssl_verify_dates = yes.", "http://www.mutt.org/doc/manual/"),
    _e("lint.shell.curl_insecure", C, 295,
       "curl -k/--insecure",
       "curl --insecure on {url} accepts any certificate and sends the credentials "
       "anyway. " + _ANY_CONNECTION,
       "Drop -k/--insecure; use --cacert ca.pem for a private CA (and --ssl-reqd for "
       "mail URLs).",
       "https://everything.curl.dev/usingcurl/tls/verify"),
    _e("lint.shell.swaks_no_verify", C, 295,
       "swaks TLS without --tls-verify",
       "swaks does not verify the certificate unless --tls-verify is given. " + _ANY,
       "Add --tls-verify (and --tls-ca-path for a private CA).",
       "https://jetmore.org/john/code/swaks/latest/doc/ref.txt"),
    _e("lint.shell.wrapper_no_verify", C, 295,
       "Shell function runs TLS without verification for its callers",
       "The function {name} hands its arguments to {tool} without turning certificate "
       "verification on, and the callers on lines {callers} use it for TLS. "
       + _ANY_CONNECTION,
       "Verify inside the function, once for every caller: swaks --tls-verify "
       "(--tls-ca-path for a private CA), curl without -k (--cacert), openssl s_client "
       "-verify_return_error -verify_hostname HOST.",
       "https://jetmore.org/john/code/swaks/latest/doc/ref.txt"),
    _e("lint.config.tls_verify_off", C, 295,
       "Certificate verification off in configuration",
       "{key} = {value} turns certificate or host name verification off for the client "
       "that reads this setting. " + _ANY_CONNECTION,
       "Remove the setting (verification is the default) and point the client to the "
       "CA file of a private CA instead.",
       "https://cwe.mitre.org/data/definitions/295.html"),
    _e("lint.powershell.cert_callback_true", C, 295,
       "PowerShell certificate callback that accepts everything",
       "{key} is set to accept every certificate, for every HTTPS, SMTP (Send-MailMessage) "
       "and LDAP connection of the PowerShell session. " + _ANY_CONNECTION,
       "Remove the callback; trust a private CA by importing it into the certificate "
       "store (Import-Certificate -CertStoreLocation Cert:\\LocalMachine\\Root).",
       "https://learn.microsoft.com/dotnet/api/system.net.servicepointmanager."
       "servercertificatevalidationcallback"),
    _e("lint.powershell.skip_certificate_check", C, 295,
       "PowerShell -SkipCertificateCheck",
       "-SkipCertificateCheck makes Invoke-WebRequest/Invoke-RestMethod accept any "
       "certificate. " + _ANY_CONNECTION,
       "Remove -SkipCertificateCheck; import a private CA into the certificate store.",
       "https://learn.microsoft.com/powershell/module/microsoft.powershell.utility/"
       "invoke-restmethod"),
)

SJM = "https://www.simplejavamail.org/security.html"
COMMONS_NET = "https://commons.apache.org/proper/commons-net/apidocs/"
RUBY_IMAP = "https://docs.ruby-lang.org/en/master/Net/IMAP.html"
RUST_OPENSSL = "https://docs.rs/openssl/latest/openssl/ssl/struct.SslConnectorBuilder.html"
RUSTLS = "https://docs.rs/rustls/latest/rustls/client/danger/trait.ServerCertVerifier.html"

_APIS = (
    _e("lint.java.simplejavamail_trust_all", C, 295,
       "Simple Java Mail trusts all hosts",
       "{call} makes Simple Java Mail accept any certificate. " + _ANY,
       "Remove it; for a private CA add it to the trust store (trustingSSLHosts also "
       "accepts any certificate from the hosts it names).", SJM),
    _e("lint.java.simplejavamail_no_identity_check", H, 297,
       "Simple Java Mail server identity check off",
       "verifyingServerIdentity(false) skips the host name check. " + _ANY_NAME,
       "Remove it (the check is on by default).", SJM),
    _e("lint.java.commons_net_accept_all", C, 295,
       "Commons Net trust manager that checks nothing",
       "TrustManagerUtils.{call}() does not verify the certificate chain (at most its "
       "dates). " + _ANY,
       "Leave the default trust manager of the JVM, or build one from a KeyStore with "
       "your CA through TrustManagerFactory.", COMMONS_NET),
    _e("lint.java.commons_net_no_endpoint_check", H, 297,
       "Commons Net mail client without a host name check",
       "{name} does not check the server's host name unless endpoint checking is turned "
       "on, and this file never does. " + _ANY_NAME,
       "Call setEndpointCheckingEnabled(true) (or setHostnameVerifier with a real "
       "verifier) before connecting.", COMMONS_NET),
    _e("lint.ruby.net_imap_no_verify", C, 295,
       "Ruby Net::IMAP without certificate verification",
       "{call} connects with TLS but verify is false, so any certificate is accepted. "
       + _ANY,
       "Pass ssl: true (or a hash with ca_file:) and let Net::IMAP verify.", RUBY_IMAP),
    _e("lint.rust.openssl_verify_none", C, 295,
       "Rust openssl with SslVerifyMode::NONE",
       "{call} with SslVerifyMode::NONE accepts any certificate. " + _ANY,
       "Keep SslVerifyMode::PEER (the default of SslConnector); load a private CA with "
       "set_ca_file.", RUST_OPENSSL),
    _e("lint.rust.openssl_no_hostname", H, 297,
       "Rust openssl host name check off",
       "{call}(false) turns the host name check off. " + _ANY_NAME,
       "Remove the call (the check is on by default).", RUST_OPENSSL),
    _e("lint.rust.rustls_no_verify", C, 295,
       "rustls certificate verifier that accepts everything",
       "verify_server_cert in {name} returns Ok without verifying, and it is installed "
       "through dangerous(). " + _ANY,
       "Use the WebPkiServerVerifier with your roots (RootCertStore) instead of a custom "
       "verifier.", RUSTLS),
    _e("lint.python.managesieve_no_verify", C, 295,
       "ManageSieve with tls_verify=False",
       "tls_verify=False makes the ManageSieve client accept any certificate. " + _ANY,
       "Remove tls_verify=False (verification is on by default).",
       "https://pypi.org/project/managesieve/"),
    _e("lint.python.twisted_no_verify", C, 295,
       "Twisted TLS context that does not verify",
       "{call} does not verify the server certificate (Twisted mail clients use it for "
       "STARTTLS and TLS). " + _ANY,
       "Use twisted.internet.ssl.optionsForClientTLS(hostname), which verifies.",
       "https://docs.twisted.org/en/stable/core/howto/ssl.html"),
)

_META = (
    Entry("lint.expired_exception", H,
          "Lint exception expired",
          "The exception for {rule} ran until {until}; the finding is back.",
          "Fix the code, or renew the exception with a new date and a reason.", (), 295),
    Entry("lint.bad_exception", M,
          "Lint exception without a date or a reason",
          "A mailtls exception comment needs: mailtls: allow RULE-ID until YYYY-MM-DD "
          "-- reason. Found: {text}",
          "Write the rule id, an end date and a reason, or remove the comment.", (), 295),
    Entry("lint.file_skipped", INFO,
          "File not scanned",
          "Reason: {reason}.",
          "Scan the file's source form, or exclude it with --exclude.", ()),
    Entry("lint.file_partial", INFO,
          "File scanned in part",
          "Reason: {reason}.",
          "Fix the syntax error so that the whole file can be checked.", ()),
    Entry("lint.vendored_skipped", INFO,
          "Vendored folder not scanned",
          "{folder} holds third-party code (node_modules, vendor, ...), which is not "
          "scanned by default.",
          "Run with --include-vendored to scan it too.", ()),
    Entry("lint.internal_error", H,
          "File not checked: mailtls failed on it",
          "Scanning this file failed with {error}. The file was not checked; the other files "
          "were, and the run exits with status 3 (could not test).",
          "Report the failure to mailtls with the traceback that --verbose shows, and review "
          "this file by hand until it is fixed.", ()),
)

#: Reasons for file notes (the ``reason`` param; translated when shown).
REASONS = (
    "binary file",
    "larger than the size limit",
    "not UTF-8; read as Latin-1",
    "syntax error; not parsed",
    "syntax errors; scanned what parsed",
    "nested too deeply to parse",
    "could not be read",
    "not a regular file",
    "took longer than the time limit to scan",
    "YAML aliases expand too far; each aliased part scanned once",
)

UI_STRINGS = (
    "Fix",
    "findings",
    "files scanned",
    "not scanned",
    "No findings.",
    "critical",
    "high",
    "medium",
    "low",
    "info",
    # contexts of a finding (mailtls.lint.context)
    "production",
    "test",
    "example",
    "tooling",
    *REASONS,
)

PART = Part(
    "mailtls-lint",
    _PYTHON + _JVM + _WEB + _NATIVE + _CONFIG + _APIS + _META,
    UI_STRINGS,
    frozenset({"reason"}),
)
