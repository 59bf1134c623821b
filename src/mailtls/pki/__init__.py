"""Certificate making: the development CA behind ``mailtls devcert`` (and the lab's CA).

``names`` checks the names a certificate may carry and holds the permitted set (the CA's
name constraints); ``devca`` makes the constrained root and intermediate and issues
server certificates; ``snippets`` writes the configuration that makes each client and
server verify against that CA. Only ``cryptography`` and ``idna`` are needed here.
"""
