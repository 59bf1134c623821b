"""The suite imports helper modules by bare name (rootdir on sys.path): names must be unique."""

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_helper_and_test_module_names_are_unique() -> None:
    names = Counter(
        p.name
        for p in TESTS.rglob("*.py")
        if p.name not in ("__init__.py", "conftest.py")
        and "corpus" not in p.parts  # lint samples are data, never imported
        and (p.parent / "__init__.py").exists() is False
    )
    assert [n for n, count in names.items() if count > 1] == []
