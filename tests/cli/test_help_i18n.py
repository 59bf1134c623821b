"""--help and click's own messages in Chinese (gettext domain mailtls-cli), English unchanged.

The help of every command comes from its own code (tools/i18n.py extracts it into
mailtls-cli.po); these tests run `mailtls ... --help` as a user would and check that what
the command says is shown translated, laid out in terminal columns, and that a new help
text without a translation is caught by `tools/i18n.py --check`.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import click
import click.core
import click.exceptions
import pytest
from babel.messages.extract import extract_from_file

from mailtls.catalog.parts import cli as cli_part
from mailtls.cli import help_i18n
from mailtls.cli.exits import EPILOG
from mailtls.cli.main import cli

ROOT = Path(__file__).parents[2]
MAILTLS = [sys.executable, "-m", "mailtls"]
BASE_ENV = {**os.environ, "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "COLUMNS": "80"}
ZH_ENV = {**BASE_ENV, "LANG": "zh_CN.UTF-8"}
EN_ENV = {**BASE_ENV, "LANG": "C.UTF-8"}
HAN = re.compile(r"[\u4e00-\u9fff]")


def mailtls(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MAILTLS, *args], capture_output=True, text=True, timeout=120,
                          env=env, stdin=subprocess.DEVNULL)  # fmt: skip


Path_ = tuple[str, ...]


def commands() -> Iterator[tuple[Path_, click.Command]]:
    ctx = click.Context(cli, info_name="mailtls")

    def walk(path: Path_, cmd: click.Command) -> Iterator[tuple[Path_, click.Command]]:
        yield path, cmd
        if isinstance(cmd, click.Group):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None:
                    yield from walk((*path, name), sub)

    return walk((), cli)


COMMANDS = dict(commands())


def squeeze(text: str) -> str:
    """Text without any white space: a wrapped line and the unwrapped text compare equal."""
    return re.sub(r"\s+", "", text)


def first_sentence(text: str) -> str:
    para = " ".join(help_i18n.clean(text).partition("\n\n")[0].split())
    return re.split(r"(?<=[.。])\s*", para, maxsplit=1)[0]


@pytest.mark.parametrize("path", list(COMMANDS), ids=lambda p: " ".join(p) or "mailtls")
def test_every_help_is_chinese(path: tuple[str, ...]) -> None:
    cmd = COMMANDS[path]
    p = mailtls(*path, "--help", env=ZH_ENV)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr + p.stdout
    out = squeeze(p.stdout)
    assert out.startswith("用法："), p.stdout
    assert "选项：" in out and "Options:" not in out
    assert "显示此帮助并退出。" in out
    assert cmd.help
    english = first_sentence(cmd.help)
    chinese = first_sentence(help_i18n.translate(cmd.help, "zh_CN"))
    assert HAN.search(chinese), f"no translation for the help of {path}"
    assert squeeze(chinese) in out and squeeze(english) not in out
    for param in cmd.params:
        if isinstance(param, click.Option) and param.help:
            zh = help_i18n.translate(param.help, "zh_CN")
            assert HAN.search(zh), f"no translation for {param.opts} of {path}"
            assert squeeze(zh) in out, f"{param.opts} of {path}"
    for line in p.stdout.splitlines():  # laid out in terminal columns, Chinese counting two
        if HAN.search(line):  # (click never wraps an option's name and metavar)
            assert help_i18n.display_width(line) <= 80, line


def test_group_lists_commands_in_chinese() -> None:
    p = mailtls("--help", env=ZH_ENV)
    out = squeeze(p.stdout)
    assert "命令：" in out and "Commands:" not in out
    assert "scan扫描邮件服务器，并准确指出哪一项证书检查失败。" in out
    assert "退出状态：0没有高于“低”的问题" in out  # the group's own epilog
    listing = p.stdout.partition("命令：")[2]
    assert "..." not in listing  # the short help is the first Chinese sentence, not cut


@pytest.mark.parametrize("lang", [["--lang", "zh_CN"], ["--lang=zh_CN"]])
def test_lang_option_forms(lang: list[str]) -> None:
    p = mailtls("scan", *lang, "--help", env=EN_ENV)
    assert p.returncode == 0
    assert "扫描邮件服务器" in p.stdout and "[默认：mozilla]" in squeeze(p.stdout)


def test_english_unchanged() -> None:
    p = mailtls("scan", "--help", env=EN_ENV)
    assert p.returncode == 0
    assert p.stdout.startswith("Usage: mailtls scan [OPTIONS] [TARGET]...")
    assert "Scan mail servers and name exactly which certificate check fails." in p.stdout
    assert "Options:" in p.stdout and "[default: mozilla]" in p.stdout
    assert not HAN.search(p.stdout)
    p = mailtls("scan", "--lang", "en", "--help", env=ZH_ENV)  # --lang wins over LANG
    assert "Options:" in p.stdout and not HAN.search(p.stdout)
    p = mailtls("--help", env=EN_ENV)
    assert "Commands:" in p.stdout and "Exit status: 0 nothing above low" in p.stdout


def test_usage_error_in_chinese() -> None:
    p = mailtls("scan", "--lang", "zh_CN", "--bogus", env=EN_ENV)
    assert p.returncode == 64
    assert "错误：没有选项 '--bogus'。" in p.stderr
    assert "运行 'mailtls scan --help' 查看帮助。" in p.stderr
    p = mailtls("scan", "--trust", "x", "localhost", env=ZH_ENV)
    assert p.returncode == 64
    assert "'--trust' 的值无效：'x' 不是 'mozilla', 'system', 'none' 之一。" in p.stderr
    p = mailtls("scna", env=ZH_ENV)
    assert p.returncode == 64 and "错误：没有命令 'scna'。" in p.stderr
    assert "Traceback" not in p.stderr


def test_usage_error_in_english() -> None:
    p = mailtls("scan", "--bogus", env=EN_ENV)
    assert p.returncode == 64 and "Error: No such option '--bogus'." in p.stderr


def test_install_leaves_no_trace() -> None:
    """In one process (tests, a library user): Chinese, then English again; no env change."""
    before = dict(os.environ)
    try:
        help_i18n.install("zh_CN")
        assert click.exceptions._("Missing command.") == "缺少命令。"
        assert "选项：" in cli.get_help(click.Context(cli, info_name="mailtls"))
    finally:
        help_i18n.install("en")
    assert dict(os.environ) == before
    assert click.core._("Options") == "Options"
    text = cli.get_help(click.Context(cli, info_name="mailtls"))
    assert "Options:" in text and not HAN.search(text)


def test_short_help_and_width() -> None:
    assert help_i18n.short_help("扫描邮件服务器。第二句。\n\n第二段。") == "扫描邮件服务器。"
    assert help_i18n.short_help("Scan mail servers. More.") is None  # click's own way
    assert help_i18n.display_width("中文 ab") == 7
    help_i18n.install("zh_CN")  # columns counted as a terminal shows them
    try:
        wrapper = help_i18n.WideTextWrapper(width=10)
        lines = wrapper.wrap("扫描邮件服务器，并准确指出（smtp、imap）。")
    finally:
        help_i18n.install("en")
    assert all(help_i18n.display_width(line) <= 10 for line in lines), lines
    assert not any(line.startswith(("，", "。", "）", "、")) for line in lines), lines
    assert not any(line.endswith("（") for line in lines), lines


def test_click_strings_are_clicks() -> None:
    """The msgids listed for click are the ones the installed click asks gettext for."""
    found: set[object] = set()
    for path in Path(click.__file__).parent.glob("*.py"):
        keywords = {"_": None, "ngettext": (1, 2)}
        found.update(m[1] for m in extract_from_file("python", str(path), keywords=keywords))
    dynamic = {"required"}  # click passes it through _() from a variable
    assert {*cli_part.CLICK_STRINGS} - dynamic <= found
    assert {*cli_part.CLICK_PLURALS} <= found


def i18n_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_check_catches_a_new_untranslated_help(monkeypatch: pytest.MonkeyPatch) -> None:
    tool = i18n_tool()
    assert EPILOG in tool.msgids(cli_part.PART)  # the exit statuses every command shows
    assert not [p for p in tool.check_one("zh_CN", cli_part.PART) if "no translation" in p]

    @click.command()
    @click.option("--brand-new", help="A brand new option nobody translated yet.")
    def fresh(brand_new: str | None) -> None:
        """A brand new command."""

    monkeypatch.setitem(cli.commands, "zz-fresh", fresh)
    problems = tool.check_one("zh_CN", cli_part.PART)
    assert any("A brand new option nobody translated yet." in p for p in problems), problems
    assert any("A brand new command." in p for p in problems), problems
