"""Split a content file into its front matter and body, keeping line numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml


class FrontMatterError(ValueError):
    """The front matter cannot be read; ``line`` is 1-based in the file."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class ParsedFile:
    """Front matter values, the line of each top-level key, and the body."""

    data: dict[str, Any]
    body: str
    body_line: int
    key_lines: dict[str, int] = field(default_factory=dict)


#: Front matter is a handful of keys: more than this is a mistake, or an attack.
MAX_FRONT_MATTER_CHARACTERS = 64 * 1024
#: How deep lists and mappings may nest (questions with choices need 4).
MAX_NESTING = 12


class _FrontMatterLoader(yaml.SafeLoader):
    """SafeLoader that keeps numbers and timestamps as the text written, and
    refuses what could exhaust a server: aliases (``*name``, the "billion
    laughs") and nesting deeper than MAX_NESTING.

    Hugo front matter is edited by hand and by CMSes: ``leverId: 0000000000``
    must not become the octal number 0, ``translationKey: 2`` is a key, and the
    four date formats of the real site are parsed by the loader, not by YAML.
    """

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in front matter", self.peek_event().start_mark
            )
        if self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
            self._depth += 1
            if self._depth > MAX_NESTING:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"lists and mappings nested more than {MAX_NESTING} levels deep",
                    self.peek_event().start_mark,
                )
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        return super().compose_node(parent, index)


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _FastFrontMatterLoader(yaml.CSafeLoader):
    """The same loader on libyaml's parser, ten times faster. It cannot refuse
    aliases or deep nesting while composing, so ``_parse_yaml`` checks the
    composed nodes and reads anything doubtful again with the Python loader,
    which says what is wrong with the same message and line."""


_FastFrontMatterLoader.yaml_implicit_resolvers = _FrontMatterLoader.yaml_implicit_resolvers


def parse(text: str) -> ParsedFile:
    """Parse ``text`` (a whole content file) into front matter and body.

    Raises FrontMatterError with the line of the problem.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines(keepends=True)
    if not text.strip():
        raise FrontMatterError("empty file", 1)
    opening = lines[0].strip()
    if opening == "+++":
        raise FrontMatterError("TOML front matter is not supported: use YAML between '---' lines", 1)
    if opening != "---":
        raise FrontMatterError("no front matter: the file must start with a '---' line", 1)
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            break
    else:
        raise FrontMatterError("front matter is not closed: no '---' line after line 1", 1)
    source = "".join(lines[1:index])
    if len(source) > MAX_FRONT_MATTER_CHARACTERS:
        raise FrontMatterError(f"front matter is longer than {MAX_FRONT_MATTER_CHARACTERS // 1024} KB", 2)
    body = "".join(lines[index + 1 :])
    body_line = index + 2
    data, key_lines = _parse_yaml(source)
    return ParsedFile(data=data, body=body, body_line=body_line, key_lines=key_lines)


def _parse_yaml(source: str) -> tuple[dict[str, Any], dict[str, int]]:
    # The YAML starts on line 2 of the file; marks are 0-based.
    offset = 2
    fast = _read_fast(source)
    if fast is not None:
        data, node = fast
        return _checked(data, node, offset)
    loader = None
    try:
        loader = _FrontMatterLoader(source)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        # For a key left without its colon the useful place is where the key
        # starts (the context), not where the scanner gave up.
        if error.context == "while scanning a simple key" and error.context_mark:
            mark = error.context_mark
        else:
            mark = error.problem_mark or error.context_mark
        line = mark.line + offset if mark else offset
        problem = error.problem or error.context or "syntax error"
        raise FrontMatterError(f"invalid YAML front matter: {problem}", line) from None
    except yaml.reader.ReaderError as error:
        line = source.count("\n", 0, error.position) + offset
        code = error.character if isinstance(error.character, int) else ord(error.character)
        raise FrontMatterError(
            f"invalid YAML front matter: control character U+{code:04X} is not allowed", line
        ) from None
    except yaml.YAMLError as error:
        raise FrontMatterError(f"invalid YAML front matter: {error}", offset) from None
    finally:
        if loader is not None:
            loader.dispose()
    return _checked(data, node, offset)


def _read_fast(source: str) -> tuple[Any, yaml.Node | None] | None:
    """Read ``source`` with libyaml; None if it is not plainly fine (then the
    Python loader reads it again and names the problem)."""
    if not yaml.__with_libyaml__:
        return None
    loader = _FastFrontMatterLoader(source)
    try:
        node = loader.get_single_node()
        return (_plain_value(node, 0, set()) if node is not None else None), node
    except (yaml.YAMLError, _NotPlain):
        return None
    finally:
        loader.dispose()


class _NotPlain(Exception):
    """A node the plain reading leaves to the Python loader."""


_STR, _BOOL, _NULL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"
_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_BOOLEANS = yaml.SafeLoader.bool_values


def _plain_value(node: yaml.Node, depth: int, seen: set[int]) -> Any:
    """The value of ``node`` as the Python loader makes it (text, true or
    false, null, lists and mappings of them), without the loader's per-node
    machinery; _NotPlain for an alias (a node reached twice), nesting deeper
    than MAX_NESTING or anything else (explicit tags, merge keys)."""
    if id(node) in seen:
        raise _NotPlain
    seen.add(id(node))
    tag = node.tag
    if tag == _STR:
        return node.value
    if tag == _BOOL:
        return _BOOLEANS[node.value.lower()]
    if tag == _NULL:
        return None
    if depth >= MAX_NESTING:
        raise _NotPlain
    if tag == _SEQ and isinstance(node, yaml.SequenceNode):
        return [_plain_value(child, depth + 1, seen) for child in node.value]
    if tag == _MAP and isinstance(node, yaml.MappingNode):
        mapping = {}
        for key_node, value_node in node.value:
            key = _plain_value(key_node, depth + 1, seen)
            if not isinstance(key, (str, bool)) and key is not None:
                raise _NotPlain  # a list or mapping as a key: the Python loader refuses it
            mapping[key] = _plain_value(value_node, depth + 1, seen)
        return mapping
    raise _NotPlain


def _checked(data: Any, node: yaml.Node | None, offset: int) -> tuple[dict[str, Any], dict[str, int]]:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError("front matter is not a mapping of keys to values", offset)
    key_lines = {
        str(key_node.value): key_node.start_mark.line + offset
        for key_node, _ in getattr(node, "value", ())
        if isinstance(key_node, yaml.ScalarNode)
    }
    return {str(key): value for key, value in data.items()}, key_lines
