"""Catalogue part "audit": Postfix and Dovecot configuration rules (gettext domain mailtls-audit).

Certificate-file findings have the same sentences for Postfix and Dovecot (one msgid,
one translation); ``{param}`` names the setting, ``{file}`` the file it names.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from ...model import Severity
from ..entry import Entry, Part

C, H, M, L = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW

TLS_README = "https://www.postfix.org/TLS_README.html"
POSTCONF5 = "https://www.postfix.org/postconf.5.html"
MASTER5 = "https://www.postfix.org/master.5.html"
DOVECOT_SSL = "https://doc.dovecot.org/2.3/configuration_manual/dovecot_ssl_configuration/"
RFC8314 = "https://www.rfc-editor.org/rfc/rfc8314"
RFC8996 = "https://www.rfc-editor.org/rfc/rfc8996"
RFC7672 = "https://www.rfc-editor.org/rfc/rfc7672"
RFC5280 = "https://www.rfc-editor.org/rfc/rfc5280"
RFC6125 = "https://www.rfc-editor.org/rfc/rfc6125"

# --- sentences shared by Postfix and Dovecot: (Postfix id, Dovecot id) -> the entry ---------
_CERT: dict[tuple[str, str], tuple[Any, ...]] = {
    ("postfix.cert_missing", "dovecot.cert_missing"): (
        H,
        "Certificate or key file missing",
        "{param} ({where}) names {file}, which does not exist, or names no file while TLS "
        "is enabled: the server cannot offer TLS.",
        "Install the certificate chain and its key at the configured paths, or point {param} "
        "at the files that exist; then reload the server and check its log.",
        (TLS_README, DOVECOT_SSL),
        None,
    ),
    ("postfix.cert_unreadable", "dovecot.cert_unreadable"): (
        H,
        "Certificate or key file unreadable",
        "{file} ({param}, {where}) cannot be used: {reason}.",
        "Give the server a PEM file it can read: certificates as 'BEGIN CERTIFICATE' blocks, "
        "an unencrypted private key (the server cannot ask for a passphrase).",
        (TLS_README, DOVECOT_SSL),
        None,
    ),
    ("postfix.cert_expired", "dovecot.cert_expired"): (
        C,
        "Configured certificate expired",
        "The certificate {subject} in {file} expired on {not_after} ({days} ago).",
        "Renew the certificate, install it with its intermediates and reload the server. "
        "Clients that verify refuse it; clients that do not verify teach users to accept "
        "any certificate.",
        (RFC5280,),
        298,
    ),
    ("postfix.cert_expires_soon", "dovecot.cert_expires_soon"): (
        M,
        "Configured certificate expires soon",
        "The certificate {subject} in {file} expires on {not_after}, in {days}.",
        "Renew it now and automate the renewal (an ACME client), with a reload of the server "
        "after each renewal.",
        (RFC5280,),
        None,
    ),
    ("postfix.cert_key_mismatch", "dovecot.cert_key_mismatch"): (
        H,
        "Certificate and private key do not match",
        "The key in {key_file} is not the key of the certificate {subject} in {file}.",
        "Configure the key that belongs to the certificate (compare 'openssl x509 -noout "
        "-pubkey' with 'openssl pkey -pubout'); the server cannot start TLS with this pair.",
        (TLS_README, DOVECOT_SSL),
        None,
    ),
    ("postfix.cert_hostname_mismatch", "dovecot.cert_hostname_mismatch"): (
        H,
        "Configured certificate does not name the server",
        "The certificate {subject} in {file} is for {names}, not for {host} (the server's "
        "name).",
        "Have a certificate issued whose subjectAltName contains {host} (and every name "
        "clients use), or correct the server's name.",
        (RFC6125,),
        297,
    ),
    ("postfix.chain_incomplete", "dovecot.chain_incomplete"): (
        H,
        "Configured certificate file lacks the intermediate",
        "{file} holds the certificate {subject} without the intermediate certificate of "
        "{issuer}: clients that verify cannot build a path to a trusted root.",
        "Put the full chain in the file: the server certificate first, then each "
        "intermediate (the 'fullchain' file of an ACME client).",
        (RFC5280,),
        295,
    ),
    ("postfix.cert_untrusted", "dovecot.cert_untrusted"): (
        M,
        "Configured certificate not from a trusted CA",
        "The certificate {subject} in {file} is not issued by a CA in {trust} ({problem}).",
        "Use a certificate from a public CA for servers that others reach (an ACME CA is "
        "free); for a private CA, make every client trust that CA explicitly.",
        (RFC5280,),
        295,
    ),
    ("postfix.cert_invalid", "dovecot.cert_invalid"): (
        H,
        "Configured certificate fails verification",
        "The certificate {subject} in {file}: {problem}.",
        "Replace the certificate with one that verifies (see 'mailtls scan' for the same "
        "check over the network).",
        (RFC5280,),
        295,
    ),
    ("postfix.key_world_readable", "dovecot.key_world_readable"): (
        H,
        "Private key readable by every user",
        "{file} ({param}, {where}) has mode {mode}: any local user or compromised service "
        "can copy the key and impersonate the server.",
        "Make the key readable by root only (chmod 600, owner root); the server reads it "
        "before dropping privileges.",
        (TLS_README,),
        732,
    ),
    ("postfix.config_error", "dovecot.config_error"): (
        H,
        "Configuration error",
        "{problem} ({context})",
        "Correct the line; 'postconf -n' / 'doveconf -n' show how the server reads the file.",
        (POSTCONF5, DOVECOT_SSL),
        None,
    ),
    ("postfix.config_unreadable", "dovecot.config_unreadable"): (
        H,
        "Configuration file could not be audited",
        "{problem} ({context})",
        "Check the path and the permissions, and run the audit as a user who can read the "
        "configuration (usually root).",
        (),
        None,
    ),
}


def _cert_entries(area: int) -> tuple[Entry, ...]:
    """The entries of Postfix (0) or Dovecot (1): the same sentences, the area's own ids."""
    return tuple(Entry(ids[area], *v) for ids, v in _CERT.items())


_POSTFIX = (
    Entry(
        "postfix.relay_credentials_unverified",
        C,
        "SMTP AUTH password sent to an unverified relay",
        "Service {service} authenticates with SMTP AUTH (smtp_sasl_auth_enable = yes) to "
        "{destination} at TLS security level '{level}' ({where}). At that level Postfix does "
        "not check the relay's certificate ('dane' checks it only when the relay publishes "
        "DNSSEC-signed TLSA records, which most relays do not, and otherwise falls back to "
        "'may', where a stripped STARTTLS sends the password in clear): whoever answers in its "
        "place (DNS or network attacker) receives the relay password. {advice}",
        "Verify the relay: smtp_tls_security_level = secure (its name must be in its "
        "certificate, issued by a CA in smtp_tls_CAfile or smtp_tls_CApath), or a 'secure' "
        "or 'dane-only' entry for the relay in smtp_tls_policy_maps. Then change the relay "
        "password: it may already be known.",
        (TLS_README, RFC8314),
        522,
    ),
    Entry(
        "postfix.outbound_unverified",
        H,
        "Mandatory TLS without certificate verification",
        "Service {service} uses smtp_tls_security_level = encrypt ({where}): TLS is "
        "required but any certificate is accepted, so an active attacker still reads and "
        "changes the mail. {advice}",
        "'encrypt' accepts all certificates. Use 'verify' (a certificate from a trusted CA "
        "with the MX name), 'secure' (a trusted certificate with the next-hop domain name, "
        "safe against DNS forgery), or 'dane' (the server's DNSSEC-signed TLSA records), "
        "globally or per destination in smtp_tls_policy_maps.",
        (TLS_README, RFC7672),
        295,
    ),
    Entry(
        "postfix.dane_without_dnssec",
        H,
        "DANE without DNSSEC lookups",
        "Service {service} uses smtp_tls_security_level = {level} ({where}) but "
        "smtp_dns_support_level is '{dns}': without DNSSEC validation Postfix finds no "
        "TLSA records and falls back to unauthenticated TLS.",
        "Set smtp_dns_support_level = dnssec and use a validating resolver (for example "
        "unbound on 127.0.0.1 in /etc/resolv.conf).",
        (TLS_README, RFC7672),
        None,
    ),
    Entry(
        "postfix.verify_without_ca",
        H,
        "Certificate verification without a CA",
        "Service {service} uses smtp_tls_security_level = {level} ({where}) but no usable "
        "CA is configured ({cas}): every verification fails, mail is deferred, and the "
        "usual 'fix' is to go back to an unverified level. {advice}",
        "Set smtp_tls_CAfile to the system bundle (or smtp_tls_CApath to a hashed "
        "directory), or pin the relay's CA in smtp_tls_trust_anchor_file.",
        (TLS_README,),
        None,
    ),
    Entry(
        "postfix.legacy_protocols",
        M,
        "Legacy TLS protocol versions allowed",
        "{param} = {value} ({where}) allows {protocols}, deprecated by RFC 8996; used by "
        "{services}.",
        "Allow TLS 1.2 and later only: {param} = >=TLSv1.2.",
        (RFC8996, POSTCONF5),
        327,
    ),
    Entry(
        "postfix.weak_ciphers",
        H,
        "Weak cipher grade",
        "{param} = {value} ({where}) makes {ciphers} ciphers usable; used by {services}.",
        "Use the 'medium' or 'high' cipher grade and leave the tls_*_cipherlist "
        "parameters at their defaults.",
        (POSTCONF5,),
        327,
    ),
    Entry(
        "postfix.auth_before_tls",
        H,
        "SMTP AUTH offered before TLS",
        "Service {service} enables SMTP AUTH ({where}) at TLS level '{level}' with "
        "smtpd_tls_auth_only = no: clients can send their password in clear text.",
        "Set smtpd_tls_auth_only = yes (AUTH only after STARTTLS) for this service, or "
        "require TLS with smtpd_tls_security_level = encrypt.",
        (TLS_README, RFC8314),
        319,
    ),
    Entry(
        "postfix.submission_tls_optional",
        H,
        "Submission service without mandatory TLS",
        "Service {service} ({where}) is a mail submission port but {reason}. {advice}",
        "Submission on 587 needs -o smtpd_tls_security_level=encrypt; submissions on 465 "
        "needs -o smtpd_tls_wrappermode=yes (RFC 8314).",
        (RFC8314, MASTER5),
        319,
    ),
    Entry(
        "postfix.inbound_no_tls",
        M,
        "SMTP server without TLS",
        "Service {service} ({where}) receives mail at TLS level '{level}' without offering "
        "STARTTLS: every sender delivers to it in clear text. {advice}",
        "Configure a certificate (smtpd_tls_chain_files) and set smtpd_tls_security_level = "
        "may (port 25 must not require TLS: RFC 3207).",
        (TLS_README, RFC8314),
        319,
    ),
    Entry(
        "postfix.submission_no_tls",
        C,
        "Mail submission without TLS",
        "Service {service} ({where}) is a mail submission port at TLS level '{level}' "
        "without wrapper mode: clients send their passwords and mail in clear text. {advice}",
        "Give the service a certificate and -o smtpd_tls_security_level=encrypt (587), or "
        "-o smtpd_tls_wrappermode=yes (465), with -o smtpd_tls_auth_only=yes.",
        (RFC8314, MASTER5),
        319,
    ),
    Entry(
        "postfix.outbound_no_tls",
        M,
        "Outbound mail without TLS",
        "Service {service} delivers mail at TLS level '{level}' ({where}): mail goes in "
        "clear text even to servers that offer STARTTLS. {advice}",
        "Set smtp_tls_security_level = may (opportunistic TLS), and verify where you can "
        "('dane' with DNSSEC, or 'secure' per destination in smtp_tls_policy_maps).",
        (TLS_README, RFC7672),
        319,
    ),
    Entry(
        "postfix.dane_not_enforced",
        L,
        "Outbound mail does not apply DANE",
        "Service {service} delivers to MX hosts at TLS level '{level}' ({where}), "
        "smtp_dns_support_level '{dns}': it does not look up the TLSA records of the "
        "domains it sends to, so an attacker who strips STARTTLS or presents any "
        "certificate receives mail even for domains that publish DANE.",
        "Set smtp_dns_support_level = dnssec and smtp_tls_security_level = dane, with a "
        "validating resolver in /etc/resolv.conf (for example unbound on 127.0.0.1, and "
        "'options trust-ad'): domains without TLSA records still get opportunistic TLS.",
        (TLS_README, RFC7672),
        319,
    ),
    Entry(
        "postfix.mta_sts_not_enforced",
        Severity.INFO,
        "Outbound mail does not apply MTA-STS",
        "Service {service} delivers to MX hosts, and smtp_tls_policy_maps ({maps}, {where}) "
        "has no MTA-STS resolver (a socketmap: table): domains that publish an MTA-STS "
        "policy in enforce mode get unverified TLS from this server.",
        "Run an MTA-STS resolver (postfix-mta-sts-resolver, listening on 127.0.0.1:8461) "
        "and add socketmap:inet:127.0.0.1:8461:postfix at the end of smtp_tls_policy_maps.",
        (TLS_README, "https://www.rfc-editor.org/rfc/rfc8461"),
        None,
    ),
    Entry(
        "postfix.outbound_authenticated",
        Severity.INFO,
        "Outbound mail applies DANE and MTA-STS",
        "Service {service} delivers at TLS level '{level}' with DNSSEC lookups and asks "
        "{resolver} for MTA-STS policies, if that resolver runs.",
        "Nothing; check that the resolver daemon runs (postfix/smtp logs say when a "
        "policy table lookup fails).",
        (TLS_README, RFC7672, "https://www.rfc-editor.org/rfc/rfc8461"),
        None,
    ),
    Entry(
        "postfix.cert_unused",
        Severity.INFO,
        "Certificate configured but TLS not enabled",
        "{param} ({where}) names a certificate, but no SMTP server service enables TLS: "
        "the certificate is never used.",
        "Enable TLS on the services the certificate is meant for (smtpd_tls_security_level "
        "= may), or remove the setting.",
        (TLS_README,),
        None,
    ),
    Entry(
        "postfix.tls_logging_off",
        L,
        "TLS logging is off",
        "{param} = 0 ({where}): the log says nothing about TLS sessions, so monitoring "
        "cannot see failed handshakes, protocols or unverified peers.",
        "Set {param} = 1 and collect the TLS lines of the mail log.",
        (POSTCONF5,),
        778,
    ),
    *_cert_entries(0),
)

_DOVECOT = (
    Entry(
        "dovecot.ssl_disabled",
        H,
        "Dovecot TLS disabled",
        "ssl = no ({where}{scope}): passwords and mail of {protocols} travel in clear text.",
        "Set ssl = required and configure ssl_cert and ssl_key.",
        (DOVECOT_SSL, RFC8314),
        319,
    ),
    Entry(
        "dovecot.ssl_not_required",
        M,
        "Dovecot TLS optional",
        "ssl = yes ({where}{scope}) lets clients use {protocols} without TLS.",
        "Set ssl = required so that every session uses STARTTLS or implicit TLS.",
        (DOVECOT_SSL, RFC8314),
        319,
    ),
    Entry(
        "dovecot.plaintext_auth",
        H,
        "Dovecot accepts passwords without TLS",
        "{setting} ({where}{scope}): clients may log in with a clear-text password on a "
        "connection without TLS.",
        "Set disable_plaintext_auth = yes (Dovecot 2.4: auth_allow_cleartext = no).",
        (DOVECOT_SSL,),
        319,
    ),
    Entry(
        "dovecot.legacy_protocols",
        M,
        "Dovecot allows legacy TLS versions",
        "{setting} ({where}{scope}) makes {value} the lowest protocol version: Dovecot accepts "
        "versions deprecated by RFC 8996.",
        "Set ssl_min_protocol = TLSv1.2.",
        (RFC8996, DOVECOT_SSL),
        327,
    ),
    Entry(
        "dovecot.client_unverified",
        C,
        "Dovecot accepts any certificate as a TLS client",
        "{setting} ({where}{scope}): when Dovecot connects with TLS to another server (a "
        "proxy destination, imapc, a submission relay, doveadm, and in Dovecot 2.4 every "
        "client that uses the ssl_client settings), it accepts any certificate, so an "
        "attacker on the path receives the users' passwords and mail.",
        "Set it to yes and trust the other server's CA (ssl_client_ca_file or "
        "ssl_client_ca_dir); for a server of your own, issue its certificate from your own "
        "CA instead of turning verification off.",
        (DOVECOT_SSL,),
        295,
    ),
    Entry(
        "dovecot.weak_ciphers",
        H,
        "Dovecot allows weak ciphers",
        "{setting} ({where}{scope}) enables {ciphers} cipher suites: a connection that "
        "uses them can be read or impersonated by an attacker.",
        "Delete the line (Dovecot's default list excludes them) or remove them from the "
        "list: append :!aNULL:!eNULL:!EXPORT:!RC4:!3DES:!LOW.",
        (DOVECOT_SSL,),
        327,
    ),
    Entry(
        "dovecot.obsolete_setting",
        L,
        "Obsolete Dovecot setting",
        "{setting} ({where}) is obsolete: {reason}.",
        "Write the setting under its current name (doveconf -n prints the configuration as "
        "Dovecot reads it), or delete the line when Dovecot ignores it.",
        (DOVECOT_SSL,),
        None,
    ),
    Entry(
        "dovecot.doveconf_missing",
        Severity.INFO,
        "Configuration not checked by doveconf",
        "doveconf could not be run, so {file} was checked by mailtls's own reading only: it "
        "knows the settings it audits, not every setting that stops Dovecot.",
        "Run the audit where Dovecot is installed, or check the file with 'doveconf -c FILE "
        "-n' before deploying it.",
        (DOVECOT_SSL,),
        None,
    ),
    Entry(
        "dovecot.doveconf_other_version",
        Severity.INFO,
        "Configuration written for another Dovecot version",
        "The installed doveconf is Dovecot {installed}, but {where} declares Dovecot "
        "{version}: doveconf was not used, and {file} was checked by mailtls's own reading of "
        "the {version} syntax only.",
        "Check the file with the doveconf of the Dovecot version that will run it.",
        (DOVECOT_SSL,),
        None,
    ),
    *_cert_entries(1),
)

#: Why a Dovecot setting is obsolete (the {reason} of dovecot.obsolete_setting, msgids)
OBSOLETE_REASONS = MappingProxyType({
    "converted": "Dovecot reads it under its current name and warns at each start",
    "unconvertible": "Dovecot cannot turn this ssl_protocols value into ssl_min_protocol (it "
    "names a protocol Dovecot does not know, such as SSLv2, or disables them all), so it logs "
    "an error at each start and keeps the default ssl_min_protocol",
    "dropped": "Dovecot ignores it (DH parameters are no longer generated) and warns at each "
    "start",
})

#: What can be wrong with a configuration file: ``mailtls.config.files`` names each by
#: its key (``Problem.problem`` holds the sentence, the msgid that fills ``{problem}``).
CONFIG_PROBLEMS = MappingProxyType({
    "missing": "The file does not exist.",
    "unreadable": "The file cannot be read.",
    "not_file": "This is not a regular file.",
    "binary": "This is not a text file (it contains NUL bytes).",
    "too_large": "The file is too large for a configuration file.",
    "no_equals": "Missing '=' after the parameter name: Postfix refuses this line.",
    "leading_space": "A logical line must not start with white space: Postfix ignores this "
    "line.",
    "macro": "Postfix cannot expand this value.",
    "loop": "Recursive parameter reference: Postfix stops with 'unreasonable macro call "
    "nesting'.",
    "master_fields": "A master.cf entry needs 8 fields; Postfix refuses this entry.",
    "master_option": "An -o option needs name=value; Postfix ignores it.",
    "unbalanced": "Unbalanced '{' or '}'.",
    "duplicate_service": "master.cf defines this service (name and type) a second time; "
    "Postfix cannot run both, and the audit reads the first entry.",
    "unknown_option": "Postfix does not know this -o parameter and ignores it (postconf: "
    "unused parameter).",
    "map_unreadable": "A lookup table named here cannot be read, so the audit could not see "
    "its entries.",
    "include_loop": "This !include includes itself (an include loop).",
    "include_missing": "The included file does not exist or cannot be read.",
    "include_depth": "Includes are nested too deeply.",
    "dovecot_syntax": "Dovecot cannot parse this line.",
    "dovecot_block": "A block is not closed with '}' before the end of the file.",
    "value_file": "The file named by this '<' value cannot be read.",
    "doveconf": "doveconf refuses this configuration, so Dovecot will not start.",
    "filter_nesting": "Dovecot 2.3 refuses a local, remote or local_name block inside a "
    "protocol block (write protocol blocks inside them), so Dovecot will not start.",
    "unknown_23": "Dovecot 2.3 does not know this setting (Dovecot 2.4 syntax), so it will not "
    "start.",
    "unknown_24": "Dovecot 2.4 (dovecot_config_version) no longer knows this setting, so it "
    "will not start.",
    "bad_value": "Dovecot refuses this value, so it will not start.",
})

#: Whether a finding's fix keeps mail flowing, and why not when there is no fix ({advice})
ADVICE = MappingProxyType({
    "ca_added": "The fix also sets smtp_tls_CAfile to this system's CA bundle: without a CA "
    "every verification fails.",
    "ca_present": "A CA is configured, so the verification can succeed.",
    "no_bundle": "No automatic fix: no CA bundle was found on this system; set "
    "smtp_tls_CAfile to the CA of the servers (the relay's CA, or the system bundle) first.",
    "policy_entry": "No automatic fix: the level comes from an smtp_tls_policy_maps entry; "
    "change that entry to 'secure' by hand.",
    "no_relay": "No automatic fix: this transport delivers to any MX host, and 'secure' would "
    "refuse most of them; name the relay (relayhost) or set 'secure' for it in "
    "smtp_tls_policy_maps.",
    "cert_ok": "A certificate is configured for this service, so the fix keeps it usable.",
    "no_cert": "No automatic fix: this service has no usable certificate, and requiring TLS "
    "without one stops mail; configure a certificate (smtpd_tls_chain_files) first.",
    "opportunistic": "The fix uses opportunistic TLS, which never stops a delivery.",
})

UI_STRINGS = (
    "Postfix default",
    "Dovecot default",
    "any destination (no relayhost)",
    "no -o smtpd_tls_security_level=encrypt",
    "no -o smtpd_tls_wrappermode=yes",
    "permission denied",
    "no PEM certificate in it",
    "no usable private key in it (encrypted, or not a key)",
    "Auditing configuration",
    "No finding.",
    "could not audit",
    "Fix:",
    "Wrote {path} (backup {backup})",
    "Wrote {path}",
    "Also run:",
    "No change to propose.",
    "Refused to write {path}: it is {source}, the file being fixed; give --to a folder of its "
    "own (or use --in-place).",
    "Refused to write {path}: a symbolic link leads it out of {folder}.",
    "Refused to write {path}: {folder} is not a folder.",
    "{count} findings: {critical} critical, {high} high, {medium} medium, {low} low",
)

PART = Part(
    "mailtls-audit",
    _POSTFIX + _DOVECOT,
    UI_STRINGS
    + tuple(CONFIG_PROBLEMS.values())
    + tuple(ADVICE.values())
    + tuple(OBSOLETE_REASONS.values()),
    frozenset({"problem", "where", "destination", "reason", "advice"}),
)
