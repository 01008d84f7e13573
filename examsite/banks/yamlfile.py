"""YAML with line numbers: every mapping remembers where it and each of its keys stand."""

from __future__ import annotations

from pathlib import Path

import yaml


class LineDict(dict):
    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class YamlError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int):
            raise YamlError(key_node.start_mark.line + 1, f"a key must be text, not {key!r}")
        key = str(key)
        if key in mapping:
            raise YamlError(key_node.start_mark.line + 1, f"duplicate key {key!r}")
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> object:
    """Parse a YAML file; raise YamlError with the line of the first problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(1, f"not UTF-8 text ({exc.reason})") from exc
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except YamlError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlError(line, f"YAML syntax: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise YamlError(1, f"YAML: {exc}") from exc


def line_for_path(document: object, path) -> int:
    """The line of the deepest mapping key on a JSON-Schema error path."""
    line = getattr(document, "line", 1) or 1
    node = document
    for part in path:
        if isinstance(node, LineDict):
            line = node.line_of(str(part)) if part in node else node.line
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    return line
