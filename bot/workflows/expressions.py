"""The small, safe expression language of workflow ``conditional`` steps.

Bank operations staff write conditions like these in workflow YAML:

    txn.amount > 5000 and device.trusted == false
    account.status in ["blocked", "frozen"]
    working_days_since(report.transaction_date) <= 3

    >>> cond = compile_expression("txn.amount > 5000", variables={"txn.amount": Decimal},
    ...                           where="personalities/workflows/dispute.yaml:14")
    >>> cond.evaluate({"txn": {"amount": Decimal("7500.00")}})
    True

It is never Python: a hand-written tokenizer and recursive-descent parser build a small tree, and
a tree-walking evaluator runs it. No eval/exec/compile, no attribute access beyond Mapping keys and
declared dataclass fields, no loops, no user-defined functions. Everything that can be checked before
a customer is waiting is checked by `compile_expression` when the workflow loads: syntax, every
variable path against the declared state variables (with a "did you mean"), function names and arity,
and the types of operands where they are known. Errors name the place (`where`, e.g. ``file:line``),
the column and the source.

Grammar (EBNF; keywords are lowercase, ``not in`` is one operator):

    expr       = or_expr ;
    or_expr    = and_expr { "or" and_expr } ;
    and_expr   = not_expr { "and" not_expr } ;
    not_expr   = "not" not_expr | comparison ;
    comparison = sum [ ( "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in" ) sum ] ;
    sum        = product { ( "+" | "-" ) product } ;
    product    = unary { ( "*" | "/" ) unary } ;
    unary      = "-" unary | primary ;
    primary    = NUMBER | STRING | "true" | "false" | "null" | "(" expr ")"
               | "[" [ expr { "," expr } ] "]" | NAME "(" [ expr { "," expr } ] ")" | path ;
    path       = NAME { "." NAME } ;
    NUMBER     = digit { digit } [ "." digit { digit } ] ;      (always a Decimal; no floats, no 1e5)
    STRING     = "'" ... "'" | '"' ... '"' ;                    (escapes: \\ \' \" \n \t)
    NAME       = ASCII letter { ASCII letter | digit | "_" } ;  (never starting with "_")

Semantics, chosen so that a missing fact can never make a risky branch look safe by accident:
- A missing value (absent key, or a path through a missing record) is ``null``.
- ``==`` / ``!=`` never coerce: ``1 == "1"`` and ``true == 1`` are false; ``null == null`` is true.
- ``<`` ``<=`` ``>`` ``>=`` with null are false; between different kinds they are a runtime error.
- ``x in list`` is true when some item ``== x``; ``not in`` is its negation. A null list gives false
  for both (the list is unknown).
- ``and`` / ``or`` short-circuit; their operands (and that of ``not``) must be true, false or null,
  and null counts as false. Arithmetic and functions with a null argument give null.
- Numbers are Decimal (28 significant digits); ``0.1 + 0.2 == 0.3`` holds.
- Dates are calendar dates in India Standard Time (naive datetimes are taken to be IST already).

Function whitelist (the whole of it):
    len(text_or_list)               number of characters or items
    lower(text)                     lowercase text
    contains(text, part)            `part` occurs in `text`
    days_since(date)                calendar days from `date` to today (IST); date, datetime or ISO text
    working_days_since(date)        bank working days after `date` up to and including today
                                    (bot/workflows/rbi.py: Sundays, 2nd and 4th Saturdays are off)
    any_of(list, "field", value)    some record in `list` has `field` == `value` ("field" is a literal)

A runtime problem (``"abc" < 5`` from unexpected data, division by zero, a malformed ISO date) raises
`ExpressionRuntimeError`; the workflow engine treats it as "condition false + escalate". Its message
names kinds, never values, so customer data does not end up in logs.
"""

from __future__ import annotations

import difflib
import operator
import types
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from typing import Any, NoReturn, Union, get_args, get_origin

from bot.workflows.rbi import working_days_between

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "FUNCTIONS",
    "Expression",
    "ExpressionError",
    "ExpressionRuntimeError",
    "compile_expression",
]

MAX_LENGTH = 500  # characters: a condition longer than this belongs in more than one step
MAX_DEPTH = 32  # nesting levels, both while parsing and in the finished tree

# Customers and staff read dates in Indian time whatever the server runs in (IST has no DST).
IST = timezone(timedelta(hours=5, minutes=30), "IST")

# Exact decimal arithmetic; anything that would silently lose meaning raises instead.
_DECIMAL = Context(prec=28, traps=[DivisionByZero, InvalidOperation, Overflow])


# --------------------------------------------------------------------------------------------- errors


def _excerpt(source: str, column: int) -> str:
    # One line, and not the whole of a 5000-character paste.
    flat = source.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    if len(flat) <= 100:
        return flat
    start = max(0, column - 1 - 40)
    end = start + 80
    return ("…" if start else "") + flat[start:end] + ("…" if end < len(flat) else "")


class _ExpressionProblem(ValueError):
    def __init__(self, message: str, source: str, column: int, where: str = "", hint: str = "") -> None:
        self.message = message
        self.source = source
        self.column = column  # 1-based character offset into `source`
        self.where = where
        self.hint = hint
        super().__init__(message, source, column, where, hint)  # keeps the error picklable

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        text = f'{prefix}{self.message} at column {self.column} in "{_excerpt(self.source, self.column)}"'
        return f"{text} ({self.hint})" if self.hint else text


class ExpressionError(_ExpressionProblem):
    """The expression is wrong; raised by `compile_expression`, i.e. when the workflow loads.

    ``str(err)``: ``dispute.yaml:14: unknown variable 'txn.amout' at column 1 in "txn.amout > 5000"
    (did you mean 'txn.amount'?)``
    """


class ExpressionRuntimeError(_ExpressionProblem):
    """The state did not fit the expression (e.g. text where a number was expected).

    The workflow engine treats this as "condition false + escalate". Messages name kinds, never values.
    """


# ----------------------------------------------------------------------------------------- tokenizer


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "num" | "str" | "name" | "kw" | "op" | "end"
    value: Any
    start: int  # 0-based offsets into the source
    end: int


_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}
_PYTHON_SPELLINGS = {"True": "true", "False": "false", "None": "null", "is": "== or !=", "elif": "another step"}
# Python words that have no meaning here: refusing them by name is clearer than a parse error later.
_RESERVED = {
    "lambda", "if", "else", "for", "while", "import", "from", "as", "def", "class", "return", "yield",
    "await", "async", "with", "global", "nonlocal", "del", "pass", "try", "except", "finally", "raise",
    "assert", "break", "continue",
}  # fmt: skip
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ",", ".")
_MISTAKES = {
    "**": "powers are not supported",
    "&&": "use 'and'",
    "||": "use 'or'",
    "=": "use '==' to compare",
    "!": "use 'not'",
    "&": "use 'and'",
    "|": "use 'or'",
    ";": "only one expression is allowed; join conditions with 'and' / 'or'",
    "%": "only + - * / are supported",
}
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}
_DIGITS = "0123456789"


def _is_name_char(c: str, first: bool = False) -> bool:
    return c.isascii() and (c.isalpha() or c == "_" or (not first and c.isdigit()))


def _tokenize(source: str, fail: Callable[..., NoReturn]) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(source)
    while i < n:
        c, start = source[i], i
        if c.isspace():
            i += 1
        elif c in _DIGITS:
            while i < n and source[i] in _DIGITS:
                i += 1
            if i + 1 < n and source[i] == "." and source[i + 1] in _DIGITS:
                i += 1
                while i < n and source[i] in _DIGITS:
                    i += 1
            if i < n and (source[i].isalnum() or source[i] in "_."):
                while i < n and (source[i].isalnum() or source[i] in "_."):
                    i += 1
                fail(f"malformed number '{source[start:i]}'", start, "write numbers like 5000 or 5000.50")
            tokens.append(_Token("num", Decimal(source[start:i]), start, i))
        elif c in "'\"":
            i += 1
            chars = []
            while True:
                if i >= n:
                    fail("unterminated string", start, "close it with the same quote it opens with")
                if source[i] == c:
                    i += 1
                    break
                if source[i] == "\\":
                    escape = source[i + 1] if i + 1 < n else ""
                    if escape not in _ESCAPES or not escape:
                        fail(f"unknown escape '\\{escape}' in a string", i, "use \\\\ \\' \\\" \\n or \\t")
                    chars.append(_ESCAPES[escape])
                    i += 2
                else:
                    chars.append(source[i])
                    i += 1
            tokens.append(_Token("str", "".join(chars), start, i))
        elif _is_name_char(c, first=True):
            while i < n and _is_name_char(source[i]):
                i += 1
            word = source[start:i]
            if word.startswith("_"):
                # Closes off every dunder and private name before anything else looks at it.
                fail(f"names may not start with '_' ('{word}')", start)
            if i < n and source[i] in "'\"":
                fail(f"string prefixes like {word}\"...\" are not supported", start, "write plain quoted text")
            after_dot = bool(tokens) and tokens[-1].value == "." and tokens[-1].kind == "op"
            kind = "name"
            if not after_dot:  # after a dot any name is a field: txn.from, rule.in
                if word in _PYTHON_SPELLINGS:
                    fail(f"unknown word '{word}'", start, f"write {_PYTHON_SPELLINGS[word]}")
                if word in _RESERVED:
                    fail(f"'{word}' is not part of the expression language", start)
                if word in _KEYWORDS:
                    kind = "kw"
            tokens.append(_Token(kind, word, start, i))
        else:
            two = source[i : i + 2]
            # Longest match first, so "!=" is an operator while a lone "!" gets its hint.
            for candidate in (two, c):
                if candidate in _OPERATORS:
                    op = candidate
                    break
                if candidate in _MISTAKES:
                    fail(f"'{candidate}' is not supported", start, _MISTAKES[candidate])
            else:
                fail(f"unexpected character {c!r}", start)
            i += len(op)
            tokens.append(_Token("op", op, start, i))
    tokens.append(_Token("end", None, n, n))
    return tokens


# ------------------------------------------------------------------------------------------ the tree

# Kinds of values, for load-time checks and runtime messages. "any" = not known before runtime.
_A = {
    "number": "a number", "string": "text", "bool": "true/false", "date": "a date", "list": "a list",
    "record": "a record", "null": "null", "any": "any value", "other": "an unsupported value",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Node:
    start: int  # 0-based offsets of the node's text in the source
    end: int
    kind: str
    depth: int


@dataclass(frozen=True, slots=True)
class _Lit(_Node):
    value: Any


@dataclass(frozen=True, slots=True)
class _Var(_Node):
    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _List(_Node):
    items: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Call(_Node):
    name: str
    args: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Unary(_Node):
    op: str  # "not" | "-"
    operand: _Node


@dataclass(frozen=True, slots=True)
class _BoolOp(_Node):
    op: str  # "and" | "or"; n-ary, so a long chain of conditions stays shallow
    parts: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Binary(_Node):
    op: str  # comparison, "in", "not in", or arithmetic
    left: _Node
    right: _Node


@dataclass(frozen=True, slots=True)
class _Function:
    params: tuple[frozenset[str], ...]  # allowed kinds per argument; "any" accepts everything
    returns: str
    doc: str


_TEXT_OR_DATE = frozenset({"date", "string"})
FUNCTIONS: dict[str, _Function] = {
    "len": _Function((frozenset({"string", "list"}),), "number", "number of characters or items"),
    "lower": _Function((frozenset({"string"}),), "string", "lowercase text"),
    "contains": _Function((frozenset({"string"}), frozenset({"string"})), "bool", "part occurs in text"),
    "days_since": _Function((_TEXT_OR_DATE,), "number", "calendar days from a date to today (IST)"),
    "working_days_since": _Function((_TEXT_OR_DATE,), "number", "bank working days after a date up to today"),
    "any_of": _Function(
        (frozenset({"list"}), frozenset({"string"}), frozenset({"any"})),
        "bool",
        "some record in the list has field == value",
    ),
}

_ORDERING = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_COMPARISONS = {"==", "!=", *_ORDERING, "in", "not in"}
_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


# ------------------------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, source: str, where: str, known: dict[str, str]) -> None:
        self.source = source
        self.where = where
        self.known = known  # declared path -> kind, the records on the way included
        self.tokens = _tokenize(source, self.fail_at)
        self.pos = 0
        self.depth = 0
        self.paths: set[str] = set()

    # -- errors

    def fail_at(self, message: str, offset: int, hint: str = "") -> NoReturn:
        raise ExpressionError(message, self.source, offset + 1, self.where, hint)

    def fail(self, message: str, node: _Node | _Token, hint: str = "") -> NoReturn:
        self.fail_at(message, node.start, hint)

    def text(self, node: _Node | _Token) -> str:
        return self.source[node.start : node.end]

    def quote(self, node: _Node) -> str:
        return _quote(self.source, node)

    def describe(self, tok: _Token) -> str:
        return "the end of the expression" if tok.kind == "end" else f"'{self.text(tok)}'"

    # -- tokens

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def at(self, kind: str, value: Any, ahead: int = 0) -> bool:
        tok = self.peek(ahead)
        return tok.kind == kind and tok.value == value

    def advance(self) -> _Token:
        tok = self.peek()
        self.pos += 1
        return tok

    def expect_op(self, value: str, opened: _Token | None = None) -> _Token:
        if not self.at("op", value):
            hint = f"to close the '{opened.value}' at column {opened.start + 1}" if opened else ""
            self.fail(f"expected '{value}' but found {self.describe(self.peek())}", self.peek(), hint)
        return self.advance()

    @contextmanager
    def nested(self, tok: _Token) -> Iterator[None]:
        # Bounds the parser's recursion (and so the Python stack) whatever the input.
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"expression is nested too deeply (more than {MAX_DEPTH} levels)", tok)
        try:
            yield
        finally:
            self.depth -= 1

    def node(self, cls: type[_Node], start: int, end: int, kind: str, **kw: Any) -> Any:
        # Bounds the evaluator's recursion: the finished tree is never deeper than MAX_DEPTH.
        children = [c for v in kw.values() for c in (v if isinstance(v, tuple) else (v,)) if isinstance(c, _Node)]
        depth = 1 + max((c.depth for c in children), default=0)
        if depth > MAX_DEPTH:
            self.fail_at(f"expression is too complex (more than {MAX_DEPTH} nested operations)", start)
        return cls(start, end, kind, depth, **kw)

    # -- load-time kind checks (only where both kinds are known; "any" always passes)

    def need(self, node: _Node, kinds: frozenset[str] | set[str], what: str, hint: str = "") -> None:
        if node.kind in kinds or node.kind == "any" or "any" in kinds:
            return
        wanted = " or ".join(_A[k] for k in sorted(kinds))
        self.fail(f"{what} needs {wanted}, but {self.quote(node)} is {_A[node.kind]}", node, hint)

    def need_truth(self, node: _Node, what: str) -> None:
        self.need(node, {"bool"}, what, "compare it, e.g. x > 0 or x == null")

    # -- grammar

    def parse(self) -> _Node:
        tree = self.expr()
        tok = self.peek()
        if tok.kind != "end":
            hint = "join conditions with 'and' / 'or'" if tok.kind in ("name", "str", "num") else ""
            self.fail(f"unexpected {self.describe(tok)} after a complete expression", tok, hint)
        return tree

    def expr(self) -> _Node:
        with self.nested(self.peek()):
            return self.bool_chain("or", self.and_expr)

    def and_expr(self) -> _Node:
        return self.bool_chain("and", self.not_expr)

    def bool_chain(self, op: str, operand: Callable[[], _Node]) -> _Node:
        parts = [operand()]
        while self.at("kw", op):
            self.advance()
            parts.append(operand())
        if len(parts) == 1:
            return parts[0]
        for part in parts:
            self.need_truth(part, f"'{op}'")
        return self.node(_BoolOp, parts[0].start, parts[-1].end, "bool", op=op, parts=tuple(parts))

    def not_expr(self) -> _Node:
        if not self.at("kw", "not"):
            return self.comparison()
        tok = self.advance()
        with self.nested(tok):
            operand = self.not_expr()
        self.need_truth(operand, "'not'")
        return self.node(_Unary, tok.start, operand.end, "bool", op="not", operand=operand)

    def comparison_op(self) -> str | None:
        tok = self.peek()
        if tok.kind == "op" and tok.value in _COMPARISONS:
            return tok.value
        if self.at("kw", "in"):
            return "in"
        if self.at("kw", "not") and self.at("kw", "in", ahead=1):
            return "not in"
        return None

    def comparison(self) -> _Node:
        left = self.sum()
        op = self.comparison_op()
        if op is None:
            return left
        self.pos += 2 if op == "not in" else 1
        right = self.sum()
        if self.comparison_op() is not None:
            self.fail("comparisons cannot be chained", self.peek(), "join them with 'and'")
        self.check_comparison(op, left, right)
        return self.node(_Binary, left.start, right.end, "bool", op=op, left=left, right=right)

    def check_comparison(self, op: str, left: _Node, right: _Node) -> None:
        definite = {left.kind, right.kind}.isdisjoint({"any", "null"})
        if op in _ORDERING:
            for side in (left, right):
                if side.kind == "null":
                    self.fail(f"'{op}' with null is always false", side, "use == null or != null")
                self.need(side, {"number", "string", "date"}, f"'{op}'")
            if definite and left.kind != right.kind:
                self.fail(f"'{op}' cannot compare {_A[left.kind]} with {_A[right.kind]}", left)
        elif op in ("==", "!="):
            if definite and left.kind != right.kind:
                self.fail(
                    f"{self.quote(left)} is {_A[left.kind]} and {self.quote(right)} is {_A[right.kind]}, "
                    f"so '{op}' is always {'false' if op == '==' else 'true'}",
                    left,
                )
        else:  # in / not in
            self.need(right, {"list"}, f"'{op}'", "to search inside text use contains(text, part)")
            if isinstance(right, _List) and left.kind not in ("any", "null"):
                for item in right.items:
                    if item.kind not in ("any", "null", left.kind):
                        self.fail(
                            f"{self.quote(left)} is {_A[left.kind]} but the list holds {_A[item.kind]}",
                            item,
                        )

    def arithmetic(self, ops: tuple[str, ...], operand: Callable[[], _Node]) -> _Node:
        left = operand()
        while self.peek().kind == "op" and self.peek().value in ops:
            op = self.advance().value
            right = operand()
            for side in (left, right):
                self.need(side, {"number"}, f"'{op}'")
            left = self.node(_Binary, left.start, right.end, "number", op=op, left=left, right=right)
        return left

    def sum(self) -> _Node:
        return self.arithmetic(("+", "-"), self.product)

    def product(self) -> _Node:
        return self.arithmetic(("*", "/"), self.unary)

    def unary(self) -> _Node:
        if not self.at("op", "-"):
            return self.primary()
        tok = self.advance()
        with self.nested(tok):
            operand = self.unary()
        self.need(operand, {"number"}, "'-'")
        if isinstance(operand, _Lit):  # fold -5 into a literal
            return _Lit(tok.start, operand.end, "number", operand.depth, -operand.value)
        return self.node(_Unary, tok.start, operand.end, "number", op="-", operand=operand)

    def primary(self) -> _Node:
        tok = self.peek()
        if tok.kind in ("num", "str"):
            self.advance()
            return _Lit(tok.start, tok.end, "number" if tok.kind == "num" else "string", 1, tok.value)
        if tok.kind == "kw" and tok.value in ("true", "false", "null"):
            self.advance()
            value = {"true": True, "false": False, "null": None}[tok.value]
            return _Lit(tok.start, tok.end, "null" if value is None else "bool", 1, value)
        if self.at("op", "("):
            self.advance()
            inner = self.expr()
            close = self.expect_op(")", tok)
            # Keep the parentheses in the node's text, so messages quote what was written.
            return type(inner)(**{**_fields(inner), "start": tok.start, "end": close.end})
        if self.at("op", "["):
            self.advance()
            items = self.comma_list("]")
            close = self.expect_op("]", tok)
            return self.node(_List, tok.start, close.end, "list", items=items)
        if tok.kind == "name":
            if self.at("op", "(", ahead=1):
                return self.call()
            return self.path()
        self.fail(f"expected a value but found {self.describe(tok)}", tok)

    def comma_list(self, closer: str) -> tuple[_Node, ...]:
        items: list[_Node] = []
        if self.at("op", closer):
            return ()
        items.append(self.expr())
        while self.at("op", ","):
            self.advance()
            items.append(self.expr())
        return tuple(items)

    def call(self) -> _Node:
        name_tok = self.advance()
        name = name_tok.value
        function = FUNCTIONS.get(name)
        if function is None:
            close = difflib.get_close_matches(name, FUNCTIONS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "available functions: " + ", ".join(FUNCTIONS)
            self.fail(f"unknown function '{name}'", name_tok, hint)
        opened = self.advance()
        args = self.comma_list(")")
        close = self.expect_op(")", opened)
        if len(args) != len(function.params):
            count = len(function.params)
            self.fail(
                f"{name}() takes {count} argument{'s' if count != 1 else ''}, got {len(args)}", name_tok
            )
        for position, (arg, kinds) in enumerate(zip(args, function.params), start=1):
            self.need(arg, kinds, f"argument {position} of {name}()")
        if name == "any_of":
            field = args[1]
            if not isinstance(field, _Lit) or not _is_field_name(field.value):
                self.fail("the field name of any_of() must be a quoted name like \"status\"", field)
        return self.node(_Call, name_tok.start, close.end, function.returns, name=name, args=args)

    def path(self) -> _Node:
        first = self.advance()
        segments, end = [first.value], first.end
        while self.at("op", "."):
            self.advance()
            tok = self.peek()
            if tok.kind != "name":
                self.fail(f"expected a field name after '.' but found {self.describe(tok)}", tok)
            self.advance()
            segments.append(tok.value)
            end = tok.end
        text = ".".join(segments)
        if text not in self.known:
            close = difflib.get_close_matches(text, self.known, n=1, cutoff=0.6)
            if close:
                hint = f"did you mean '{close[0]}'?"
            elif 0 < len(self.known) <= 8:
                hint = "known variables: " + ", ".join(sorted(self.known))
            else:
                hint = ""
            self.fail(f"unknown variable '{text}'", first, hint)
        self.paths.add(text)
        return _Var(first.start, end, self.known[text], 1, tuple(segments))


def _quote(source: str, node: _Node) -> str:
    text = source[node.start : node.end]
    already_quoted = len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0]  # "abc" stays "abc"
    return text if already_quoted else f"'{text}'"


def _fields(node: _Node) -> dict[str, Any]:
    return {f.name: getattr(node, f.name) for f in fields(node)}


def _is_field_name(value: Any) -> bool:
    return isinstance(value, str) and value.isascii() and value.isidentifier() and not value.startswith("_")


# ----------------------------------------------------------------------------- declared variables

_KIND_NAMES = {
    "number": "number", "decimal": "number", "int": "number", "integer": "number",
    "string": "string", "str": "string", "text": "string", "bool": "bool", "boolean": "bool",
    "date": "date", "datetime": "date", "list": "list", "record": "record", "any": "any",
}  # fmt: skip


def _kind_of_spec(spec: Any) -> str:
    """A declared type (``Decimal``, ``str``, ``list[str]``, ``date | None``, "number", ...) -> kind."""
    if spec is None or spec is Any:
        return "any"
    if isinstance(spec, str):
        if spec.lower() not in _KIND_NAMES:
            raise ValueError(f"unknown variable type {spec!r}; use one of {sorted(set(_KIND_NAMES))}")
        return _KIND_NAMES[spec.lower()]
    origin = get_origin(spec)
    if origin in (Union, types.UnionType):
        arms = [a for a in get_args(spec) if a is not type(None)]
        return _kind_of_spec(arms[0]) if len(arms) == 1 else "any"
    if origin is not None:
        spec = origin
    if isinstance(spec, type):
        for kind, bases in (
            ("bool", (bool,)),
            ("number", (int, float, Decimal)),
            ("string", (str,)),
            ("date", (date,)),
            ("list", (list, tuple, set, frozenset)),
            ("record", (Mapping,)),
        ):
            if issubclass(spec, bases):
                return kind
        if is_dataclass(spec):
            return "record"
    return "any"


def _declared(variables: Mapping[str, Any] | set[str] | frozenset[str]) -> dict[str, str]:
    if isinstance(variables, Mapping):
        items = [(path, _kind_of_spec(spec)) for path, spec in variables.items()]
    elif isinstance(variables, (set, frozenset, list, tuple)):
        items = [(path, "any") for path in variables]
    else:
        raise TypeError(f"variables must be a mapping of path -> type or a set of paths, not {type(variables)}")
    known: dict[str, str] = {}
    for path, kind in items:
        segments = path.split(".") if isinstance(path, str) else [""]
        if not all(_is_field_name(s) for s in segments):
            raise ValueError(f"invalid variable path {path!r}")
        known[path] = kind
    # The records on the way to a declared path may be read too: `txn == null` = "not found".
    for path in list(known):
        segments = path.split(".")
        for i in range(1, len(segments)):
            known.setdefault(".".join(segments[:i]), "record")
    return known


# -------------------------------------------------------------------------------------- evaluation


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, date):
        return "date"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "list"
    if isinstance(value, Mapping) or (is_dataclass(value) and not isinstance(value, type)):
        return "record"
    return "other"


def _field(record: Any, name: str) -> Any:
    # The only ways into state: Mapping keys and declared dataclass fields. Never getattr on a
    # name the state's class merely happens to have (methods, properties, dunders).
    if isinstance(record, Mapping):
        return record.get(name)
    if any(f.name == name for f in fields(record)):
        return getattr(record, name)
    return None


def _weekdays_through(day: date) -> int:
    # Mon-Fri days from 0001-01-01 (a Monday) through `day`, in O(1). Bank holidays are NOT
    # excluded: there is no holiday calendar yet, so this can only under-count the days left.
    elapsed = day.toordinal() - 1
    return elapsed // 7 * 5 + min(elapsed % 7 + 1, 5)


def _ist(moment: datetime) -> datetime:
    return moment.replace(tzinfo=IST) if moment.tzinfo is None else moment.astimezone(IST)


class _Evaluation:
    def __init__(self, expression: Expression, state: Mapping[str, Any], today: date) -> None:
        self.expression = expression
        self.state = state
        self.today = today

    def fail(self, message: str, node: _Node) -> NoReturn:
        e = self.expression
        raise ExpressionRuntimeError(message, e.source, node.start + 1, e.where)

    def quote(self, node: _Node) -> str:
        return _quote(self.expression.source, node)

    def number(self, value: Any, node: _Node, what: str) -> Decimal:
        kind = _kind(value)
        if kind != "number":
            self.fail(f"{what} needs a number, but {self.quote(node)} is {_A[kind]}", node)
        if isinstance(value, float):
            value = Decimal(repr(value))  # the float's shortest decimal spelling, not its binary noise
        value = Decimal(value)
        if not value.is_finite():
            self.fail(f"{self.quote(node)} is not a finite number", node)
        return value

    def truth(self, node: _Node) -> bool:
        value = self.compute(node)
        if value is None:
            return False  # unknown is not "yes"
        if not isinstance(value, bool):
            self.fail(f"{self.quote(node)} is {_A[_kind(value)]}, not true/false", node)
        return value

    def to_date(self, value: Any, node: _Node) -> date:
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
            except ValueError:
                self.fail(f"{self.quote(node)} is not an ISO date like 2024-05-31", node)
        if isinstance(value, datetime):
            return _ist(value).date()
        return value

    def equal(self, a: Any, b: Any) -> bool:
        ka, kb = _kind(a), _kind(b)
        if ka != kb:
            return False  # no coercion: 1 != "1", true != 1, null only equals null
        if ka == "number":
            return self.plain_number(a) == self.plain_number(b)
        if ka == "date":
            a, b = self.comparable_dates(a, b)  # consistent with < and >
        return a == b

    @staticmethod
    def plain_number(value: Any) -> Decimal:
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)

    def compute(self, node: _Node) -> Any:
        match node:
            case _Lit():
                return node.value
            case _Var():
                return self.lookup(node)
            case _List():
                return [self.compute(item) for item in node.items]
            case _BoolOp(op="and"):
                return all(self.truth(part) for part in node.parts)  # all()/any() stop early
            case _BoolOp(op="or"):
                return any(self.truth(part) for part in node.parts)
            case _Unary(op="not"):
                return not self.truth(node.operand)
            case _Unary(op="-"):
                value = self.compute(node.operand)
                return None if value is None else -self.number(value, node.operand, "'-'")
            case _Binary(op=op) if op in _ARITHMETIC:
                return self.arithmetic(node)
            case _Binary():
                return self.compare(node)
            case _Call():
                return self.call(node)
        raise AssertionError(f"unknown node {node!r}")

    def lookup(self, node: _Var) -> Any:
        value: Any = self.state
        for i, segment in enumerate(node.path):
            if value is None:
                return None
            if _kind(value) != "record":
                prefix = ".".join(node.path[:i])
                self.fail(f"'{prefix}' is {_A[_kind(value)]}, so it has no field '{segment}'", node)
            value = _field(value, segment)
        if _kind(value) == "number":  # one numeric type inside: Decimal (a float via its shortest spelling)
            value = self.number(value, node, "a value")
        return value

    def arithmetic(self, node: _Binary) -> Any:
        left, right = self.compute(node.left), self.compute(node.right)
        if left is None or right is None:
            return None
        a = self.number(left, node.left, f"'{node.op}'")
        b = self.number(right, node.right, f"'{node.op}'")
        if node.op == "/" and b == 0:
            self.fail("division by zero", node.right)
        return _ARITHMETIC[node.op](a, b)

    def compare(self, node: _Binary) -> bool:
        op, left = node.op, self.compute(node.left)
        right = self.compute(node.right)
        if op == "==":
            return self.equal(left, right)
        if op == "!=":
            return not self.equal(left, right)
        if op in ("in", "not in"):
            if right is None:
                return False  # the list itself is unknown: neither "in" nor "not in" is known to hold
            if _kind(right) != "list":
                self.fail(f"'{op}' needs a list, but {self.quote(node.right)} is {_A[_kind(right)]}", node.right)
            found = any(self.equal(left, item) for item in right)
            return found if op == "in" else not found
        ka, kb = _kind(left), _kind(right)
        if "null" in (ka, kb):
            return False
        if ka != kb or ka not in ("number", "string", "date"):
            self.fail(f"'{op}' cannot compare {_A[ka]} ({self.quote(node.left)}) with {_A[kb]}", node)
        if ka == "number":
            left, right = self.plain_number(left), self.plain_number(right)
        elif ka == "date":
            left, right = self.comparable_dates(left, right)
        return _ORDERING[op](left, right)

    @staticmethod
    def comparable_dates(a: date, b: date) -> tuple[date, date]:
        if isinstance(a, datetime) and isinstance(b, datetime):
            return _ist(a), _ist(b)
        # A date against a datetime: compare calendar days in IST.
        return (_ist(a).date() if isinstance(a, datetime) else a, _ist(b).date() if isinstance(b, datetime) else b)

    def call(self, node: _Call) -> Any:
        function = FUNCTIONS[node.name]
        args = [self.compute(arg) for arg in node.args]
        for position, (arg, value, kinds) in enumerate(zip(node.args, args, function.params), start=1):
            if "any" in kinds:
                continue
            if value is None:
                return None
            if _kind(value) not in kinds:
                wanted = " or ".join(_A[k] for k in sorted(kinds))
                what = f"argument {position} of {node.name}()"
                self.fail(f"{what} needs {wanted}, but {self.quote(arg)} is {_A[_kind(value)]}", arg)
        match node.name:
            case "len":
                return Decimal(len(args[0]))
            case "lower":
                return args[0].lower()
            case "contains":
                return args[1] in args[0]
            case "days_since":
                return Decimal((self.today - self.to_date(args[0], node.args[0])).days)
            case "working_days_since":
                then = self.to_date(args[0], node.args[0])
                # The bank's working days (RBI's clocks): no Sundays, no 2nd/4th Saturdays.
                if then >= self.today:
                    return Decimal(-working_days_between(self.today, then))
                return Decimal(working_days_between(then, self.today))
            case "any_of":
                items, name, wanted = args
                for item in items:  # bounded by the data, not by the expression
                    if _kind(item) != "record":
                        self.fail(f"any_of() needs a list of records, but an item is {_A[_kind(item)]}", node)
                    if self.equal(_field(item, name), wanted):
                        return True
                return False
        raise AssertionError(f"unknown function {node.name}")


# --------------------------------------------------------------------------------------------- API


class Expression:
    """A compiled condition. Immutable and safe to share between conversations and threads."""

    __slots__ = ("source", "where", "variables", "kind", "_tree")

    def __init__(self, source: str, where: str, tree: _Node, variables: frozenset[str]) -> None:
        self.source = source
        self.where = where
        self.variables = variables  # the dotted paths the expression reads
        self.kind = tree.kind  # result kind known at load time: "bool", "number", ..., or "any"
        self._tree = tree

    def evaluate(self, state: Mapping[str, Any], *, now: datetime | date | None = None) -> Any:
        """Evaluate against `state`. `now` (a datetime or a date) is the clock for days_since and
        working_days_since; by default the current time. Raises ExpressionRuntimeError."""
        if not isinstance(state, Mapping):
            raise TypeError(f"state must be a mapping, not {type(state).__name__}")
        if now is None:
            today = datetime.now(IST).date()
        elif isinstance(now, datetime):
            today = _ist(now).date()
        else:
            today = now
        evaluation = _Evaluation(self, state, today)
        try:
            with localcontext(_DECIMAL):  # exact, trapping arithmetic whatever the thread's context
                return evaluation.compute(self._tree)
        except ExpressionRuntimeError:
            raise
        except (TypeError, ValueError, ArithmeticError) as exc:
            # A safety net for a case the checks above missed: still a clean runtime error.
            raise ExpressionRuntimeError(
                f"cannot evaluate ({type(exc).__name__})", self.source, 1, self.where
            ) from exc

    def test(self, state: Mapping[str, Any], *, now: datetime | date | None = None) -> bool:
        """Evaluate as a condition: true/false, with null (unknown) counting as false."""
        value = self.evaluate(state, now=now)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise ExpressionRuntimeError(
                f"a condition must be true or false, but this is {_A[_kind(value)]}", self.source, 1, self.where
            )
        return value

    def __repr__(self) -> str:
        return f"Expression({self.source!r}, where={self.where!r})"


def compile_expression(
    source: str,
    *,
    variables: Mapping[str, Any] | set[str] | frozenset[str],
    where: str = "",
    boolean: bool = False,
) -> Expression:
    """Parse and check `source`; raise ExpressionError naming `where`, the column and the problem.

    `variables` declares the state paths the expression may read: a set of dotted paths, or a
    mapping of path -> type (``Decimal``, ``str``, ``bool``, ``date``, ``list[str]``, ``X | None``,
    or a name: "number", "string", "bool", "date", "list", "record", "any"); known types let more
    mistakes surface at load time (``txn.amount == "5000"``). The records on the way to a declared
    path are readable too (``txn == null``). `boolean=True` requires a true/false result, as a
    `conditional` step does.
    """
    known = _declared(variables)
    if not isinstance(source, str):
        # YAML turns `if: true` or `if: 5` into a bool or an int; say so plainly.
        message = f"expected an expression as text, got {type(source).__name__}"
        raise ExpressionError(message, str(source), 1, where)
    if len(source) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is too long ({len(source)} characters, at most {MAX_LENGTH})",
            source,
            MAX_LENGTH + 1,
            where,
            "split it into several conditional steps",
        )
    if not source.strip():
        raise ExpressionError("empty expression", source, 1, where)
    parser = _Parser(source, where, known)
    tree = parser.parse()
    if boolean and tree.kind not in ("bool", "any"):
        raise ExpressionError(
            f"a condition must be true or false, but this expression is {_A[tree.kind]}",
            source,
            tree.start + 1,
            where,
            "compare it, e.g. x > 0",
        )
    return Expression(source, where, tree, frozenset(parser.paths))
