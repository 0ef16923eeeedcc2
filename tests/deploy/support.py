"""Helpers for the deployment-file tests: repository paths, YAML loading, Compose variable interpolation."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE_DIR = DEPLOY / "compose"
KUBERNETES_DIR = DEPLOY / "kubernetes"
SYSTEMD_DIR = DEPLOY / "systemd"
SCHEMAS = Path(__file__).resolve().parent / "schemas"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_all_yaml(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def read_env_file(path: Path) -> dict[str, str]:
    """A Compose `.env` file: KEY=VALUE lines, `#` comments, no quoting used in ours."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"{path.name}: not KEY=VALUE: {line!r}"
            values[key.strip()] = value.strip()
    return values


def _closing_brace(text: str, opening: int) -> int:
    """Index of the `}` closing the `{` at `opening` (defaults may hold braces, e.g. `${X:-{}}`)."""
    depth = 0
    for i in range(opening, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f"unterminated ${{ in {text!r}")


def _expand(expression: str, env: Mapping[str, str]) -> str:
    match = _NAME.match(expression)
    if match is None:
        raise ValueError(f"bad variable expression ${{{expression}}}")
    name, rest = match.group(), expression[match.end() :]
    value = env.get(name)
    if rest.startswith(":-"):
        return value if value else interpolate(rest[2:], env)
    if rest.startswith("-"):
        return value if value is not None else interpolate(rest[1:], env)
    if rest.startswith(":?"):
        if not value:
            raise KeyError(f"{name}: {rest[2:]}")
        return value
    if rest:
        raise ValueError(f"unsupported expression ${{{expression}}}")
    return value or ""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `$$`."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("${", i):
            end = _closing_brace(text, i + 1)
            out.append(_expand(text[i + 2 : end], env))
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def variables(text: str) -> Iterator[str]:
    """Every variable name referenced as `${NAME...}` (the defaults' own references included)."""
    for match in re.finditer(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text.replace("$$", "")):
        yield match.group(1)


def interpolate_tree(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolate_tree(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate_tree(value, env) for key, value in node.items()}
    return node
