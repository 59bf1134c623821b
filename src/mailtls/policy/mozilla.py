"""Mozilla's server-side TLS recommendations, "intermediate" and "modern" (guideline 6.0).

Source: Mozilla, *Server Side TLS*, https://wiki.mozilla.org/Security/Server_Side_TLS, and
the machine-readable guideline it is generated from,
https://ssl-config.mozilla.org/guidelines/6.0.json (repository mozilla/ssl-config-generator,
``src/static/guidelines/6.0.json``). Facts taken from it:

* intermediate: TLS 1.2 and 1.3; TLS 1.3 suites TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256; TLS 1.2 suites ECDHE-ECDSA and
  ECDHE-RSA with AES-128-GCM, AES-256-GCM and CHACHA20-POLY1305 (guideline 5.7 also had the
  three DHE-RSA AEAD suites; 6.0 dropped them); groups X25519MLKEM768, X25519, prime256v1,
  secp384r1; RSA keys of 2048 bits, DH parameters of 2048 bits, ECDH of 256 bits;
  certificates RSA or ECDSA (P-256, P-384) signed with sha256WithRSAEncryption or
  ecdsa-with-SHA256/384/512.
* modern: TLS 1.3 only with the same three suites; ECDSA certificates (P-256, P-384) signed
  with ecdsa-with-SHA256/384/512.

Mozilla lists what to configure and names nothing "phase-out"; this module maps the rest so:
what only Mozilla's "old" profile still allows (TLS 1.0/1.1, CBC and RSA key exchange,
3DES) is phase-out under intermediate; what no Mozilla profile allows (SSL, NULL, export,
RC4, DES, anonymous suites) is insufficient. Under modern, what intermediate allows is
phase-out and everything else insufficient. Strong groups that Mozilla does not list (x448,
secp521r1, brainpool) are rated good: the guideline lists a minimum to offer, not a ban.
"""

from __future__ import annotations

from .base import G, GroupRule, KeyRule, P, Policy, S, SuiteRule, X, levels

SOURCE = "https://ssl-config.mozilla.org/guidelines/6.0.json"
TLS13_SUITES = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                "TLS_CHACHA20_POLY1305_SHA256")
TLS12_SUITES = (
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
)
GROUPS = ("x25519mlkem768", "x25519", "secp256r1", "secp384r1")
SIGNATURES_INTERMEDIATE = ("sha256WithRSAEncryption", "ecdsa-with-SHA256",
                           "ecdsa-with-SHA384", "ecdsa-with-SHA512")
SIGNATURES_MODERN = ("ecdsa-with-SHA256", "ecdsa-with-SHA384", "ecdsa-with-SHA512")
#: RSA-PSS and SHA-384/512 RSA signatures are at least as strong as the listed one.
SIGNATURES_STRONG_RSA = ("sha384WithRSAEncryption", "sha512WithRSAEncryption", "RSASSA-PSS")

INTERMEDIATE = Policy(
    name="mozilla-intermediate",
    title="Mozilla intermediate (guideline 6.0)",
    source=SOURCE,
    protocols={"SSLv2": X, "SSLv3": X, "TLSv1": P, "TLSv1.1": P, "TLSv1.2": G, "TLSv1.3": G},
    suites=levels(TLS13_SUITES + TLS12_SUITES, G),
    suite_rule=SuiteRule(strong=S, other=P, broken=X),
    groups=levels(GROUPS, G),
    group_rule=GroupRule(strong=G, weak=X, min_ec_bits=256, min_ff_bits=2048),
    keys=KeyRule(rsa=((2048, G),), dh=((2048, G),), ec=((256, G),)),
    signatures={**levels(SIGNATURES_INTERMEDIATE, G), **levels(SIGNATURES_STRONG_RSA, G)},
    other_signature=X,
    cert_key_types=frozenset({"rsa", "ec"}),
)

MODERN = Policy(
    name="mozilla-modern",
    title="Mozilla modern (guideline 6.0)",
    source=SOURCE,
    protocols={"SSLv2": X, "SSLv3": X, "TLSv1": X, "TLSv1.1": X, "TLSv1.2": P, "TLSv1.3": G},
    suites={**levels(TLS12_SUITES, P), **levels(TLS13_SUITES, G)},
    suite_rule=SuiteRule(strong=X, other=X, broken=X),
    groups=levels(GROUPS, G),
    group_rule=GroupRule(strong=G, weak=X, min_ec_bits=256, min_ff_bits=2048),
    keys=KeyRule(rsa=((2048, P),), dh=((2048, P),), ec=((256, G),)),
    signatures={**levels(SIGNATURES_MODERN, G), "sha256WithRSAEncryption": P,
                **levels(SIGNATURES_STRONG_RSA, P)},
    other_signature=X,
    cert_key_types=frozenset({"ec"}),
    other_key_type=P,
)
