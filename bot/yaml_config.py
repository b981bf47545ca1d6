"""Load a YAML file into a pydantic model, with errors that name the file, the line and the field.

    >>> load_yaml_model("personalities/general.yaml", Persona)
    ConfigError: personalities/general.yaml:14: escalation.max_otp_failures: Input should be a valid integer

The file is parsed with PyYAML's SafeLoader only. While composing, the start line (1-based) of every
mapping key and sequence item is recorded by its path (``("workflows", 2, "name")``), so a pydantic
error ``loc`` can be mapped to the line of the deepest key that exists in the file. A missing
required field points at the line of the mapping it should have been in.

Beyond what PyYAML checks, a duplicate key in a mapping is an error (PyYAML silently keeps the last
one), as are recursive aliases and alias "bombs" that expand to an absurd number of nodes.
Merge keys (``<<: *defaults``) work as in PyYAML; explicit keys win over merged ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "ConfigError",
    "Lines",
    "load_yaml_model",
    "load_yaml_mapping_with_lines",
    "parse_yaml_mapping_with_lines",
    "validate_mapping_with_lines",
    "line_for",
    "format_field",
]

M = TypeVar("M", bound=BaseModel)

# Path of a key or item inside the document -> its 1-based line. () is the top-level mapping.
Lines = dict[tuple[Any, ...], int]

MAX_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"


class ConfigError(Exception):
    """A configuration file is wrong. `str(err)` is ``path:line: field: message``.

    `line` is 1-based, or None when there is no line to point at (unreadable or empty file).
    `field` is dotted (``escalation.max_otp_failures``, ``workflows[2].name``), "" for the file as a
    whole. `errors` lists every problem found (a single error lists itself); for several, `str(err)`
    shows one per line, and `line`/`field`/`message` are those of the first.
    """

    def __init__(
        self,
        path: str | Path,
        line: int | None,
        field: str,
        message: str,
        errors: list[ConfigError] | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.message = message
        self.errors: list[ConfigError] = list(errors) if errors else [self]
        super().__init__(self._text())

    @classmethod
    def combine(cls, errors: list[ConfigError]) -> ConfigError:
        """One error for every problem found (at least one): itself when alone, else one listing all,
        with the first one's place."""
        first = errors[0]
        return first if len(errors) == 1 else cls(first.path, first.line, first.field, first.message, errors)

    def _one_line(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"

    def _text(self) -> str:
        if len(self.errors) == 1 and self.errors[0] is self:
            return self._one_line()
        return "\n".join(e._one_line() for e in self.errors)

    def __str__(self) -> str:
        return self._text()

    def __reduce__(self):  # keep it picklable (process pools, multiprocessing logs)
        return (_rebuild_config_error, (self.path, self.line, self.field, self.message, self._others()))

    def _others(self) -> list[tuple[str, int | None, str, str]] | None:
        if len(self.errors) == 1 and self.errors[0] is self:
            return None
        return [(e.path, e.line, e.field, e.message) for e in self.errors]


def _rebuild_config_error(path, line, field, message, others) -> ConfigError:
    errors = [ConfigError(*o) for o in others] if others else None
    return ConfigError(path, line, field, message, errors)


# --------------------------------------------------------------------------- reading + line map


def load_yaml_mapping_with_lines(
    path: Path | str, *, max_bytes: int = MAX_BYTES
) -> tuple[dict[Any, Any], Lines]:
    """Read and parse a YAML file whose top level is a mapping; return it with its line map."""
    shown = str(path)
    try:
        with open(path, "rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as e:
        raise ConfigError(shown, None, "", f"cannot read file: {e.strerror or e}") from e
    if len(raw) > max_bytes:
        raise ConfigError(shown, None, "", f"file is larger than {max_bytes} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ConfigError(shown, line, "", "file is not valid UTF-8") from e
    return parse_yaml_mapping_with_lines(text, shown)


def parse_yaml_mapping_with_lines(text: str, path: Path | str = "<string>") -> tuple[dict[Any, Any], Lines]:
    """Like `load_yaml_mapping_with_lines`, for YAML text already in hand (`path` is for messages)."""
    shown = str(path)
    # libyaml's C parser when PyYAML was built with it (10x faster; same nodes, same marks).
    loader = _SAFE_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL_TAG):
            raise ConfigError(shown, None, "", "file is empty (expected a mapping of settings)")
        if not isinstance(node, MappingNode):
            raise ConfigError(
                shown, _line(node), "", f"the top level must be a mapping, found {_describe(node)}"
            )
        _check_size(node, shown)
        lines: Lines = {(): _line(node)}
        _Walker(loader, shown, lines).walk(node, ())
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        raise _syntax_error(shown, e) from e
    except yaml.YAMLError as e:
        raise ConfigError(shown, None, "", f"YAML error: {e}") from e
    finally:
        loader.dispose()
    return data, lines


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _describe(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, ScalarNode):
        return f"a single value ({node.value[:40]!r})" if node.value else "a single empty value"
    return "something else"


def _syntax_error(path: str, e: yaml.MarkedYAMLError) -> ConfigError:
    mark = e.problem_mark or e.context_mark
    context = e.context
    if context and e.context_mark is not None and mark is not None and e.context_mark.line != mark.line:
        context += f" started on line {e.context_mark.line + 1}"
    message = "; ".join(p for p in (context, e.problem) if p) or "invalid YAML"
    if mark is not None:
        message += f" (column {mark.column + 1})"
    what = "YAML error" if isinstance(e, yaml.constructor.ConstructorError) else "YAML syntax error"
    return ConfigError(path, None if mark is None else mark.line + 1, "", f"{what}: {message}")


def _check_size(root: Node, path: str) -> None:
    """Refuse recursive aliases and documents that aliases blow up past MAX_NODES nodes."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise ConfigError(path, _line(node), "", "recursive alias: a node contains itself")
        active.add(key)
        total = 1
        if isinstance(node, MappingNode):
            for k, v in node.value:
                total += size(k) + size(v)
                if total > MAX_NODES:
                    break
        elif isinstance(node, SequenceNode):
            for item in node.value:
                total += size(item)
                if total > MAX_NODES:
                    break
        active.discard(key)
        if total > MAX_NODES:
            raise ConfigError(
                path, _line(node), "", f"document expands to more than {MAX_NODES} values (alias bomb?)"
            )
        sizes[key] = total
        return total

    size(root)


class _Walker:
    """Records the line of every key and item by path; rejects duplicate keys."""

    def __init__(self, loader: yaml.SafeLoader, path: str, lines: Lines) -> None:
        self.loader = loader
        self.path = path
        self.lines = lines
        self.seen: set[int] = set()  # nodes already walked: an alias is not walked again

    def walk(self, node: Node, at: tuple[Any, ...]) -> None:
        if id(node) in self.seen:
            return
        self.seen.add(id(node))
        if isinstance(node, MappingNode):
            for key, key_node, value_node in self.pairs(node, at):
                self.lines.setdefault(at + (key,), _line(key_node))
                self.walk(value_node, at + (key,))
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                self.lines[at + (i,)] = _line(item)
                self.walk(item, at + (i,))

    def pairs(self, node: MappingNode, at: tuple[Any, ...]) -> list[tuple[Any, Node, Node]]:
        """The (key, key node, value node) pairs in effect, merge keys applied."""
        explicit: list[tuple[Any, Node, Node]] = []
        where: dict[Any, int] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            key = self.loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise ConfigError(
                    self.path, _line(key_node), format_field(at), "a mapping key must be a plain value"
                ) from None
            if key in where:
                raise ConfigError(
                    self.path,
                    _line(key_node),
                    format_field(at + (key,)),
                    f"duplicate key {key!r} (first defined on line {where[key]})",
                )
            where[key] = _line(key_node)
            explicit.append((key, key_node, value_node))
        if not merges:
            return explicit
        result = list(explicit)
        present = set(where)
        # As PyYAML merges: explicit keys win; among merged mappings, the earlier one wins.
        for merge_node in merges:
            sources = merge_node.value if isinstance(merge_node, SequenceNode) else [merge_node]
            for source in sources:
                if not isinstance(source, MappingNode):
                    continue  # PyYAML itself reports this while constructing
                for key, key_node, value_node in self.pairs(source, at):
                    if key not in present:
                        present.add(key)
                        result.append((key, key_node, value_node))
        return result


# --------------------------------------------------------------------------- validation


def load_yaml_model(path: Path | str, model: type[M], *, context: Any = None) -> M:
    """Read `path` and validate it as `model`; every problem raises ConfigError."""
    data, lines = load_yaml_mapping_with_lines(path)
    return validate_mapping_with_lines(data, lines, model, path, context=context)


def validate_mapping_with_lines(
    data: Mapping[Any, Any], node_lines: Lines, model: type[M], path: Path | str, *, context: Any = None
) -> M:
    """Validate `data` (as parsed from `path`, with its line map) into `model`."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as e:
        raise config_error_from_validation(e, data, node_lines, path) from None


def config_error_from_validation(
    error: ValidationError, data: Any, node_lines: Lines, path: Path | str
) -> ConfigError:
    """Translate a pydantic ValidationError into a ConfigError listing every problem by line."""
    errors: list[ConfigError] = []
    for item in error.errors(include_url=False):
        loc = tuple(item.get("loc", ()))
        kind = item.get("type", "")
        field_loc = _data_loc(data, loc, kind)
        message = item.get("msg", "invalid value")
        if kind == "missing" and field_loc:
            message = f"missing required field {field_loc[-1]!r}"
            line = line_for(node_lines, field_loc[:-1])
        elif kind == "extra_forbidden" and field_loc:
            message = f"unknown field {field_loc[-1]!r} ({message.lower()})"
            line = line_for(node_lines, field_loc)
        else:
            line = line_for(node_lines, field_loc)
        errors.append(ConfigError(path, line, format_field(field_loc), message))
    errors.sort(key=lambda e: (e.line is None, e.line or 0))
    return ConfigError.combine(errors)


def _data_loc(data: Any, loc: tuple[Any, ...], kind: str) -> tuple[Any, ...]:
    """`loc` without pydantic's own steps (union members, validator names) that are not in the data."""
    out: list[Any] = []
    current = data
    last = len(loc) - 1
    for n, part in enumerate(loc):
        if isinstance(current, Mapping) and _has_key(current, part):
            out.append(part)
            current = current[part]
        elif isinstance(current, (list, tuple)) and isinstance(part, int) and -len(current) <= part < len(current):
            out.append(part)
            current = current[part]
        elif n == last and (kind in ("missing", "extra_forbidden") or isinstance(current, Mapping)):
            out.append(part)  # the missing field itself
        # else: a step pydantic adds (e.g. "int" or "function-after[...]" in a union) -- skip it
    return tuple(out)


def _has_key(mapping: Mapping[Any, Any], key: Any) -> bool:
    try:
        return key in mapping
    except TypeError:
        return False


def line_for(node_lines: Lines, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest prefix of `loc` that exists in the file."""
    for n in range(len(loc), -1, -1):
        line = node_lines.get(tuple(loc[:n]))
        if line is not None:
            return line
    return None


def format_field(loc: tuple[Any, ...]) -> str:
    """("workflows", 2, "name") -> "workflows[2].name"."""
    out = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
