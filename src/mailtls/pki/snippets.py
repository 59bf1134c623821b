"""The configuration that makes each mail client and server verify against a devcert CA.

Every snippet keeps verification on and adds exactly one thing: the CA (``DIR/ca.pem``)
as what to trust, or the certificate a server presents. Titles and notes are catalogue
msgids (``catalog/parts/devcert.py``), printed as comments of the snippet's own language,
so that ``mailtls devcert trust --client NAME`` prints a file that runs or loads as it is
(the tests execute the printed text).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Where:
    """The paths and the endpoint the snippets name."""

    ca: Path
    chain: Path
    key: Path
    host: str
    port: int = 587
    imap_port: int = 993
    permitted: str = ""

    def tokens(self) -> dict[str, str]:
        ca, d = str(self.ca), str(self.ca.parent)
        return {
            "{ca}": ca, "{ca_q}": json.dumps(ca), "{ca_sh}": shlex.quote(ca),
            "{dir_sh}": shlex.quote(d), "{chain}": str(self.chain), "{key}": str(self.key),
            "{host}": self.host, "{host_q}": json.dumps(self.host),
            "{port}": str(self.port), "{imap_port}": str(self.imap_port),
            "{ca_php}": _php_string(ca), "{host_php}": _php_string(self.host),
        }


def _php_string(text: str) -> str:
    """A single-quoted PHP literal: no ``$`` interpolation, and non-ASCII kept as it is
    (PHP reads neither ``\\uXXXX`` nor ``\\u{...}`` in single quotes, so JSON will not do)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class Snippet:
    """One client's snippet: a title (msgid), an optional note (msgid), the code."""

    client: str
    title: str
    code: str
    comment: str = "#"
    note: str = ""


_PY_CONTEXT = 'context = ssl.create_default_context(cafile={ca_q})\n'

SNIPPETS: tuple[Snippet, ...] = (
    Snippet("postfix", "Postfix (main.cf): serve the devcert certificate, and verify the "
            "servers it relays to against the devcert CA",
            "smtpd_tls_chain_files = {key}, {chain}\nsmtpd_tls_security_level = may\n"
            "smtp_tls_CAfile = {ca}\nsmtp_tls_security_level = secure\n",
            note="smtp_tls_security_level = secure verifies every relay; for one destination "
            "only, put \"[{host}]:{port} secure\" in smtp_tls_policy_maps instead."),
    Snippet("dovecot", "Dovecot (dovecot.conf): serve the devcert certificate, verify "
            "outgoing TLS against the devcert CA",
            "ssl = required\nssl_cert = <{chain}\nssl_key = <{key}\n"
            "ssl_client_ca_file = {ca}\n"),
    Snippet("python", "Python (ssl): a context that trusts the devcert CA; verification "
            "and host name checks stay on",
            "import ssl\n\n" + _PY_CONTEXT),
    Snippet("smtplib", "Python (smtplib): STARTTLS verified against the devcert CA",
            "import smtplib\nimport ssl\n\n" + _PY_CONTEXT +
            "with smtplib.SMTP({host_q}, {port}) as smtp:\n"
            "    smtp.starttls(context=context)\n    smtp.noop()\n"),
    Snippet("imaplib", "Python (imaplib): IMAP over TLS verified against the devcert CA",
            "import imaplib\nimport ssl\n\n" + _PY_CONTEXT +
            "with imaplib.IMAP4_SSL({host_q}, {imap_port}, ssl_context=context) as imap:\n"
            "    imap.noop()\n"),
    Snippet("aiosmtplib", "Python (aiosmtplib): STARTTLS verified against the devcert CA",
            "import asyncio\nimport ssl\n\nimport aiosmtplib\n\n\nasync def main() -> None:\n"
            "    context = ssl.create_default_context(cafile={ca_q})\n"
            "    smtp = aiosmtplib.SMTP(hostname={host_q}, port={port}, start_tls=True,\n"
            "                           tls_context=context)\n"
            "    await smtp.connect()\n    await smtp.noop()\n    await smtp.quit()\n\n\n"
            "asyncio.run(main())\n"),
    Snippet("mailtls", "Python (mailtls.client): the devcert CA as the private trust",
            "from mailtls.client import Client\n\n"
            "with Client(\"submission://{host}:{port}\", ca_file={ca_q}) as client:\n"
            "    client.connect()\n"),
    Snippet("java", "Java (Jakarta Mail): a trust store with the devcert CA; leave "
            "mail.smtp.ssl.trust unset",
            "keytool -importcert -noprompt -alias mailtls-devcert -file {ca_sh} "
            "-keystore {dir_sh}/truststore.p12 -storetype PKCS12 -storepass changeit\n"
            "java -Djavax.net.ssl.trustStore={dir_sh}/truststore.p12 "
            "-Djavax.net.ssl.trustStorePassword=changeit -jar app.jar\n\n"
            "mail.smtp.host={host}\nmail.smtp.port={port}\nmail.smtp.starttls.enable=true\n"
            "mail.smtp.starttls.required=true\nmail.smtp.ssl.checkserveridentity=true\n"),
    Snippet("nodemailer", "Node.js (nodemailer): tls.ca is the devcert CA; "
            "rejectUnauthorized stays true", (
                "const fs = require(\"fs\");\nconst nodemailer = require(\"nodemailer\");\n\n"
                "const transporter = nodemailer.createTransport({\n"
                "  host: {host_q},\n  port: {port},\n  secure: false,\n  requireTLS: true,\n"
                "  tls: { ca: fs.readFileSync({ca_q}) },\n});\n\n"
                "transporter.verify().then(\n  () => console.log(\"verified\"),\n"
                "  (err) => { console.error(err.message); process.exitCode = 1; },\n);\n"),
            "//"),
    Snippet("node", "Node.js (any TLS client): add the devcert CA to Node's trusted CAs",
            "NODE_EXTRA_CA_CERTS={ca_sh} node app.js\n"),
    Snippet("php", "PHP (PHPMailer): SMTPOptions with the devcert CA as cafile, "
            "verification on",
            "$mail->isSMTP();\n$mail->Host = {host_php};\n$mail->Port = {port};\n"
            "$mail->SMTPSecure = \\PHPMailer\\PHPMailer\\PHPMailer::ENCRYPTION_STARTTLS;\n"
            "$mail->SMTPOptions = ['ssl' => [\n    'cafile' => {ca_php},\n"
            "    'verify_peer' => true,\n    'verify_peer_name' => true,\n"
            "    'allow_self_signed' => false,\n]];\n", "//"),
    Snippet("go", "Go (net/smtp): tls.Config with the devcert CA as RootCAs",
            "caPEM, err := os.ReadFile({ca_q})\nif err != nil {\n\tlog.Fatal(err)\n}\n"
            "roots := x509.NewCertPool()\nroots.AppendCertsFromPEM(caPEM)\n"
            "c, err := smtp.Dial(\"{host}:{port}\")\nif err != nil {\n\tlog.Fatal(err)\n}\n"
            "if err := c.StartTLS(&tls.Config{RootCAs: roots, ServerName: {host_q}}); "
            "err != nil {\n\tlog.Fatal(err)\n}\n", "//"),
    Snippet("dotnet", ".NET (MailKit): the chain built against the devcert CA only "
            "(CustomRootTrust); a wrong name is still refused",
            "var devCa = X509Certificate2.CreateFromPem(File.ReadAllText({ca_q}));\n"
            "client.ServerCertificateValidationCallback = (sender, certificate, chain, "
            "errors) =>\n{\n"
            "    if (certificate == null || (errors & ~SslPolicyErrors.RemoteCertificate"
            "ChainErrors) != SslPolicyErrors.None)\n        return false;\n"
            "    using var custom = new X509Chain();\n"
            "    custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;\n"
            "    custom.ChainPolicy.CustomTrustStore.Add(devCa);\n"
            "    custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;\n"
            "    if (chain != null)\n        foreach (var element in chain.ChainElements)\n"
            "            custom.ChainPolicy.ExtraStore.Add(element.Certificate);\n"
            "    return custom.Build(new X509Certificate2(certificate));\n};\n", "//"),
    Snippet("ruby", "Ruby (Net::SMTP, ActionMailer): peer verification with the devcert "
            "CA as ca_file",
            "require \"net/smtp\"\nrequire \"openssl\"\n\n"
            "context = OpenSSL::SSL::SSLContext.new\n"
            "context.set_params(verify_mode: OpenSSL::SSL::VERIFY_PEER, ca_file: {ca_q})\n"
            "smtp = Net::SMTP.new({host_q}, {port})\nsmtp.enable_starttls(context)\n"
            "smtp.start(\"localhost\") { |session| session }\n\n"
            "# config.action_mailer.smtp_settings = { address: {host_q}, port: {port}, "
            "enable_starttls: true, openssl_verify_mode: \"peer\", ca_file: {ca_q} }\n"),
    Snippet("msmtp", "msmtp (~/.msmtprc): certificate checks on, the devcert CA as trust file",
            "account devcert\nhost {host}\nport {port}\ntls on\ntls_starttls on\n"
            "tls_trust_file {ca}\ntls_certcheck on\nfrom you@{host}\n"
            "account default : devcert\n"),
    Snippet("mutt", "mutt (muttrc): the devcert CA as the CA file; host and date checks on",
            "set ssl_ca_certificates_file = \"{ca}\"\nset ssl_verify_host = yes\n"
            "set ssl_verify_dates = yes\nset ssl_force_tls = yes\n"
            "set smtp_url = \"smtp://you@{host}:{port}/\"\n"
            "set folder = \"imaps://you@{host}:{imap_port}/\"\n"),
    Snippet("curl", "curl: STARTTLS required, verified against the devcert CA",
            "curl --ssl-reqd --cacert {ca_sh} --request NOOP smtp://{host}:{port}\n"),
    Snippet("swaks", "swaks: TLS required and verified against the devcert CA",
            "swaks --server {host}:{port} --tls --tls-verify --tls-ca-path {ca_sh} "
            "--quit-after TLS\n"),
    Snippet("debian", "Debian or Ubuntu: add the devcert CA to the system store",
            "sudo cp {ca_sh} /usr/local/share/ca-certificates/mailtls-devcert.crt\n"
            "sudo update-ca-certificates\n",
            note="Warning: every program on this machine then trusts this CA for every name "
            "its constraints permit ({permitted}), and whoever holds intermediate-key.pem "
            "can issue for them. To revoke it: delete the file above and run "
            "sudo update-ca-certificates --fresh."),
)
CLIENTS: tuple[str, ...] = tuple(s.client for s in SNIPPETS)
_BY_CLIENT = {s.client: s for s in SNIPPETS}


def _fill(text: str, tokens: dict[str, str]) -> str:
    for token, value in tokens.items():
        text = text.replace(token, value)
    return text


def render_one(snippet: Snippet, where: Where, tr: Callable[[str], str]) -> str:
    """The snippet with its title (and note) as comments, paths and endpoint filled in."""
    tokens = where.tokens()
    lines = [f"{snippet.comment} {tr(snippet.title)}"]
    if snippet.note:
        note = tr(snippet.note).format(host=where.host, port=where.port,
                                       permitted=where.permitted)
        lines.append(f"{snippet.comment} {note}")
    return "\n".join(lines) + "\n" + _fill(snippet.code, tokens)


def render(clients: Sequence[str], where: Where, tr: Callable[[str], str]) -> str:
    """The snippets of ``clients`` (every client when empty), separated by blank lines."""
    chosen = [_BY_CLIENT[c] for c in clients] if clients else list(SNIPPETS)
    return "\n".join(render_one(s, where, tr) for s in chosen)
