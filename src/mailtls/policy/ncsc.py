"""NCSC-NL, *ICT-beveiligingsrichtlijnen voor Transport Layer Security (TLS)*, 2025 edition.

Source: National Cyber Security Centre (NL), IT Security Guidelines for TLS,
https://english.ncsc.nl/publications/publications/2021/january/19/it-security-guidelines-for-transport-layer-security-2.1
(and its 2025 update), as transcribed into data by Internet.nl, the Dutch reference test that
applies these guidelines: repository internetstandards/Internet.nl,
``checks/tasks/tls/tls_constants.py`` (commit 119fbdc), whose comments cite the sections
used here:

* 3.3.1 protocol versions: TLS 1.3 good, TLS 1.2 sufficient, nothing phase-out any more
  (TLS 1.0 and 1.1 moved from phase-out to insufficient), SSL insufficient.
* Appendix B (from 3.3.3, 3.3.4) cipher suites: good TLS_AES_256_GCM_SHA384 and
  TLS_CHACHA20_POLY1305_SHA256; sufficient TLS_AES_128_GCM_SHA256, TLS_AES_128_CCM_SHA256
  and the ECDHE (ECDSA, RSA) suites with AES-GCM, AES-CCM or CHACHA20-POLY1305;
  phase-out the ECDHE suites with CAMELLIA, ARIA or AES-CBC-SHA256/384 and the DHE-RSA
  suites; anything else insufficient.
* 3.3.2.1 key exchange: secp256r1, secp384r1, secp521r1, brainpoolP256r1/384r1/512r1,
  X25519 and X448 good; secp224r1 phase-out; 3.3.3.1 finite-field DHE only with the
  RFC 7919 groups of 3072 bits or more, and then phase-out.
* 3.3.2.1 certificate keys: RSA of 3072 bits or more good, 2048 to 3071 phase-out; ECDSA on
  the curves above good; 3.3.2/3.3.5 signatures RSA or ECDSA with SHA-256/384/512,
  Ed25519 and Ed448 sufficient, SHA-1 and MD5 insufficient.

Post-quantum hybrid groups (X25519MLKEM768) are not rated by that transcription; this module
rates them good, as the guidelines' post-quantum section recommends hybrid key exchange.
"""

from __future__ import annotations

from .base import G, GroupRule, KeyRule, P, Policy, S, SuiteRule, X, levels

SOURCE = ("https://english.ncsc.nl/publications/publications/2021/january/19/"
          "it-security-guidelines-for-transport-layer-security-2.1")

GOOD_SUITES = ("TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")
SUFFICIENT_SUITES = (
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_128_CCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    # Internet.nl adds ECDHE_RSA with AES-CCM, which IANA never assigned: left out here
)
PHASE_OUT_SUITES = (
    "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256",
    "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384",
    "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384",
    "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384",
    "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384",
    "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256",
    "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256",
    "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256",
    "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384",
    "TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384",
    "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256",
    "TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256",
    "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_DHE_RSA_WITH_AES_256_CCM",
    "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
    "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_DHE_RSA_WITH_AES_128_CCM",
    "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
)

GOOD_GROUPS = ("secp256r1", "secp384r1", "secp521r1", "brainpoolp256r1", "brainpoolp384r1",
               "brainpoolp512r1", "brainpoolp256r1tls13", "brainpoolp384r1tls13",
               "brainpoolp512r1tls13", "x25519", "x448")
PHASE_OUT_GROUPS = ("secp224r1", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192")

NCSC_2025 = Policy(
    name="ncsc-nl-2025",
    title="NCSC-NL TLS guidelines (2025)",
    source=SOURCE,
    protocols={"SSLv2": X, "SSLv3": X, "TLSv1": X, "TLSv1.1": X, "TLSv1.2": S, "TLSv1.3": G},
    suites={**levels(GOOD_SUITES, G), **levels(SUFFICIENT_SUITES, S),
            **levels(PHASE_OUT_SUITES, P)},
    suite_rule=SuiteRule(strong=X, other=X, broken=X),
    groups={**levels(GOOD_GROUPS, G), **levels(PHASE_OUT_GROUPS, P)},
    group_rule=GroupRule(strong=X, weak=X, hybrid=G),
    keys=KeyRule(rsa=((3072, G), (2048, P)), dh=((3072, P),), ec=((256, G), (224, P))),
    signatures=levels(("sha256WithRSAEncryption", "sha384WithRSAEncryption",
                       "sha512WithRSAEncryption", "RSASSA-PSS", "ecdsa-with-SHA256",
                       "ecdsa-with-SHA384", "ecdsa-with-SHA512", "ed25519", "ed448"), S),
    other_signature=X,
    cert_key_types=frozenset({"rsa", "ec", "ed25519", "ed448"}),
    other_key_type=X,
)
