"""A small HCL writer for `export --format terraform`, shared by every cloud's mapping.

Why apart: the export is one document (a header, each target's resources, the variables they
declare) written by the generic exporter and by each cloud's mapping (`TerraformMapping.export`),
which knows its resource types; the writer keeps labels unique in the whole output, collects the
variables, escapes strings and aligns `=` as `terraform fmt` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cloudtimeouts.catalog import ParameterSpec


@dataclass(frozen=True, slots=True)
class Setting:
    """One managed value: in the unit the cloud API takes, and as people read it."""

    name: str
    spec: ParameterSpec
    native: str
    human: str


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    type: str
    description: str


@dataclass
class Hcl:
    """A small HCL writer: blocks, aligned-enough attributes, labels unique in the output."""

    lines: list[str] = field(default_factory=list)
    depth: int = 0
    labels: set[str] = field(default_factory=set)
    variables: list[Variable] = field(default_factory=list)

    def open(self, header: str) -> None:
        self.lines.append(f"{'  ' * self.depth}{header} {{")
        self.depth += 1

    def close(self) -> None:
        self.depth -= 1
        self.lines.append(f"{'  ' * self.depth}}}")

    def attribute(self, name: str, expression: str, comment: str = "") -> None:
        tail = f" # {comment}" if comment else ""
        self.lines.append(f"{'  ' * self.depth}{name} = {expression}{tail}")

    def comment(self, text: str) -> None:
        plain = re.sub(r"[\x00-\x1f\x7f]", "?", text)  # a path's newline must not end it
        self.lines.append(f"{'  ' * self.depth}# {plain}")

    def blank(self) -> None:
        self.lines.append("")

    def label(self, text: str) -> str:
        """A resource label Terraform accepts (a letter or _ first; letters, digits, _ and -)."""
        base = re.sub(r"[^A-Za-z0-9_]", "_", text)
        base = base if re.match(r"[A-Za-z_]", base) else f"_{base}"
        label, count = base, 1
        while label in self.labels:
            count += 1
            label = f"{base}_{count}"
        self.labels.add(label)
        return label

    def variable(self, label: str, what: str, type_: str, description: str) -> str:
        name = f"{label}_{what}"
        self.variables.append(
            Variable(name, type_, f"{description} (cloudtimeouts does not manage it)")
        )
        return f"var.{name}"

    def text(self) -> str:
        """The lines, with `=` aligned in each run of attributes, as `terraform fmt` does."""
        lines = list(self.lines)
        run: list[int] = []
        for index, line in enumerate([*lines, ""]):
            match = _ATTRIBUTE.match(line)
            if match and (not run or _indent(lines[run[0]]) == match[1]):
                run.append(index)
                continue
            width = max((len(_ATTRIBUTE.match(lines[i])[2]) for i in run), default=0)  # type: ignore[index]
            for i in run:
                indent, name, rest = _ATTRIBUTE.match(lines[i]).groups()  # type: ignore[union-attr]
                lines[i] = f"{indent}{name.ljust(width)} = {rest}"
            run = [index] if match else []
        return "\n".join(lines) + "\n"


_ATTRIBUTE = re.compile(r"^(\s*)([A-Za-z_][\w-]*) = (.*)$")


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def string(value: str) -> str:
    """An HCL string literal: quotes and backslashes escaped, and no template sequence."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("${", "$${").replace("%{", "%%{") + '"'
