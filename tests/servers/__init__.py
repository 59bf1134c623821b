"""Real Postfix and Dovecot instances for the tests, on loopback only.

``postfix.PostfixInstance`` and ``dovecot.DovecotInstance`` start private instances in
temporary directories; ``tests/conftest.py`` builds the session-wide labs from them.
"""
