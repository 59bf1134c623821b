"""Python rules over the standard ``ast``, with local data flow inside each function.

The visitor walks statements in source order and keeps, per scope, what each name (or
dotted attribute such as ``self.smtp``) holds: ``false``, ``none``, a context that does
not verify (``bad_ctx``, or ``plain_ctx`` for ``SSLContext()`` without
PROTOCOL_TLS_CLIENT, which does not verify by default), a verifying one (``good_ctx``), a
mail client object (``mail:smtplib``), ``cert_none``. So ``ctx = None`` then
``starttls(context=ctx)``, or ``v = False`` then ``validate_certs=v``, are found, and a
comment or a string that mentions ``CERT_NONE`` never is.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Callable

from .base import Scan

UNVERIFIED = frozenset({"ssl._create_unverified_context", "ssl._create_stdlib_context"})
CERT_NONE = frozenset({"ssl.CERT_NONE", "ssl.VerifyMode.CERT_NONE"})
RULE = {
    "smtplib": "lint.python.smtplib_no_context",
    "imaplib": "lint.python.imaplib_no_context",
    "poplib": "lint.python.poplib_no_context",
}
#: Implicit-TLS classes: (library, context keyword).
IMPLICIT = {
    "smtplib.SMTP_SSL": ("smtplib", "context"),
    "imaplib.IMAP4_SSL": ("imaplib", "ssl_context"),
    "poplib.POP3_SSL": ("poplib", "context"),
}
PLAIN = {
    "smtplib.SMTP": "smtplib",
    "smtplib.LMTP": "smtplib",
    "imaplib.IMAP4": "imaplib",
    "poplib.POP3": "poplib",
}
#: STARTTLS method per library: (method, context keyword, context position).
STARTTLS = {
    "smtplib": ("starttls", "context", 2),
    "imaplib": ("starttls", "ssl_context", 0),
    "poplib": ("stls", "context", 0),
}
NOT_VERIFYING = frozenset({"none", "plain_ctx"})
#: Implicit-TLS classes: the lowest position the context can have when passed
#: positionally (3.11: SMTP_SSL(host, port, local_hostname, keyfile, certfile, timeout,
#: source_address, context); 3.12 dropped keyfile/certfile). More positional arguments
#: than this: the context may be among them, so no finding.
CONTEXT_POSITION = {"smtplib.SMTP_SSL": 5, "imaplib.IMAP4_SSL": 4, "poplib.POP3_SSL": 5}
TWISTED = {
    "twisted.internet.ssl.ClientContextFactory": "ClientContextFactory()",
    "twisted.internet.ssl.CertificateOptions": "CertificateOptions()",
}
CERT_KEYS = frozenset({"cert_reqs", "verify_mode", "ssl_cert_reqs"})


def imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted origin, from every import in the module.

    Imports are statements, and statements only nest in statements (through except
    handlers and match cases), so the walk follows bodies and never enters an expression:
    a tenth of the nodes, or less. It is breadth first in field order, as ``ast.walk``
    is, so when two imports bind one name the same one wins.
    """
    aliases: dict[str, str] = {}
    todo: deque[ast.AST] = deque(tree.body)
    while todo:
        node = todo.popleft()
        if isinstance(node, ast.Import):
            for a in node.names:
                local = a.asname or a.name.split(".")[0]
                aliases[local] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            if node.module and not node.level:
                for a in node.names:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        else:
            for name in _BODIES.get(type(node), ()):
                todo.extend(getattr(node, name))
    return aliases


#: The fields that hold statements (or handlers and cases, which hold statements).
_BODIES: dict[type[ast.AST], tuple[str, ...]] = {
    ast.FunctionDef: ("body",),
    ast.AsyncFunctionDef: ("body",),
    ast.ClassDef: ("body",),
    ast.For: ("body", "orelse"),
    ast.AsyncFor: ("body", "orelse"),
    ast.While: ("body", "orelse"),
    ast.If: ("body", "orelse"),
    ast.With: ("body",),
    ast.AsyncWith: ("body",),
    ast.Match: ("cases",),
    ast.match_case: ("body",),
    ast.Try: ("body", "handlers", "orelse", "finalbody"),
    ast.TryStar: ("body", "handlers", "orelse", "finalbody"),
    ast.ExceptHandler: ("body",),
}


class Visitor(ast.NodeVisitor):
    def __init__(self, aliases: dict[str, str], out: Scan) -> None:
        self.aliases = aliases
        self.out = out
        self._methods: dict[type[ast.AST], Callable[[ast.AST], None]] = {}
        self.scopes: list[dict[str, str]] = [{}]
        self.fields: list[dict[str, str]] = [{}]  # self.<attr> per class, across methods
        roots = {v.split(".")[0] for v in aliases.values()}
        clients = set(PLAIN) | set(IMPLICIT)
        # a client import, not just ``from smtplib import SMTPException``
        self.mail_libs = {v.split(".")[0] for v in aliases.values()
                          if v in STARTTLS or v in clients}
        self.aiosmtplib = "aiosmtplib" in roots
        self.http = bool(roots & {"requests", "httpx"})

    # --- the walk: ast.NodeVisitor's, with the method looked up once per node type -----
    def visit(self, node: ast.AST) -> None:
        method = self._methods.get(type(node))
        if method is None:
            method = getattr(self, "visit_" + type(node).__name__, self.generic_visit)
            self._methods[type(node)] = method
        method(node)

    def generic_visit(self, node: ast.AST) -> None:
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)

    # --- names and values -------------------------------------------------------
    def resolve(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def lookup(self, name: str) -> str | None:
        if name.startswith("self."):
            return self.fields[-1].get(name)
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def evaluate(self, node: ast.expr | None) -> str | None:
        if node is None:
            return None
        if isinstance(node, ast.Constant):
            if node.value is False:
                return "false"
            return "none" if node.value is None else None
        if isinstance(node, ast.Call):
            return self.call_kind(node)
        name = self.resolve(node)
        if name in CERT_NONE:
            return "cert_none"
        if name == "ssl.CERT_REQUIRED":
            return "cert_required"
        if name in IMPLICIT or name in PLAIN:
            return "class:" + name  # the class itself, called later: self.conn = SMTP_SSL
        return self.lookup(name) if name else None

    def call_kind(self, node: ast.Call) -> str | None:
        fn = self.resolve(node.func) or ""
        if fn in UNVERIFIED:
            return "bad_ctx"
        if fn == "ssl.create_default_context":
            return "good_ctx"
        if fn == "ssl.SSLContext":
            proto = node.args[0] if node.args else _kw(node, "protocol")
            client = self.resolve_opt(proto) == "ssl.PROTOCOL_TLS_CLIENT"
            return "good_ctx" if client else "plain_ctx"
        if fn in PLAIN or fn in IMPLICIT:
            return "mail:" + (PLAIN.get(fn) or IMPLICIT[fn][0])
        return None

    def resolve_opt(self, node: ast.expr | None) -> str | None:
        return self.resolve(node) if node is not None else None

    def bind(self, target: ast.expr, value: str | None) -> None:
        name = self.resolve(target) if isinstance(target, ast.Name | ast.Attribute) else None
        if name is None:
            return
        scope = self.fields[-1] if name.startswith("self.") else self.scopes[-1]
        if value is None:
            scope.pop(name, None)
        else:
            scope[name] = value

    def hit(self, rule: str, node: ast.expr | ast.stmt, **params: str) -> None:
        self.out.hit(rule, node.lineno, node.col_offset + 1, **params)

    # --- scopes and statements ----------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.defaults(node.args)
        self.scopes.append({})
        if node.args.kwarg is not None:  # def f(**kwargs): empty unless a caller fills it
            self.scopes[-1][node.args.kwarg.arg] = "kwargs_param"
        self.generic_visit(node)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def defaults(self, args: ast.arguments) -> None:
        """``def wrap(sock, cert_reqs=ssl.CERT_NONE)``: the default is what callers get."""
        positional = [*args.posonlyargs, *args.args]
        pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults,
                         strict=True))
        pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d]
        for arg, default in pairs:
            if arg.arg in CERT_KEYS and self.cert_none(default):
                self.hit("lint.python.cert_none", default)
            elif arg.arg == "check_hostname" and self.evaluate(default) == "false":
                self.hit("lint.python.check_hostname_false", default)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        value = self.evaluate(node.value)
        for target in node.targets:
            self.assign(target, node.value, value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self.assign(node.target, node.value, self.evaluate(node.value))

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self.bind(item.optional_vars, self.evaluate(item.context_expr))
        for stmt in node.body:
            self.visit(stmt)

    visit_AsyncWith = visit_With

    def assign(self, target: ast.expr, value_node: ast.expr, value: str | None) -> None:
        if isinstance(target, ast.Attribute):
            self.attribute_set(target, value_node, value)
        self.bind(target, value)

    def attribute_set(self, target: ast.Attribute, value_node: ast.expr, value: str | None) -> None:
        owner = self.resolve(target.value)
        if target.attr == "check_hostname" and value == "false":
            self.hit("lint.python.check_hostname_false", target)
        elif target.attr == "verify_mode" and value == "cert_none":
            self.hit("lint.python.cert_none", value_node)
        elif target.attr == "verify" and value == "false" and self.http:
            self.hit("lint.python.http_verify_false", target)
        else:
            if target.attr == "verify_mode" and value == "cert_required" and owner:
                self.bind(target.value, "good_ctx")
            return
        if owner:
            self.bind(target.value, "bad_ctx")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if self.resolve(node) in UNVERIFIED:
            self.hit("lint.python.unverified_context", node, call=self.resolve(node) or "")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        name = self.resolve(node)
        if name in UNVERIFIED and isinstance(node.ctx, ast.Load):
            self.hit("lint.python.unverified_context", node, call=name or "")

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value in CERT_KEYS and self.cert_none(value):
                self.hit("lint.python.cert_none", value)
        self.generic_visit(node)

    def cert_none(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value.upper() in ("CERT_NONE", "NONE")
        return self.evaluate(node) == "cert_none"

    # --- calls ----------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        fn = self.resolve(node.func) or ""
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        star = any(k.arg is None for k in node.keywords)
        held = self.lookup(fn) or "" if isinstance(node.func, ast.Attribute) else ""
        if held.startswith("class:"):  # self.connection(host, port) with connection = SMTP_SSL
            fn = held[6:]
            star = any(k.arg is None and self.evaluate(k.value) != "kwargs_param"
                       for k in node.keywords)
        if fn in IMPLICIT and not star:
            lib, key = IMPLICIT[fn]
            missing = key not in kwargs and len(node.args) <= CONTEXT_POSITION[fn]
            if self.evaluate(kwargs.get(key)) in NOT_VERIFYING or missing:
                self.hit(RULE[lib], node, call=fn.split(".")[-1] + "()")
        if isinstance(node.func, ast.Attribute) and not star:
            self.starttls(node, node.func, kwargs)
        self.keywords(node, fn, kwargs, star)
        self.generic_visit(node)

    def starttls(self, node: ast.Call, func: ast.Attribute, kwargs: dict[str, ast.expr]) -> None:
        kind = self.evaluate(func.value) or ""
        if not kind and isinstance(func.value, ast.Name) and func.value.id == "self":
            return  # the class's own method: a mail base class would have set self's kind
        lib = kind[5:] if kind.startswith("mail:") else self.only_lib(func.attr, kind)
        if lib is None or STARTTLS[lib][0] != func.attr:
            return
        _, key, pos = STARTTLS[lib]
        ctx = kwargs.get(key) or (node.args[pos] if len(node.args) > pos else None)
        if ctx is None or self.evaluate(ctx) in NOT_VERIFYING:
            self.hit(RULE[lib], node, call=f"{func.attr}()")

    def only_lib(self, method: str, receiver_kind: str) -> str | None:
        """The mail library of an untyped receiver: the only one imported that has ``method``."""
        if receiver_kind or self.aiosmtplib:
            return None
        libs = [lib for lib in self.mail_libs if STARTTLS[lib][0] == method]
        return libs[0] if len(libs) == 1 else None

    def keywords(self, node: ast.Call, fn: str, kwargs: dict[str, ast.expr], star: bool) -> None:
        for key in CERT_KEYS & kwargs.keys():
            if self.cert_none(kwargs[key]):
                self.hit("lint.python.cert_none", kwargs[key])
        if self.aiosmtplib and self.evaluate(kwargs.get("validate_certs")) == "false":
            self.hit("lint.python.aiosmtplib_no_verify", kwargs["validate_certs"])
        if self.aiosmtplib and self.evaluate(kwargs.get("start_tls")) == "none":
            self.hit("lint.python.aiosmtplib_opportunistic", kwargs["start_tls"])
        if self.http and self.evaluate(kwargs.get("verify")) == "false":
            self.hit("lint.python.http_verify_false", kwargs["verify"])
        if "tls_verify" in kwargs and self.evaluate(kwargs["tls_verify"]) == "false":
            self.hit("lint.python.managesieve_no_verify", kwargs["tls_verify"])
        if fn in TWISTED and not star and not (
            "trustRoot" in kwargs or _true(kwargs.get("verify")) or _serves(fn, node, kwargs)
        ):
            self.hit("lint.python.twisted_no_verify", node, call=TWISTED[fn])
        if fn == "flask_mail.Mail":
            self.hit("lint.python.flask_mail_no_context", node)
        if fn == "yagmail.SMTP" and not star:
            starttls = kwargs.get("smtp_starttls")
            if "context" not in kwargs or (
                isinstance(starttls, ast.Constant) and starttls.value is True
            ):
                self.hit("lint.python.yagmail_no_context", node)

    # --- Django -------------------------------------------------------------------
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if any((self.resolve(b) or "").endswith("EmailBackend") for b in node.bases):
            for stmt in node.body:
                if _defines(stmt, "ssl_context") and not self.verifying(stmt):
                    self.hit("lint.python.django_ssl_context", stmt, name=node.name)
        self.scopes.append({})
        self.fields.append({})
        for base in node.bases:  # class Client(imaplib.IMAP4): self.starttls() is imaplib's
            lib = PLAIN.get(self.resolve(base) or "")
            if lib is not None:
                self.scopes[-1]["self"] = "mail:" + lib
        for stmt in node.body:
            held = self.property_class(stmt)
            if held is not None:
                self.fields[-1]["self." + stmt.name] = "class:" + held  # type: ignore[attr-defined]
        self.generic_visit(node)
        self.fields.pop()
        self.scopes.pop()

    def property_class(self, stmt: ast.stmt) -> str | None:
        """``@property def connection(self): return SMTP_SSL if self.ssl else SMTP``."""
        if not isinstance(stmt, ast.FunctionDef) or not any(
            isinstance(d, ast.Name) and d.id == "property" for d in stmt.decorator_list
        ):
            return None
        for ret in ast.walk(stmt):
            if isinstance(ret, ast.Return) and ret.value is not None:
                values = [ret.value.body, ret.value.orelse] if isinstance(
                    ret.value, ast.IfExp) else [ret.value]
                for value in values:
                    named = isinstance(value, ast.Name | ast.Attribute)
                    if named and self.resolve(value) in IMPLICIT:
                        return self.resolve(value)
        return None

    def verifying(self, stmt: ast.stmt) -> bool:
        """Builds a verifying context and weakens nothing."""
        builds = weakens = False
        for n in ast.walk(stmt):
            if isinstance(n, ast.Call):
                kind = self.call_kind(n)
                builds |= kind == "good_ctx" or (self.resolve(n.func) or "") == "super"
            elif isinstance(n, ast.Attribute | ast.Name):
                weakens |= (self.resolve(n) or "") in UNVERIFIED | CERT_NONE
            if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Attribute):
                off = self.evaluate(n.value) == "false"
                weakens |= n.targets[0].attr == "check_hostname" and off
        return builds and not weakens


#: CertificateOptions arguments that only a server needs: a server must present a
#: certificate and key, so options without them can only make client connections.
SERVER_KEYS = frozenset({"privateKey", "certificate", "contextForServerName"})


def _serves(fn: str, node: ast.Call, kwargs: dict[str, ast.expr]) -> bool:
    """``CertificateOptions(privateKey=..., certificate=...)``: server options, not a client."""
    if not fn.endswith("CertificateOptions"):
        return False
    return bool(node.args) or bool(SERVER_KEYS & kwargs.keys())


def _true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _kw(node: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


def _defines(stmt: ast.stmt, name: str) -> bool:
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        return stmt.name == name
    if isinstance(stmt, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)
    return False


def _newer_syntax(source: str) -> ast.Module | None:
    """The module parsed after blanking syntax newer than this Python (:mod:`.pydown`)."""
    try:
        from .pydown import downlevel
    except ImportError:  # no tree-sitter runtime: the mailtls[lint] extra is missing
        return None
    patched = downlevel(source)
    if patched is None:
        return None
    try:
        return ast.parse(patched)
    except SyntaxError:
        return None


def scan_python(source: str) -> Scan:
    """Every Python rule over one module's source."""
    out = Scan()
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        newer = _newer_syntax(source)
        if newer is None:
            out.note("lint.file_skipped", "syntax error; not parsed", exc.lineno or 1)
            return out
        tree = newer
    except (RecursionError, MemoryError):
        out.note("lint.file_skipped", "nested too deeply to parse")
        return out
    except ValueError:  # null bytes
        out.note("lint.file_skipped", "binary file")
        return out
    try:
        Visitor(imports(tree), out).visit(tree)
    except RecursionError:
        out.note("lint.file_partial", "nested too deeply to parse")
    return out
