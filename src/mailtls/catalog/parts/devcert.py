"""Catalogue part "devcert": the development CA's messages, errors and snippet titles.

Gettext domain ``mailtls-devcert``. The error messages are those of
``mailtls.pki.names.NameRefused`` and ``mailtls.pki.devca.DevcertError`` (each carries its
error id, ``devcert.*``); the titles and notes are those of ``mailtls.pki.snippets``,
printed as comments above each snippet. A test checks that every message the code can
raise or print is listed here. Translations: locale/zh_CN/LC_MESSAGES/mailtls-devcert.po.
"""

from __future__ import annotations

from ..entry import Part

UI_STRINGS: tuple[str, ...] = (
    "{name}: a wildcard must be the whole left-most label, as in *.mail.test",
    "{name}: a wildcard needs at least two labels after it (*.mail.test); clients ignore "
        "it otherwise",
    "an empty name was given",
    "give at least one name to issue for",
    "{count} names given; a certificate holds at most {limit}",
    "--permit {name}: would permit every name",
    "--permit {name}: give a domain such as .dev.example.com, without a wildcard",
    "{name}: not a valid IP address",
    "{name}: not a valid host name (IDNA, UTS 46): {reason}",
    "{name}: this development CA cannot vouch for it: its name constraints permit only "
        "{permitted} (add a subtree with devcert init --permit)",
    "--permit {name}: not a valid IP range",
    "{dir}: cannot write there ({reason})",
    "{dir}: exists and is not a directory",
    "{dir}: exists and is not empty; nothing was overwritten (give --force to replace the "
        "CA there)",
    "{dir}: no development CA there ({reason}); run mailtls devcert init first",
    "--days {days}: a server certificate lives 1 to {limit} days",
    "Created a development CA in {dir}; it can vouch only for: {permitted}.",
    "The root key was destroyed after signing the intermediate. Trust {ca} (mailtls "
        "devcert trust prints how).",
    "Issued {chain} (certificate, then intermediate) and {key}, valid until {date}.",
    "Clients verify it against {ca}.",
    "{given} is written as {ascii} (IDNA)",
    "mailtls devcert: a development certificate authority, made on {created}.\n\nca.pem is "
        "the root certificate that clients trust. Its key was destroyed as soon as it had "
        "signed the intermediate, so it can sign nothing else. Both certificates carry name "
        "constraints: they can vouch only for {permitted}.\n\nintermediate.pem and "
        "intermediate-key.pem (mode 0600) issue the server certificates (mailtls devcert issue "
        "NAME): NAME.pem holds the certificate followed by the intermediate, NAME-key.pem its "
        "key.\n\nTo revoke this CA, remove ca.pem from every trust store you added it to (for "
        "Debian: delete /usr/local/share/ca-certificates/mailtls-devcert.crt and run "
        "update-ca-certificates --fresh; for Java: keytool -delete -alias mailtls-devcert), "
        "then delete this directory.\n",
    "Postfix (main.cf): serve the devcert certificate, and verify the servers it relays to "
        "against the devcert CA",
    "smtp_tls_security_level = secure verifies every relay; for one destination only, put "
        "\"[{host}]:{port} secure\" in smtp_tls_policy_maps instead.",
    "Dovecot (dovecot.conf): serve the devcert certificate, verify outgoing TLS against "
        "the devcert CA",
    "Python (ssl): a context that trusts the devcert CA; verification and host name checks "
        "stay on",
    "Python (smtplib): STARTTLS verified against the devcert CA",
    "Python (imaplib): IMAP over TLS verified against the devcert CA",
    "Python (aiosmtplib): STARTTLS verified against the devcert CA",
    "Python (mailtls.client): the devcert CA as the private trust",
    "Java (Jakarta Mail): a trust store with the devcert CA; leave mail.smtp.ssl.trust "
        "unset",
    "Node.js (nodemailer): tls.ca is the devcert CA; rejectUnauthorized stays true",
    "Node.js (any TLS client): add the devcert CA to Node's trusted CAs",
    "PHP (PHPMailer): SMTPOptions with the devcert CA as cafile, verification on",
    "Go (net/smtp): tls.Config with the devcert CA as RootCAs",
    ".NET (MailKit): the chain built against the devcert CA only (CustomRootTrust); a "
        "wrong name is still refused",
    "Ruby (Net::SMTP, ActionMailer): peer verification with the devcert CA as ca_file",
    "msmtp (~/.msmtprc): certificate checks on, the devcert CA as trust file",
    "mutt (muttrc): the devcert CA as the CA file; host and date checks on",
    "curl: STARTTLS required, verified against the devcert CA",
    "swaks: TLS required and verified against the devcert CA",
    "Debian or Ubuntu: add the devcert CA to the system store",
    "Warning: every program on this machine then trusts this CA for every name its "
        "constraints permit ({permitted}), and whoever holds intermediate-key.pem can issue "
        "for them. To revoke it: delete the file above and run sudo update-ca-certificates "
        "--fresh.",
)

PART = Part("mailtls-devcert", (), UI_STRINGS)
