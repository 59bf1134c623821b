"""mailtls domain: is mail to a domain authenticated? DNSSEC, DANE, MTA-STS, TLS-RPT.

Pure rules over data (dnssec walks through an injected query function; dane, mtasts,
tlsrpt and verdict are functions over records and scan results); mailtls.domain.run
drives the network through mailtls.net (dns, https, the scan engine).
"""
