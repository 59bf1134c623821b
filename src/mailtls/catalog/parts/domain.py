"""Catalogue part "domain": the verdict per domain, DNSSEC, DANE, MTA-STS, TLS-RPT.

gettext domain mailtls-domain. Ids: ``domain.*`` (the verdict, one primary finding per
domain), ``dnssec.*``, ``dane.*``, ``mtasts.*``, ``tlsrpt.*``. The param ``dnssec_reason``
is one of the UI strings below (mailtls.domain.dnssec's R_* reasons), translated on output.
"""

from __future__ import annotations

from ...model import Severity
from ..entry import Entry, Part

C, H, M, L, INFO = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO

RFC4035 = "https://www.rfc-editor.org/rfc/rfc4035"
RFC7672 = "https://www.rfc-editor.org/rfc/rfc7672"
RFC7671 = "https://www.rfc-editor.org/rfc/rfc7671"
RFC8461 = "https://www.rfc-editor.org/rfc/rfc8461"
RFC8460 = "https://www.rfc-editor.org/rfc/rfc8460"

_VERDICTS = (
    Entry("domain.authenticated", INFO, "Mail to this domain is authenticated",
          "Every MX host of {domain} is covered by DANE or an enforced MTA-STS policy, and "
          "every address presented a certificate that passes it.",
          "Keep it so: publish the next key's TLSA record before each key change, and keep "
          "the MTA-STS policy's mx lines in step with the MX records.", (RFC7672, RFC8461)),
    Entry("domain.partly", M, "Mail to this domain is only partly authenticated",
          "Some MX hosts of {domain} are not authenticated by careful senders (no DANE, an "
          "MTA-STS policy in testing mode, or an MX host that fails its policy).",
          "Fix the MX hosts named below, then publish TLSA records in a signed zone or "
          "switch the MTA-STS policy to mode: enforce.", (RFC7672, RFC8461)),
    Entry("domain.opportunistic", M, "Mail to this domain is only opportunistically encrypted",
          "{domain} publishes neither DANE TLSA records in a signed zone nor an MTA-STS "
          "policy: a sender cannot tell its MX hosts from an attacker who strips STARTTLS "
          "or presents any certificate.",
          "Publish an MTA-STS policy (mode: enforce) with a certificate valid for each MX "
          "name, or sign the zone with DNSSEC and publish TLSA 3 1 1 records.",
          (RFC8461, RFC7672)),
    Entry("domain.broken", C, "Careful senders would defer all mail to this domain",
          "The policies of {domain} fail on every MX host (or its MX lookup is DNSSEC-bogus): "
          "senders that apply DANE or MTA-STS queue the mail instead of delivering it.",
          "Fix the failures below at once (a TLSA record for the current key, a certificate "
          "valid for the MX name, the policy's mx lines); in an emergency, switch MTA-STS to "
          "mode: testing with a new id, or remove the TLSA records, rather than lose mail.",
          (RFC7672, RFC8461)),
    Entry("domain.mx_unreachable", H, "An MX host cannot be resolved",
          "MX discovery: {reason}",
          "Give every MX host A or AAAA records, or remove it from the MX set."),
    Entry("domain.verdict_regressed", H, "Mail to this domain is no longer authenticated",
          "{domain} was authenticated at the previous pass and is now {verdict}: careful "
          "senders no longer authenticate (or no longer reach) every MX host.",
          "Run mailtls domain {domain} for the evidence per MX host and fix what it names "
          "(a TLSA record for the current key, a certificate valid for the MX name, the "
          "MTA-STS policy's mode and mx lines).", (RFC7672, RFC8461)),
)

_DNSSEC = (
    Entry("dnssec.bogus", C, "DNSSEC validation fails (bogus)",
          "{name} {rdtype} does not validate: {dnssec_reason} (zone {zone}). Validating "
          "resolvers answer SERVFAIL, so senders cannot even find the records.",
          "Re-sign the zone, and make the parent's DS records match the zone's current key "
          "(check with the signer's key listing, e.g. keymgr ZONE ds).", (RFC4035,), 347),
    Entry("dnssec.lookup_failed", M, "A DNS lookup failed",
          "{name} {rdtype}: {reason}", "Check that the name server answers for this name."),
)

_DANE = (
    Entry("dane.match", INFO, "The certificate matches a TLSA record",
          "{host} at {address} presented a chain that matches TLSA {record}...", "Nothing.",
          (RFC7672,)),
    Entry("dane.no_match", C, "No TLSA record matches the certificate",
          "{host} at {address} presented a key (SPKI SHA-256 {spki}) that no usable TLSA "
          "record matches: DANE senders defer mail to this address.",
          "Publish a TLSA record for the key in use (3 1 1 with its SPKI SHA-256), or put "
          "back the certificate whose key the records name.", (RFC7672,), 295),
    Entry("dane.ta_path", C, "The chain does not lead to the DANE-TA certificate",
          "{host} at {address}: a certificate matches a DANE-TA (2 x x) record, but the "
          "server certificate is not signed through it.",
          "Send the full chain, leaf first, up to the certificate the TLSA record names.",
          (RFC7672,)),
    Entry("dane.ta_name", C, "The certificate does not carry the MX name (DANE-TA)",
          "{host} at {address}: under a DANE-TA record the server certificate must name the "
          "MX host or the domain, and it names neither.",
          "Issue the certificate for the MX host name, or use a DANE-EE (3 1 1) record, "
          "which does not check names.", (RFC7672,), 297),
    Entry("dane.ta_dates", C, "The certificate is outside its validity dates (DANE-TA)",
          "{host} at {address}: under a DANE-TA record the server certificate's dates are "
          "checked, and it is not valid now.", "Renew the certificate.", (RFC7672,), 298),
    Entry("dane.no_tls", C, "A DANE MX host offers no TLS",
          "{host} at {address} has TLSA records but no TLS session was established: DANE "
          "senders defer mail to this address.",
          "Offer STARTTLS on port 25 with the certificate the TLSA records name.", (RFC7672,)),
    Entry("dane.tlsa_insecure", M, "TLSA records in an unsigned zone are ignored",
          "{host} publishes TLSA records, but they are not DNSSEC-signed (zone {zone}): "
          "senders ignore them.",
          "Sign the zone with DNSSEC and publish the DS records in the parent.", (RFC7672,)),
    Entry("dane.mx_insecure", M, "TLSA records unused: the MX records are not signed",
          "{host} has signed TLSA records, but the MX records of {domain} are not DNSSEC-"
          "secure, so senders do not apply DANE to it.",
          "Sign the domain's zone (and its DS in the parent).", (RFC7672,)),
    Entry("dane.unusable_records", L, "TLSA records with usages 0/1 are unusable for SMTP",
          "{host}: {records}...: PKIX-TA/PKIX-EE (0, 1) and unknown parameters are ignored "
          "by SMTP senders.", "Use 3 1 1 (DANE-EE) or 2 1 1 (DANE-TA) records.", (RFC7672,)),
    Entry("dane.no_usable_records", M, "No usable TLSA record",
          "{host} publishes TLSA records, none of them usable for SMTP: senders encrypt but "
          "do not authenticate.", "Publish 3 1 1 or 2 1 1 records.", (RFC7672,)),
    Entry("dane.rollover_cert_pinned", M, "The TLSA records pin the certificate itself",
          "{host}: only 3 0 x records: the next certificate renewal breaks delivery, even "
          "when the key is kept.",
          "Publish 3 1 1 records (the key survives renewals that keep it).", (RFC7671,)),
    Entry("dane.rollover_single_key", L, "No TLSA record for the next key",
          "{host}: a single DANE-EE record: a renewal with a new key breaks delivery unless "
          "the new key's record is published first.",
          "Keep the key across renewals (e.g. certbot --reuse-key), or publish the next "
          "key's 3 1 1 record two TTLs before switching.", (RFC7671,)),
    Entry("dane.rollover_next_key", INFO, "A TLSA record for the next key is published",
          "{host}: {count} DANE-EE record(s) beside the one in use: a key change is ready.",
          "Nothing.", (RFC7671,)),
)

_STS = (
    Entry("mtasts.txt_multiple", M, "Several MTA-STS TXT records",
          "_mta-sts.{domain} has {count} v=STSv1 records: senders assume no policy.",
          "Keep exactly one.", (RFC8461,)),
    Entry("mtasts.txt_invalid", M, "The MTA-STS TXT record is invalid",
          "_mta-sts.{domain}: {record}", "Publish v=STSv1; id=ID with an id of 1 to 32 "
          "letters and digits.", (RFC8461,)),
    Entry("mtasts.policy_unreachable", H, "The MTA-STS policy cannot be fetched",
          "{url}: {reason}. Senders without a cached policy deliver unauthenticated.",
          "Serve the policy over HTTPS on mta-sts.{domain}.", (RFC8461,)),
    Entry("mtasts.policy_tls", H, "The MTA-STS policy host's certificate is not valid",
          "{url}: {reason}. Senders must not use the policy.",
          "Install a certificate valid for mta-sts.{domain} from a public CA.", (RFC8461,), 295),
    Entry("mtasts.policy_redirect", H, "The MTA-STS policy URL redirects",
          "{url} redirects ({reason}); senders must not follow redirects.",
          "Serve the policy at that exact URL.", (RFC8461,)),
    Entry("mtasts.policy_too_large", H, "The MTA-STS policy is larger than 64 KiB",
          "{url} is larger than {reason} bytes.", "Shorten the policy.", (RFC8461,)),
    Entry("mtasts.policy_content_type", H, "The MTA-STS policy is not text/plain",
          "{url} is served as {content_type}.", "Serve it as text/plain.", (RFC8461,)),
    Entry("mtasts.policy_syntax", H, "The MTA-STS policy is invalid",
          "The policy of {domain}: {key} is {value}.",
          "Write version: STSv1, mode: enforce|testing|none, max_age: SECONDS "
          "(at most 31557600) and one mx: line per MX pattern.", (RFC8461,)),
    Entry("mtasts.max_age_short", L, "The MTA-STS max_age is short",
          "The policy of {domain} has max_age {seconds} s: a downgrade after that is not "
          "detected.", "Use weeks (e.g. 1209600) once the policy is stable.", (RFC8461,)),
    Entry("mtasts.mode_none", L, "The MTA-STS policy is in mode none",
          "{domain}'s policy withdraws MTA-STS.", "Use mode: enforce.", (RFC8461,)),
    Entry("mtasts.mx_not_covered", H, "An MX host is not covered by the MTA-STS policy",
          "{host} matches none of the policy's mx patterns ({patterns}): senders applying "
          "the policy do not deliver to it.",
          "Add an mx: line for {host} to the policy (and change the TXT record's id).",
          (RFC8461,)),
    Entry("mtasts.id_unchanged", M, "The MTA-STS policy changed but its id did not",
          "The policy of {domain} changed since the last run ({changed}) while the TXT "
          "record kept id {id}: senders that cached the old policy keep applying it until "
          "its max_age ends.",
          "Publish a new id in _mta-sts.{domain} (e.g. the date and time) after every policy "
          "change.", (RFC8461,)),
    Entry("mtasts.id_changed_only", INFO, "The MTA-STS id changed but the policy did not",
          "_mta-sts.{domain} changed its id from {old_id} to {id} with the same policy: "
          "senders fetch it again, nothing more.",
          "Nothing; change the id only with the policy.", (RFC8461,)),
    Entry("mtasts.mx_cert_invalid", H, "An MX host fails the MTA-STS certificate check",
          "{host} at {address}: {cause}. Senders applying the policy do not deliver to it.",
          "Install a certificate from a public CA valid for {host}, with its intermediates.",
          (RFC8461,), 295),
)

_RPT = (
    Entry("tlsrpt.missing", L, "No TLS-RPT record",
          "_smtp._tls.{domain} has no v=TLSRPTv1 record: senders cannot report failures.",
          "Publish v=TLSRPTv1; rua=mailto:tlsrpt@{domain}", (RFC8460,)),
    Entry("tlsrpt.multiple", M, "Several TLS-RPT records",
          "_smtp._tls.{domain} has {count} records: senders ignore them.", "Keep one.",
          (RFC8460,)),
    Entry("tlsrpt.invalid", M, "The TLS-RPT record is invalid",
          "_smtp._tls.{domain}: {record}", "Publish v=TLSRPTv1; rua=URI.", (RFC8460,)),
    Entry("tlsrpt.bad_uri", M, "A TLS-RPT rua URI is not mailto: or https:",
          "_smtp._tls.{domain}: {uri}", "Use mailto:ADDRESS or https://URL.", (RFC8460,)),
    Entry("tlsrpt.report_unreadable", M, "The TLS-RPT report file cannot be read",
          "{file}: {reason}", "Check the path and its permissions.", (RFC8460,)),
    Entry("tlsrpt.report_gzip", M, "The TLS-RPT report is not valid gzip",
          "{file}: {reason}", "Save the attachment again whole (application/tlsrpt+gzip).",
          (RFC8460,)),
    Entry("tlsrpt.report_json", M, "The TLS-RPT report is not JSON",
          "{file}: {reason}", "Give the report itself (JSON, or JSON compressed with gzip), "
          "not the e-mail that carried it.", (RFC8460,)),
    Entry("tlsrpt.report_too_large", M, "The TLS-RPT report is too large",
          "{file}: {reason}; it was not read further.",
          "Check where it comes from; raise --max-size only for a sender you trust.",
          (RFC8460,)),
    Entry("tlsrpt.report_fields", M, "The TLS-RPT report does not follow RFC 8460",
          "{file}: {reason}", "Ask the sending organisation (its contact-info) to fix its "
          "reports; the other reports are still summarised.", (RFC8460,)),
)

UI_STRINGS: tuple[str, ...] = (
    "no trust anchor covers the name",
    "no DNSKEY of the zone matches the trust anchor",
    "no DNSKEY of the zone matches its DS records in the parent",
    "the DNSKEY records are not validly signed by the key the DS names",
    "the records carry no signature although the zone is signed",
    "no signature over the records verifies with the zone's keys",
    "an empty answer from a signed zone carries no NSEC/NSEC3 proof",
    "the NSEC/NSEC3 proof of an empty answer is not validly signed",
    "an unsigned delegation (no DS in the parent)",
    "the query failed",
    "Domain",
    "Verdict",
    "MX host",
    "Address",
    "Mechanism",
    "Result",
    "pass",
    "fail",
    "authenticated",
    "partly",
    "opportunistic",
    "broken",
    "none",
    "MTA-STS policy: mode {mode}, id {id}",
    "TLS-RPT: {rua}",
    "{count} report(s), {duplicates} duplicate(s) skipped",
    "{domain}: {ok} successful, {failed} failed session(s) ({start} to {end})",
    "policy: {types}; mx: {patterns}",
    "Sending organisation",
    "Failure types",
    "Receiving MX hosts",
    "Receiving addresses",
    "Error codes",
    "No report could be summarised.",
    "{name}: {ok} successful, {failed} failed",
    "the STARTTLS command is not offered",
    "the certificate does not match the MX host name",
    "the certificate has expired",
    "the certificate is not trusted by the sender",
    "the certificate chain could not be validated",
    "no TLSA record matches (DANE)",
    "the DNSSEC records do not validate",
    "DANE is required but the TLSA lookup failed",
    "the MTA-STS policy could not be fetched",
    "the MTA-STS policy is invalid",
    "the MTA-STS policy host's certificate is not valid",
)

PART = Part("mailtls-domain", (*_VERDICTS, *_DNSSEC, *_DANE, *_STS, *_RPT), UI_STRINGS,
            frozenset({"dnssec_reason"}))  # fmt: skip
