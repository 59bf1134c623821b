"""mailtls: certificate and TLS diagnosis for mail servers.

The package answers one question for every mail endpoint: does its TLS hold up,
and if not, exactly which check fails and what to do instead of accepting the
certificate anyway.
"""

__version__ = "0.1.0"


def __getattr__(name: str) -> object:  # mailtls.harden(), imported on first use
    if name == "harden":
        from .client.harden import harden

        return harden
    raise AttributeError(f"module 'mailtls' has no attribute {name!r}")
