"""NIST SP 800-52 Revision 2, *Guidelines for the Selection, Configuration, and Use of
Transport Layer Security (TLS) Implementations* (August 2019).

Source: https://doi.org/10.6028/NIST.SP.800-52r2 (section 3.1 versions, 3.3.1 cipher
suites, 3.3.1.1-3.3.1.2, 3.3.2 and 3.4.2.2 groups, 3.1/3.2 certificates). What this module
takes from it:

* Versions (3.1): TLS 1.2 shall be supported, TLS 1.3 should be (shall, since 1 January
  2024); TLS 1.1 and 1.0 shall not be used except where a server must serve citizens or
  businesses with old clients, so they are phase-out here; SSL 2.0 and 3.0 shall not.
* TLS 1.2 cipher suites (3.3.1.1, the ephemeral ECDHE/DHE suites it recommends):
  ECDHE_ECDSA with AES_128/256_GCM, AES_128/256_CCM, AES_128/256_CCM_8, AES_128_CBC_SHA256,
  AES_256_CBC_SHA384, AES_128/256_CBC_SHA; ECDHE_RSA with AES_128/256_GCM,
  AES_128_CBC_SHA256, AES_256_CBC_SHA384, AES_128/256_CBC_SHA; DHE_RSA with AES_128/256_GCM,
  AES_128/256_CCM, AES_128/256_CCM_8, AES_128/256_CBC_SHA256, AES_128/256_CBC_SHA. The
  static-key suites of 3.3.1.2 (TLS_RSA_*, ECDH_*, DH_*) are allowed only "for
  interoperability" and are phase-out here.
* TLS 1.3 cipher suites (3.3.1.2): TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
  TLS_AES_128_CCM_SHA256, TLS_AES_128_CCM_8_SHA256 (no CHACHA20_POLY1305: not
  FIPS-approved).
* Groups (3.3.2, 3.4.2.2): secp256r1, secp384r1, secp521r1 and ffdhe2048 to ffdhe8192;
  X25519 and X448 were not yet approved in 2019 and are approved for key agreement since
  SP 800-186 (2023): sufficient here.
* Keys: RSA and DH of 2048 bits or more, ECDSA on P-256 or larger; certificate signatures
  with SHA-256 or stronger.
"""

from __future__ import annotations

from .base import G, GroupRule, KeyRule, P, Policy, S, SuiteRule, X, levels

SOURCE = "https://doi.org/10.6028/NIST.SP.800-52r2"

TLS12_SUITES = (
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_DHE_RSA_WITH_AES_128_CCM",
    "TLS_DHE_RSA_WITH_AES_256_CCM",
    "TLS_DHE_RSA_WITH_AES_128_CCM_8",
    "TLS_DHE_RSA_WITH_AES_256_CCM_8",
    "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
    "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
)
STATIC_SUITES = (
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_AES_128_CCM",
    "TLS_RSA_WITH_AES_256_CCM",
    "TLS_RSA_WITH_AES_128_CCM_8",
    "TLS_RSA_WITH_AES_256_CCM_8",
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_256_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA",
    "TLS_DH_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_DH_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_DH_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_DH_RSA_WITH_AES_256_CBC_SHA256",
    "TLS_DH_RSA_WITH_AES_128_CBC_SHA",
    "TLS_DH_RSA_WITH_AES_256_CBC_SHA",
)
TLS13_SUITES = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_AES_128_CCM_SHA256",
                "TLS_AES_128_CCM_8_SHA256")
GROUPS = ("secp256r1", "secp384r1", "secp521r1", "ffdhe2048", "ffdhe3072", "ffdhe4096",
          "ffdhe6144", "ffdhe8192")
SIGNATURES = ("sha256WithRSAEncryption", "sha384WithRSAEncryption", "sha512WithRSAEncryption",
              "RSASSA-PSS", "ecdsa-with-SHA256", "ecdsa-with-SHA384", "ecdsa-with-SHA512")

NIST_800_52R2 = Policy(
    name="nist-800-52r2",
    title="NIST SP 800-52 Rev. 2",
    source=SOURCE,
    protocols={"SSLv2": X, "SSLv3": X, "TLSv1": P, "TLSv1.1": P, "TLSv1.2": G, "TLSv1.3": G},
    suites={**levels(TLS12_SUITES + TLS13_SUITES, G), **levels(STATIC_SUITES, P)},
    suite_rule=SuiteRule(strong=X, other=X, broken=X),
    groups={**levels(GROUPS, G), "x25519": S, "x448": S},
    group_rule=GroupRule(strong=X, weak=X, hybrid=S),
    keys=KeyRule(rsa=((2048, G),), dh=((2048, G),), ec=((256, G),)),
    signatures=levels(SIGNATURES, G),
    other_signature=X,
    cert_key_types=frozenset({"rsa", "ec"}),
    other_key_type=X,
)
