# Python 3.12+ syntax: mailtls reads it even when it runs on an older Python.
import smtplib
import ssl

type Pair[K, V] = tuple[K, V]


def send[T](host: str, item: T) -> str:
    ctx = ssl._create_unverified_context()  # expect: lint.python.unverified_context
    label = f"{item["name"]} via {host}"
    with smtplib.SMTP(host, 587) as smtp:
        smtp.starttls(context=ctx)
        smtp.starttls()  # expect: lint.python.smtplib_no_context
    return label


class Box[T]:
    def open(self, sock):
        return ssl.wrap_socket(sock, cert_reqs=ssl.CERT_NONE)  # expect: lint.python.cert_none
