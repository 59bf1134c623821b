# Python 3.12+ syntax, and nothing insecure: "ssl.CERT_NONE" only in text.
import smtplib
import ssl

type Pair[K, V] = tuple[K, V]


def send[T](host: str, item: T) -> str:
    ctx = ssl.create_default_context()
    label = f"{item["name"]} never uses {"ssl.CERT_NONE"}"
    with smtplib.SMTP(host, 587) as smtp:
        smtp.starttls(context=ctx)
    return label
