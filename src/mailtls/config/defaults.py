"""Postfix parameter defaults: ``postconf -d`` when Postfix is installed, else a built-in table.

The table is ``postconf -d`` of Postfix 3.7.11 for every TLS parameter (``smtp_tls_*``,
``smtpd_tls_*``, ``lmtp_tls_*``, ``tls_*``) and the few others the rules and the
expansion of those need, with the ``compatibility_level`` dependent defaults written as
Postfix writes them (``${{$compatibility_level} <level {3.6} ? {md5} : {sha256}}``), so
they follow the level set in main.cf. Two defaults are computed as Postfix computes them:
``myhostname`` (this machine's name) and ``mydomain`` (from the effective myhostname).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

#: parameters whose default Postfix computes at run time (see module docstring)
DYNAMIC = frozenset({"myhostname", "mydomain", "process_id", "process_name"})
#: per-transport parameters Postfix accepts for every master.cf service name (NAME_suffix)
SERVICE_SUFFIXES = (
    "_delivery_slot_cost", "_delivery_slot_discount", "_delivery_slot_loan",
    "_destination_concurrency_failed_cohort_limit", "_destination_concurrency_limit",
    "_destination_concurrency_negative_feedback", "_destination_concurrency_positive_feedback",
    "_destination_rate_delay", "_destination_recipient_limit", "_extra_recipient_limit",
    "_initial_destination_concurrency", "_minimum_delivery_slots", "_recipient_limit",
    "_recipient_refill_delay", "_recipient_refill_limit", "_transport_rate_delay",
    "_time_limit",
)

BUILTIN_TEXT = """\
append_dot_mydomain = ${{$compatibility_level} <level {1} ? {yes} : {no}}
compatibility_level = 0
config_directory = /etc/postfix
daemon_directory = /usr/lib/postfix/sbin
data_directory = /var/lib/postfix
default_transport = smtp
inet_interfaces = all
inet_protocols = all
lmtp_sasl_auth_enable = no
lmtp_tls_CAfile =
lmtp_tls_CApath =
lmtp_tls_block_early_mail_reply = no
lmtp_tls_cert_file =
lmtp_tls_chain_files =
lmtp_tls_ciphers = medium
lmtp_tls_connection_reuse = no
lmtp_tls_dcert_file =
lmtp_tls_dkey_file = $lmtp_tls_dcert_file
lmtp_tls_eccert_file =
lmtp_tls_eckey_file = $lmtp_tls_eccert_file
lmtp_tls_enforce_peername = yes
lmtp_tls_exclude_ciphers =
lmtp_tls_fingerprint_cert_match =
lmtp_tls_fingerprint_digest = ${{$compatibility_level} <level {3.6} ? {md5} : {sha256}}
lmtp_tls_force_insecure_host_tlsa_lookup = no
lmtp_tls_key_file = $lmtp_tls_cert_file
lmtp_tls_loglevel = 0
lmtp_tls_mandatory_ciphers = medium
lmtp_tls_mandatory_exclude_ciphers =
lmtp_tls_mandatory_protocols = >=TLSv1
lmtp_tls_note_starttls_offer = no
lmtp_tls_per_site =
lmtp_tls_policy_maps =
lmtp_tls_protocols = >=TLSv1
lmtp_tls_scert_verifydepth = 9
lmtp_tls_secure_cert_match = nexthop
lmtp_tls_security_level =
lmtp_tls_servername =
lmtp_tls_session_cache_database =
lmtp_tls_session_cache_timeout = 3600s
lmtp_tls_trust_anchor_file =
lmtp_tls_verify_cert_match = hostname
lmtp_tls_wrappermode = no
mail_name = Postfix
mail_version = 3.7.11
mydestination = $myhostname, localhost.$mydomain, localhost
mynetworks_style = ${{$compatibility_level} <level {2} ? {subnet} : {host}}
myorigin = $myhostname
queue_directory = /var/spool/postfix
relay_domains = ${{$compatibility_level} <level {2} ? {$mydestination} : {}}
relay_transport = relay
relayhost =
respectful_logging = ${{$compatibility_level} <level {3.6} ? {no} : {yes}}
sender_dependent_relayhost_maps =
smtp_dns_support_level =
smtp_enforce_tls = no
smtp_sasl_auth_enable = no
smtp_sasl_password_maps =
smtp_sasl_security_options = noplaintext, noanonymous
smtp_sasl_tls_security_options = $smtp_sasl_security_options
smtp_sasl_type = cyrus
smtp_tls_CAfile =
smtp_tls_CApath =
smtp_tls_block_early_mail_reply = no
smtp_tls_cert_file =
smtp_tls_chain_files =
smtp_tls_ciphers = medium
smtp_tls_connection_reuse = no
smtp_tls_dane_insecure_mx_policy = ${{$smtp_tls_security_level} == {dane} ? {dane} : {may}}
smtp_tls_dcert_file =
smtp_tls_dkey_file = $smtp_tls_dcert_file
smtp_tls_eccert_file =
smtp_tls_eckey_file = $smtp_tls_eccert_file
smtp_tls_enforce_peername = yes
smtp_tls_exclude_ciphers =
smtp_tls_fingerprint_cert_match =
smtp_tls_fingerprint_digest = ${{$compatibility_level} <level {3.6} ? {md5} : {sha256}}
smtp_tls_force_insecure_host_tlsa_lookup = no
smtp_tls_key_file = $smtp_tls_cert_file
smtp_tls_loglevel = 0
smtp_tls_mandatory_ciphers = medium
smtp_tls_mandatory_exclude_ciphers =
smtp_tls_mandatory_protocols = >=TLSv1
smtp_tls_note_starttls_offer = no
smtp_tls_per_site =
smtp_tls_policy_maps =
smtp_tls_protocols = >=TLSv1
smtp_tls_scert_verifydepth = 9
smtp_tls_secure_cert_match = nexthop, dot-nexthop
smtp_tls_security_level =
smtp_tls_servername =
smtp_tls_session_cache_database =
smtp_tls_session_cache_timeout = 3600s
smtp_tls_trust_anchor_file =
smtp_tls_verify_cert_match = hostname
smtp_tls_wrappermode = no
smtp_use_tls = no
smtpd_banner = $myhostname ESMTP $mail_name
smtpd_enforce_tls = no
smtpd_relay_before_recipient_restrictions = ${{$compatibility_level} <level {3.6} ? {no} : {yes}}
smtpd_restriction_classes =
smtpd_sasl_auth_enable = no
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = $smtpd_sasl_security_options
smtpd_sasl_type = cyrus
smtpd_tls_CAfile =
smtpd_tls_CApath =
smtpd_tls_always_issue_session_ids = yes
smtpd_tls_ask_ccert = no
smtpd_tls_auth_only = no
smtpd_tls_ccert_verifydepth = 9
smtpd_tls_cert_file =
smtpd_tls_chain_files =
smtpd_tls_ciphers = medium
smtpd_tls_dcert_file =
smtpd_tls_dh1024_param_file =
smtpd_tls_dh512_param_file =
smtpd_tls_dkey_file = $smtpd_tls_dcert_file
smtpd_tls_eccert_file =
smtpd_tls_eckey_file = $smtpd_tls_eccert_file
smtpd_tls_eecdh_grade = auto
smtpd_tls_exclude_ciphers =
smtpd_tls_fingerprint_digest = ${{$compatibility_level} <level {3.6} ? {md5} : {sha256}}
smtpd_tls_key_file = $smtpd_tls_cert_file
smtpd_tls_loglevel = 0
smtpd_tls_mandatory_ciphers = medium
smtpd_tls_mandatory_exclude_ciphers =
smtpd_tls_mandatory_protocols = >=TLSv1
smtpd_tls_protocols = >=TLSv1
smtpd_tls_received_header = no
smtpd_tls_req_ccert = no
smtpd_tls_security_level =
smtpd_tls_session_cache_database =
smtpd_tls_session_cache_timeout = 3600s
smtpd_tls_wrappermode = no
smtpd_use_tls = no
smtputf8_enable = ${{$compatibility_level} <level {1} ? {no} : {yes}}
tls_append_default_CA = no
tls_config_file = default
tls_config_name =
tls_daemon_random_bytes = 32
tls_dane_digests = sha512 sha256
tls_disable_workarounds =
tls_eecdh_auto_curves = X25519 X448 prime256v1 secp521r1 secp384r1
tls_eecdh_strong_curve = prime256v1
tls_eecdh_ultra_curve = secp384r1
tls_export_cipherlist = aNULL:-aNULL:HIGH:MEDIUM:LOW:EXPORT:+RC4:@STRENGTH
tls_fast_shutdown_enable = yes
tls_high_cipherlist = aNULL:-aNULL:HIGH:@STRENGTH
tls_legacy_public_key_fingerprints = no
tls_low_cipherlist = aNULL:-aNULL:HIGH:MEDIUM:LOW:+RC4:@STRENGTH
tls_medium_cipherlist = aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH
tls_null_cipherlist = eNULL:!aNULL
tls_preempt_cipherlist = no
tls_random_bytes = 32
tls_random_exchange_name = ${data_directory}/prng_exch
tls_random_prng_update_period = 3600s
tls_random_reseed_period = 3600s
tls_random_source = dev:/dev/urandom
tls_server_sni_maps =
tls_session_ticket_cipher = aes-256-cbc
tls_ssl_options =
tls_wildcard_matches_multiple_labels = yes
transport_maps =
"""


@dataclass(frozen=True)
class Defaults:
    """Default raw values by name; ``complete`` when they are every parameter Postfix knows."""

    values: Mapping[str, str]
    complete: bool
    source: str  # "postconf -d" or "built-in table (Postfix 3.7)"

    def known(self, name: str) -> bool:
        return name in self.values or name in DYNAMIC


def parse_postconf_output(text: str) -> dict[str, str]:
    """``name = value`` lines (postconf -d, -n) into a dict."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(" =")
        if sep:
            out[name.strip()] = value.strip()
    return out


def default_hostname() -> str:
    """myhostname's default: the host name, with ``.localdomain`` when it has no dot."""
    name = socket.gethostname()
    return name if "." in name else f"{name}.localdomain"


def mydomain_for(myhostname: str) -> str:
    """mydomain's default as postconf 3.7 derives it: all after the first dot, else localdomain.

    (Checked: myhostname = example.org gives mydomain = org. The derived text is then
    expanded again, as every default is: myhostname = a.$$b gives mydomain = $b.)
    """
    _, dot, rest = myhostname.partition(".")
    return rest if dot else "localdomain"


@cache
def builtin_defaults() -> Defaults:
    values = parse_postconf_output(BUILTIN_TEXT)
    values["myhostname"] = default_hostname()
    return Defaults(MappingProxyType(values), False, "built-in table (Postfix 3.7)")


@cache
def postconf_defaults() -> Defaults | None:
    """``postconf -d`` of the installed Postfix (run once, in an empty directory)."""
    exe = shutil.which("postconf") or next(
        (p for p in ("/usr/sbin/postconf", "/usr/local/sbin/postconf") if os.access(p, os.X_OK)),
        None,
    )
    if exe is None:
        return None
    with tempfile.TemporaryDirectory(prefix="mailtls-postconf-") as empty:
        try:
            proc = subprocess.run([exe, "-c", empty, "-d"], capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
    values = parse_postconf_output(proc.stdout)
    if proc.returncode != 0 or "mail_version" not in values:
        return None
    return Defaults(MappingProxyType(values), True, "postconf -d")


def load_defaults(use_postconf: bool = True) -> Defaults:
    """The installed Postfix's defaults when there is one, else the built-in table."""
    found = postconf_defaults() if use_postconf else None
    return found or builtin_defaults()
