# Only smtplib's exceptions are imported: an untyped receiver's starttls() is some other
# library's (here a client that builds a verifying context itself), not smtplib's.
from smtplib import SMTPException


def upgrade(conn):
    try:
        conn.starttls()
    except SMTPException:
        conn.close()
