"""The one exception tree of mailtls.

    MailtlsError
    ├── TargetError          a target string or --resolve entry that cannot be understood
    ├── ProtocolError        the peer broke the mail dialogue (garbage, overlong lines)
    ├── TLSRecordError       a TLS record or handshake message that cannot be parsed
    ├── ConfigError          a configuration file that cannot be read or parsed
    └── ProbeError           a connection attempt that failed; carries a finding id
        (raised inside net/, turned into a finding by the engine, never shown raw)

Every message names what was wrong, so the CLI can print it as it is.
"""

from __future__ import annotations


class MailtlsError(Exception):
    """Base class of every error mailtls raises on purpose."""


class TargetError(MailtlsError):
    """A target, --resolve entry or targets file line that cannot be understood."""


class ProtocolError(MailtlsError):
    """The server's side of the mail dialogue does not follow the protocol."""


class TLSRecordError(MailtlsError):
    """TLS bytes that cannot be parsed."""


class ConfigError(MailtlsError):
    """A configuration file that cannot be read or understood."""


class ProbeError(MailtlsError):
    """A connection attempt failed; ``finding_id`` says how (conn.timeout, ...)."""

    def __init__(self, finding_id: str, message: str) -> None:
        super().__init__(message)
        self.finding_id = finding_id
        self.message = message
