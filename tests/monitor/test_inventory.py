"""The inventory: the example loads, every mistake is named with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mailtls.cli.exits import run
from mailtls.cli.main import cli
from mailtls.monitor import EXAMPLE, InventoryError, load_inventory


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inv.toml"
    path.write_text(text)
    return path


def error(tmp_path: Path, text: str) -> InventoryError:
    with pytest.raises(InventoryError) as info:
        load_inventory(write(tmp_path, text))
    return info.value


def test_init_writes_an_example_that_loads(tmp_path: Path) -> None:
    path = tmp_path / "mon.toml"
    result = CliRunner().invoke(cli, ["monitor", "init", str(path)])
    assert result.exit_code == 0 and path.read_text() == EXAMPLE
    inv = load_inventory(path)
    assert [e.target.url for e in inv.endpoints] == [
        "submission://mail.example.com:587", "imaps://mail.example.com:993"]
    assert inv.endpoints[1].target.address == "192.0.2.10"
    assert inv.endpoints[1].limits.warn_days == 45 and inv.endpoints[0].limits.crit_days == 14
    assert inv.domains[0].name == "example.com" and inv.every == 86400 and inv.jitter == 600
    assert inv.history_url.endswith("mon.history.sqlite")

def test_init_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "keep me")
    assert run(cli, ["monitor", "init", str(path)]) == 64
    assert "exists" in capsys.readouterr().err and path.read_text() == "keep me"


def test_unknown_key_named_with_its_line(tmp_path: Path) -> None:
    e = error(tmp_path, '[[endpoint]]\ntarget = "mx.example.com"\n\n[[endpoint]]\n'
              'target = "mx2.example.com"\nwarn_dayz = 3\n')
    assert e.line == 6 and "unknown key 'endpoint[2].warn_dayz'" in str(e)
    assert str(e).startswith(f"{tmp_path / 'inv.toml'}:6: ")


def test_wrong_type_named_with_its_line(tmp_path: Path) -> None:
    e = error(tmp_path, '[defaults]\nwarn_days = "thirty"\n[[endpoint]]\ntarget = "a.example"\n')
    assert e.line == 2 and "must be a number, not str" in str(e)
    e = error(tmp_path, '[[endpoint]]\ntarget = "a.example"\n[[endpoint]]\ntarget = 25\n')
    assert e.line == 4


def test_bad_values_named(tmp_path: Path) -> None:
    assert error(tmp_path, '[[endpoint]]\ntarget = "ftp://x.example"\n').line == 2
    assert "unknown scheme" in str(error(tmp_path, '[[endpoint]]\ntarget = "ftp://x"\n'))
    e = error(tmp_path, '[[endpoint]]\ntarget = "x.example"\nresolve = "nowhere"\n')
    assert e.line == 3 and "not an IP address" in str(e)
    e = error(tmp_path, '[[endpoint]]\ntarget = "x.example"\nwarn_days = 5\ncrit_days = 9\n')
    assert e.line == 4 and "crit_days" in str(e)
    e = error(tmp_path, '[schedule]\nevery = "soon"\n[[endpoint]]\ntarget = "x.example"\n')
    assert e.line == 2 and "duration" in str(e)
    assert "nothing to watch" in str(error(tmp_path, "[scan]\ntimeout = 5\n"))


def test_duplicates_name_both_lines(tmp_path: Path) -> None:
    e = error(tmp_path, '[[endpoint]]\ntarget = "smtp://x.example"\n\n'
              '[[endpoint]]\ntarget = "x.example:25"\n')
    assert e.line == 4 and "listed twice; first at line 1" in str(e)


def test_syntax_error_keeps_tomllib_line(tmp_path: Path) -> None:
    e = error(tmp_path, '[[endpoint]]\ntarget = "x.example"\nwarn_days = = 3\n')
    assert e.line == 3 and "not valid TOML" in str(e)


def test_cli_names_the_line_and_exits_64(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, '[[endpoint]]\ntarget = "x.example"\nbogus = 1\n')
    assert run(cli, ["monitor", "run", "-i", str(path)]) == 64
    assert f"{path}:3:" in capsys.readouterr().err
    assert run(cli, ["monitor", "run", "-i", str(tmp_path / "none.toml")]) == 66
    assert "cannot read" in capsys.readouterr().err


def test_ten_thousand_entries_load(tmp_path: Path) -> None:
    text = "".join(f'[[endpoint]]\ntarget = "smtp://h{i}.example.net"\ntags = ["t"]\n'
                   for i in range(10_000))
    inv = load_inventory(write(tmp_path, text))
    assert len(inv.endpoints) == 10_000
