from pathlib import Path

import pytest

from mailtls.errors import TargetError
from mailtls.model import Target
from mailtls.targets import apply_resolve, parse_resolve, parse_target, read_targets_file


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail.example.com", Target("smtp", "mail.example.com", 25)),
        ("MAIL.Example.COM.", Target("smtp", "mail.example.com", 25)),
        ("mail.example.com:587", Target("submission", "mail.example.com", 587)),
        ("mail.example.com:465", Target("smtps", "mail.example.com", 465)),
        ("mail.example.com:993", Target("imaps", "mail.example.com", 993)),
        ("mail.example.com:4190", Target("sieve", "mail.example.com", 4190)),
        ("imap://mail.example.com", Target("imap", "mail.example.com", 143)),
        ("pop3s://mail.example.com", Target("pop3s", "mail.example.com", 995)),
        ("SMTP://mail.example.com:2525", Target("smtp", "mail.example.com", 2525)),
        ("submission://127.0.0.1:10587", Target("submission", "127.0.0.1", 10587)),
        ("smtp://[::1]:25", Target("smtp", "::1", 25)),
        ("[::1]:587", Target("submission", "::1", 587)),
        ("::1", Target("smtp", "::1", 25)),
        ("smtp://bücher.example", Target("smtp", "xn--bcher-kva.example", 25)),
        ("smtp://mail.example.com/", Target("smtp", "mail.example.com", 25)),
    ],
)
def test_parse_target(text: str, expected: Target) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("http://mail.example.com", "unknown scheme 'http'"),
        ("ftp://x", "unknown scheme"),
        ("", "empty target"),
        ("smtp://", "no host name"),
        ("smtp://mail.example.com:0", "port '0'"),
        ("smtp://mail.example.com:70000", "port '70000'"),
        ("smtp://mail.example.com:abc", "port 'abc'"),
        ("mail.example.com:8080", "not a well-known mail port"),
        ("smtp://user@mail.example.com", "no path or user"),
        ("smtp://mail.example.com/path", "no path or user"),
        ("smtp://bad_-.-host..example", "not a valid name"),
        ("smtp://[::1", "unclosed"),
        ("two words", "no white space"),
    ],
)
def test_parse_target_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(TargetError, match=message.replace("(", r"\(")) as info:
        parse_target(text)
    if text:
        assert repr(text) in str(info.value) or text.strip() == ""


def test_resolve_forces_address_for_host_and_port() -> None:
    key, addr = parse_resolve("mail.example.com:25:127.0.0.1")
    assert key == ("mail.example.com", 25) and addr == "127.0.0.1"
    targets = apply_resolve(
        [parse_target("mail.example.com"), parse_target("mail.example.com:587")], {key: addr}
    )
    assert targets[0].address == "127.0.0.1" and targets[1].address is None
    assert parse_resolve("h.example:25:[::1]")[1] == "::1"


@pytest.mark.parametrize(
    "bad", ["h.example:25", "h.example:x:127.0.0.1", "h.example:25:nowhere", ":25:1.2.3.4"]
)
def test_resolve_errors(bad: str) -> None:
    with pytest.raises(TargetError, match="--resolve"):
        parse_resolve(bad)


def test_targets_file_keeps_good_lines(tmp_path: Path) -> None:
    f = tmp_path / "t.txt"
    f.write_text("# lab\nsmtp://a.example\n\n  imaps://b.example  # comment\nbogus://x\n")
    targets, errors = read_targets_file(f)
    assert [t.url for t in targets] == ["smtp://a.example:25", "imaps://b.example:993"]
    assert len(errors) == 1 and f"{f}:5:" in errors[0]


def test_targets_file_missing_and_binary(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="cannot read"):
        read_targets_file(tmp_path / "none.txt")
    b = tmp_path / "b.bin"
    b.write_bytes(b"\x00\x01\x02")
    with pytest.raises(TargetError, match="binary"):
        read_targets_file(b)
