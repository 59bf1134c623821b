"""BSI TR-02102-2, *Kryptographische Verfahren: Verwendung von Transport Layer Security (TLS)*,
version 2025-01.

Source: Bundesamt für Sicherheit in der Informationstechnik,
https://www.bsi.bund.de/SharedDocs/Downloads/EN/BSI/Publications/TechGuidelines/TG02102/BSI-TR-02102-2.pdf
(the English edition; the key lengths come from TR-02102-1 of the same year). What this
module takes from it:

* Protocol versions (section 3.2): TLS 1.2 and TLS 1.3 recommended (TLS 1.2 through 2031);
  TLS 1.0 and 1.1 not recommended; SSL not to be used.
* TLS 1.2 cipher suites with perfect forward secrecy (section 3.3.1, table 1):
  ECDHE_ECDSA with AES_128/256 in CBC_SHA256/SHA384, GCM and CCM; ECDHE_RSA with
  AES_128/256 in CBC_SHA256/SHA384 and GCM; DHE_DSS and DHE_RSA with AES_128/256 in
  CBC_SHA256 and GCM, DHE_RSA also with CCM. The suites without forward secrecy
  (ECDH_*, DH_*, table 2) and the PSK suites are not listed here: a mail server has no use
  for them, and the TR recommends them only where forward secrecy cannot be had.
* TLS 1.3 cipher suites (section 3.4.4): TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
  TLS_AES_128_CCM_SHA256. CHACHA20_POLY1305 and CCM_8 are not recommended.
* Groups (sections 3.3.2, 3.4.2): secp256r1, secp384r1, secp521r1, brainpoolP256r1,
  brainpoolP384r1, brainpoolP512r1 (and their TLS 1.3 variants), ffdhe3072, ffdhe4096,
  ffdhe6144, ffdhe8192. X25519 and X448 are not among them.
* Key lengths (TR-02102-1, table 1.2): RSA and finite-field DH of 3000 bits or more,
  elliptic curves of 250 bits or more.
* Certificate signatures (section 3.3.3, 3.4.3): RSA (PKCS #1 v1.5 still accepted in the
  2025 edition, RSA-PSS preferred) and ECDSA with SHA-256/384/512.

The TR knows "recommended" and "not recommended" only: recommended maps to good, the rest
(everything not listed) to insufficient, since compliance is what this policy grades.
Corroborated against DefectDojo's BSI list (2020 edition, identical for TLS 1.2/1.3 PFS
suites) and a 2026-01 summary that keeps the same TLS 1.3 suites.
"""

from __future__ import annotations

from .base import G, GroupRule, KeyRule, Policy, SuiteRule, X, levels

SOURCE = ("https://www.bsi.bund.de/SharedDocs/Downloads/EN/BSI/Publications/TechGuidelines/"
          "TG02102/BSI-TR-02102-2.pdf")

TLS12_SUITES = (
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256",
    "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256",
    "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256",
    "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384",
    "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
    "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_DHE_RSA_WITH_AES_128_CCM",
    "TLS_DHE_RSA_WITH_AES_256_CCM",
)
TLS13_SUITES = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_AES_128_CCM_SHA256")
GROUPS = ("secp256r1", "secp384r1", "secp521r1", "brainpoolp256r1", "brainpoolp384r1",
          "brainpoolp512r1", "brainpoolp256r1tls13", "brainpoolp384r1tls13",
          "brainpoolp512r1tls13", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192")
SIGNATURES = ("sha256WithRSAEncryption", "sha384WithRSAEncryption", "sha512WithRSAEncryption",
              "RSASSA-PSS", "ecdsa-with-SHA256", "ecdsa-with-SHA384", "ecdsa-with-SHA512")

BSI_2025 = Policy(
    name="bsi-tr-02102-2",
    title="BSI TR-02102-2 (2025-01)",
    source=SOURCE,
    protocols={"SSLv2": X, "SSLv3": X, "TLSv1": X, "TLSv1.1": X, "TLSv1.2": G, "TLSv1.3": G},
    suites=levels(TLS12_SUITES + TLS13_SUITES, G),
    suite_rule=SuiteRule(strong=X, other=X, broken=X),
    groups=levels(GROUPS, G),
    group_rule=GroupRule(strong=X, weak=X, hybrid=X),
    keys=KeyRule(rsa=((3000, G),), dh=((3000, G),), ec=((250, G),)),
    signatures=levels(SIGNATURES, G),
    other_signature=X,
    cert_key_types=frozenset({"rsa", "ec"}),
    other_key_type=X,
)
