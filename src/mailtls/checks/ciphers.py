"""OpenSSL cipher strings judged word by word: which weak classes a list turns on.

Shared by the Postfix (``tls_*_cipherlist`` with its exclusions) and Dovecot
(``ssl_cipher_list``) rules. A class counts as enabled when the list names it (``RC4``,
``EXPORT``, ``DES-CBC3-SHA``...) and no later word removes it (``!RC4``, ``-RC4``); ``+X``
only moves ciphers and enables nothing. Aliases such as ``ALL`` are not expanded: what they
hold depends on the OpenSSL build, and its defaults leave the weak classes out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: an OpenSSL word (upper case) -> the weak class it enables
WEAK_CIPHERS: Mapping[str, str] = {
    "EXPORT": "EXPORT", "EXP": "EXPORT", "LOW": "LOW", "ENULL": "NULL", "NULL": "NULL",
    "RC4": "RC4", "3DES": "3DES", "DES-CBC3-SHA": "3DES"}
#: and the anonymous suites (no certificate, so no authentication of the server at all)
ANONYMOUS: Mapping[str, str] = {"ANULL": "aNULL", "ADH": "aNULL", "AECDH": "aNULL"}

_SEPARATORS = re.compile(r"[\s:,@]+")


def weak_in(cipherlist: str, exclude: str = "",
            words: Mapping[str, str] = WEAK_CIPHERS) -> list[str]:
    """The weak classes ``cipherlist`` enables, after the words of ``exclude`` removed theirs."""
    present: dict[str, bool] = {}
    tokens = _SEPARATORS.split(cipherlist) + ["!" + e for e in _SEPARATORS.split(exclude) if e]
    for tok in tokens:
        bare = tok.lstrip("!-+").upper()
        name = words.get(bare) or ("3DES" if "DES-CBC3" in bare else None)
        if name is None or tok.startswith("+"):
            continue
        present[name] = not tok.startswith(("!", "-"))
    return [k for k, v in present.items() if v]
