"""Annotated byte vectors for the TLS engine tests, written by hand (or copied from RFC 8448)."""

from __future__ import annotations


def hx(text: str) -> bytes:
    """Hex with spaces, newlines and ``#`` comments."""
    return bytes.fromhex(" ".join(line.split("#")[0] for line in text.splitlines()))


# RFC 8448 section 3 (Simple 1-RTT Handshake): the client's ClientHello message (196 octets).
RFC8448_CLIENT_HELLO = hx("""
01 00 00 c0                                       # client_hello, length 192
03 03                                             # legacy_version TLS 1.2
cb 34 ec b1 e7 81 63 ba 1c 38 c6 da cb 19 6a 6d   # random
ff a2 1a 8d 99 12 ec 18 a2 ef 62 83 02 4d ec e7
00                                                # legacy_session_id: empty
00 06 13 01 13 03 13 02                           # suites: AES128-GCM, CHACHA20, AES256-GCM
01 00                                             # compression: null
00 91                                             # extensions, 145 bytes
00 00 00 0b 00 09 00 00 06 73 65 72 76 65 72      # server_name "server"
ff 01 00 01 00                                    # renegotiation_info, empty
00 0a 00 14 00 12 00 1d 00 17 00 18 00 19         # supported_groups: x25519 secp256r1
   01 00 01 01 01 02 01 03 01 04                  #   secp384r1 secp521r1 ffdhe2048..8192
00 23 00 00                                       # session_ticket, empty
00 33 00 26 00 24 00 1d 00 20                     # key_share: x25519, 32 bytes
   99 38 1d e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe
   b3 c0 6e 51 c1 3c ae 4d 54 13 69 1e 52 9a af 2c
00 2b 00 03 02 03 04                              # supported_versions: TLS 1.3
00 0d 00 20 00 1e 04 03 05 03 06 03 02 03 08 04   # signature_algorithms (15)
   08 05 08 06 04 01 05 01 06 01 02 01 04 02 05 02
   06 02 02 02
00 2d 00 02 01 01                                 # psk_key_exchange_modes: psk_dhe_ke
00 1c 00 02 40 01                                 # record_size_limit 16385
""")

# RFC 8448 section 3: the server's ServerHello message (90 octets).
RFC8448_SERVER_HELLO = hx("""
02 00 00 56                                       # server_hello, length 86
03 03                                             # legacy_version TLS 1.2
a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c d3 4c 95   # random
93 0c 8a c5 cb 14 34 da c1 55 77 2e d3 e2 69 28
00                                                # legacy_session_id_echo: empty
13 01                                             # TLS_AES_128_GCM_SHA256
00                                                # compression: null
00 2e                                             # extensions, 46 bytes
00 33 00 24 00 1d 00 20                           # key_share: x25519, 32 bytes
   c9 82 88 76 11 20 95 fe 66 76 2b db f7 c6 72 e1
   56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f
00 2b 00 02 03 04                                 # supported_versions: TLS 1.3
""")

# A TLS 1.2 first flight in one record: ServerHello, Certificate, ServerKeyExchange (ECDHE,
# x25519), ServerHelloDone. Written for these tests; the "certificate" is not real DER.
TLS12_FLIGHT = hx("""
16 03 03 00 7e                                    # handshake record, TLS 1.2, 126 bytes
02 00 00 37                                       # server_hello, 55 bytes
   03 03                                          #   TLS 1.2
   11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 #  random
   11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11
   00                                             #   no session id
   c0 2f                                          #   ECDHE-RSA-AES128-GCM-SHA256
   00                                             #   compression null
   00 0f                                          #   extensions, 15 bytes
   ff 01 00 01 00                                 #     renegotiation_info, empty
   00 17 00 00                                    #     extended_master_secret
   00 0b 00 02 01 00                              #     ec_point_formats: uncompressed
0b 00 00 0b                                       # certificate, 11 bytes
   00 00 08                                       #   certificate_list, 8 bytes
   00 00 05 30 03 02 01 05                        #   one 5-byte "certificate"
0c 00 00 2c                                       # server_key_exchange, 44 bytes
   03 00 1d                                       #   named_curve x25519
   20 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22  # point, 32 bytes
      22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22
   08 04                                          #   rsa_pss_rsae_sha256
   00 04 de ad be ef                              #   signature, 4 bytes
0e 00 00 00                                       # server_hello_done
""")

# TLS 1.0, DHE_RSA with a toy group (p = 23, g = 5, Ys = 8), split over two records, the
# ServerKeyExchange cut in the middle of dh_g. TLS 1.0 signatures carry no scheme.
TLS10_DHE_FLIGHT = hx("""
16 03 01 00 32                                    # record 1, 50 bytes
02 00 00 26                                       # server_hello, 38 bytes
   03 01                                          #   TLS 1.0
   33 33 33 33 33 33 33 33 33 33 33 33 33 33 33 33 #  random
   33 33 33 33 33 33 33 33 33 33 33 33 33 33 33 33
   00                                             #   no session id
   00 33                                          #   DHE-RSA-AES128-SHA
   00                                             #   compression null (no extensions)
0c 00 00 0d                                       # server_key_exchange, 13 bytes
   00 01 17                                       #   dh_p = 23
   00                                             #   (first byte of dh_g's length)
16 03 01 00 0d                                    # record 2, 13 bytes
   01 05                                          #   dh_g = 5
   00 01 08                                       #   dh_Ys = 8
   00 02 ab cd                                    #   signature, 2 bytes
0e 00 00 00                                       # server_hello_done
""")

# TLS 1.3 HelloRetryRequest: the special random, selected group secp384r1, a cookie.
HELLO_RETRY_REQUEST = hx("""
16 03 03 00 40                                    # record, 64 bytes
02 00 00 3c                                       # server_hello, 60 bytes
   03 03
   cf 21 ad 74 e5 9a 61 11 be 1d 8c 02 1e 65 b8 91 # SHA-256("HelloRetryRequest")
   c2 a2 11 16 7a bb 8c 5e 07 9e 09 e2 c8 a8 33 9c
   00                                             #   session id echo: empty
   13 02                                          #   TLS_AES_256_GCM_SHA384
   00
   00 14                                          #   extensions, 20 bytes
   00 2b 00 02 03 04                              #     supported_versions: TLS 1.3
   00 33 00 02 00 18                              #     key_share: selected_group secp384r1
   00 2c 00 04 00 02 c0 01                        #     cookie, 2 bytes
""")

# A ServerHello full of code points nobody knows: GREASE-valued suite, an unknown
# extension 0x1234 and a GREASE extension. They must come back as values.
UNKNOWN_CODES_HELLO = hx("""
16 03 03 00 36                                    # record, 54 bytes
02 00 00 32                                       # server_hello, 50 bytes
   03 03
   44 44 44 44 44 44 44 44 44 44 44 44 44 44 44 44
   44 44 44 44 44 44 44 44 44 44 44 44 44 44 44 44
   00
   0a 0a                                          #   suite 0x0a0a (GREASE)
   00
   00 0a                                          #   extensions, 10 bytes
   12 34 00 02 be ef                              #     unknown 0x1234, 2 bytes
   7a 7a 00 00                                    #     GREASE 0x7a7a, empty
""")

# Fatal alert: handshake_failure.
ALERT_HANDSHAKE_FAILURE = hx("15 03 03 00 02 02 28")

# SSL 2.0 SERVER-HELLO (2-byte record header), certificate "CERT", two cipher kinds.
SSLV2_SERVER_HELLO = hx("""
80 25                                             # SSLv2 record, 37 bytes
04                                                # SERVER-HELLO
00                                                # session_id_hit: no
01                                                # certificate_type: X.509
00 02                                             # server_version 2
00 04 00 06 00 10                                 # cert 4, specs 6, connection id 16
43 45 52 54                                       # certificate "CERT"
01 00 80 07 00 c0                                 # RC4-MD5, DES-CBC3-MD5
00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f   # connection id
""")
