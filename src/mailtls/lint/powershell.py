"""PowerShell: certificate validation switched off for the session or one request.

Regular expressions over the script with comments blanked (lines keep their numbers):
``[Net.ServicePointManager]::ServerCertificateValidationCallback = { $true }`` (also a
``delegate { return true; }`` or ``=> true`` in C# given to Add-Type), the Add-Type
``TrustAllCertsPolicy`` idiom assigned to ``CertificatePolicy``, and
``-SkipCertificateCheck`` outside strings. A module of its own: its patterns are compiled
only when a PowerShell file is read.
"""

from __future__ import annotations

import re

from .base import Scan

_PS_BLOCK_COMMENT = re.compile(r"<#.*?#>", re.S)
_PS_LINE_COMMENT = re.compile(r"(^|\s)#[^\n]*")
_PS_ACCEPT = (
    r"(?:\[[^\]]*\]\s*)?(?:\{\s*(?:param\s*\([^)]*\)\s*)?(?:return\s+)?\$true\s*;?\s*\}"
    r"|delegate\s*(?:\([^)]*\))?\s*\{\s*return\s+true\s*;\s*\}"
    r"|\([^)]*\)\s*=>\s*true\b)"
)
PS_CALLBACK = re.compile(
    r"(?i)(ServerCertificateValidationCallback|ServerCertificateCustomValidationCallback"
    r"|RemoteCertificateValidationCallback)\s*(?:=|\+=)\s*" + _PS_ACCEPT
)
PS_SKIP = re.compile(r"(?i)-SkipCertificateCheck\b(?!\s*:\s*\$false)")
PS_POLICY = re.compile(r"(?i)::CertificatePolicy\s*=\s*New-Object\s+([\w.]+)")
PS_TRUST_ALL_POLICY = re.compile(
    r"(?i)CheckValidationResult\s*\([^)]*\)\s*\{\s*return\s+true\s*;\s*\}"
)


_PS_STRING = re.compile(r"\"[^\"\n]*\"|'[^'\n]*'")


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group())


def scan_powershell(text: str) -> Scan:
    """Validation callbacks that return $true, -SkipCertificateCheck, a trust-all
    CertificatePolicy (the Add-Type TrustAllCertsPolicy idiom). Comments are blanked
    first (lines keep their numbers); C# inside Add-Type here-strings is read too."""
    out = Scan()
    code = _PS_LINE_COMMENT.sub(_blank, _PS_BLOCK_COMMENT.sub(_blank, text))
    bare = _PS_STRING.sub(_blank, code)  # switches are words of a command, not of a string

    def line_of(at: int) -> int:
        return code.count("\n", 0, at) + 1

    for m in PS_CALLBACK.finditer(code):
        out.hit("lint.powershell.cert_callback_true", line_of(m.start()), key=m.group(1))
    for m in PS_SKIP.finditer(bare):
        out.hit("lint.powershell.skip_certificate_check", line_of(m.start()))
    if PS_TRUST_ALL_POLICY.search(code):
        for m in PS_POLICY.finditer(code):
            out.hit("lint.powershell.cert_callback_true", line_of(m.start()),
                    key="CertificatePolicy")
    return out

