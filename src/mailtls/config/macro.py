"""Postfix ``$name`` expansion, as ``mac_expand(3)`` does it (checked against postconf 3.7).

Syntax, all of which ``postconf -x`` accepts:

    $name  ${name}  $(name)          the value of name, itself expanded (recursively)
    $$                               a literal $
    ${name?value}  ${name?{value}}   value when name is defined and not empty, else ""
    ${name:value}  ${name:{value}}   value when name is undefined or empty, else ""
    ${name?{v1}:{v2}}                v1 when name is defined and not empty, else v2
    ${{t1} OP {t2} ? {v1} : {v2}}    OP: == != (text), < <= > >= (numbers, else text),
                                     and <level ... >=level (compatibility levels)

Whether a name is "defined and not empty" is decided on its raw value, as Postfix does.
A name made of letters, digits and ``_``; an undefined name expands to "" (postconf
warns). Errors raise :class:`MacroError`: an empty name (``$ x``), a truncated reference
(``${x``), a bad conditional, or a reference loop (``a = $b``, ``b = $a``; Postfix stops at a
nesting depth of 100 with "unreasonable macro call nesting").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

NAME = re.compile(r"[A-Za-z0-9_]+")
MAX_DEPTH = 100
_OPS = ("==level", "!=level", "<=level", ">=level", "<level", ">level",
        "==", "!=", "<=", ">=", "<", ">")

Lookup = Callable[[str], "str | None"]


class MacroError(ValueError):
    """A value that Postfix refuses to expand; ``chain`` is the reference path, if a loop."""

    def __init__(self, problem: str, text: str, chain: tuple[str, ...] = ()) -> None:
        super().__init__(f"{problem}: {text!r}" + (f" ({' -> '.join(chain)})" if chain else ""))
        self.problem = problem
        self.text = text
        self.chain = chain


def _braced(text: str, start: int, open_: str = "{", close: str = "}") -> int:
    """Index just past the bracket that closes the one at ``start``; -1 when unbalanced."""
    level = 0
    for i in range(start, len(text)):
        c = text[i]
        if c == open_:
            level += 1
        elif c == close:
            level -= 1
            if level == 0:
                return i + 1
    return -1


def _level(text: str) -> tuple[int, ...]:
    parts = text.strip().split(".")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        raise MacroError("bad compatibility level", text) from None
    return tuple(nums + [0] * (3 - len(nums)))


def _compare(left: str, op: str, right: str) -> bool:
    if op.endswith("level"):
        a: tuple[int, ...] | int | str = _level(left)
        b: tuple[int, ...] | int | str = _level(right)
        op = op[: -len("level")]
    elif op in ("==", "!="):
        a, b = left, right
    else:
        try:
            a, b = int(left.strip()), int(right.strip())
        except ValueError:
            a, b = left, right
    results = {"==": a == b, "!=": a != b}
    if op in results:
        return results[op]
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]  # type: ignore[operator]


class Expander:
    """Expand values against ``lookup`` (raw values by name; None when undefined)."""

    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup
        self.undefined: set[str] = set()
        self._cache: dict[str, str] = {}

    def value(self, name: str) -> str | None:
        """The fully expanded value of ``name``, None when it is undefined."""
        raw = self.lookup(name)
        if raw is None:
            return None
        return self._expand_name(name, ())

    def expand(self, text: str, stack: tuple[str, ...] = ()) -> str:
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            j = text.find("$", i)
            if j < 0:
                out.append(text[i:])
                break
            out.append(text[i:j])
            nxt = text[j + 1] if j + 1 < n else ""
            if nxt == "$":
                out.append("$")
                i = j + 2
            elif nxt in ("{", "("):
                end = _braced(text, j + 1, nxt, "}" if nxt == "{" else ")")
                if end < 0:
                    raise MacroError("truncated macro reference", text)
                out.append(self._expression(text[j + 2 : end - 1], stack))
                i = end
            else:
                m = NAME.match(text, j + 1)
                if not m:
                    raise MacroError("empty macro name", text)
                out.append(self._expand_name(m.group(), stack))
                i = m.end()
        return "".join(out)

    def _expand_name(self, name: str, stack: tuple[str, ...]) -> str:
        if name in self._cache:
            return self._cache[name]
        if name in stack or len(stack) >= MAX_DEPTH:
            loop = (*stack[stack.index(name) :], name) if name in stack else (*stack, name)
            raise MacroError("recursive parameter reference", name, loop)
        raw = self.lookup(name)
        if raw is None:
            self.undefined.add(name)
            return ""
        value = self.expand(raw, (*stack, name))
        self._cache[name] = value
        return value

    def _expression(self, inner: str, stack: tuple[str, ...]) -> str:
        s = inner.strip()
        if s.startswith("{"):
            return self._relational(s, stack)
        m = NAME.match(s)
        if not m:
            raise MacroError("empty macro name", inner)
        name = m.group()
        rest = s[m.end() :].lstrip()
        if not rest:
            return self._expand_name(name, stack)
        op, body = rest[0], rest[1:]
        if op not in "?:":
            raise MacroError("macro name syntax error", inner)
        when_set, otherwise = self._branches(body, op, inner)
        raw = self.lookup(name)
        if raw is None:
            self.undefined.add(name)
        chosen = when_set if raw else otherwise
        if op == ":":
            chosen = otherwise if raw else when_set
        return self.expand(chosen, stack) if chosen else ""

    @staticmethod
    def _branches(body: str, op: str, inner: str) -> tuple[str, str]:
        b = body.lstrip()
        if not b.startswith("{"):
            return body, ""
        end = _braced(b, 0)
        if end < 0:
            raise MacroError("unbalanced '{'", inner)
        first, after = b[1 : end - 1], b[end:].strip()
        if not after:
            return first, ""
        if op == "?" and after.startswith(":"):
            second = after[1:].strip()
            end2 = _braced(second, 0) if second.startswith("{") else -1
            if end2 == len(second):
                return first, second[1:-1]
        raise MacroError("':' expected", inner)

    def _relational(self, s: str, stack: tuple[str, ...]) -> str:
        parts: list[str] = []
        pos = 0
        for expect in ("{", "op", "{", "?", "{", ":", "{"):
            while pos < len(s) and s[pos].isspace():
                pos += 1
            if expect == "{":
                end = _braced(s, pos) if s.startswith("{", pos) else -1
                if end < 0:
                    raise MacroError("'{' expected", s)
                parts.append(s[pos + 1 : end - 1])
                pos = end
            elif expect == "op":
                op = next((o for o in _OPS if s.startswith(o, pos)), None)
                if op is None:
                    raise MacroError("unknown operator", s)
                parts.append(op)
                pos += len(op)
            elif not s.startswith(expect, pos):
                raise MacroError(f"'{expect}' expected", s)
            else:
                pos += 1
        if s[pos:].strip():
            raise MacroError("text after the expression", s)
        left, op, right, yes, no = parts
        if _compare(self.expand(left, stack), op, self.expand(right, stack)):
            return self.expand(yes, stack)
        return self.expand(no, stack)


def references(text: str) -> Iterator[str]:
    """Every parameter name that ``text`` refers to, in any branch (for "used" names)."""
    for m in re.finditer(r"\$(?:\$|([A-Za-z0-9_]+)|[{(]\s*([A-Za-z0-9_]+))", text):
        name = m.group(1) or m.group(2)
        if name:
            yield name
