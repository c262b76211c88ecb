"""YAML read with limits, for text that comes from outside (SPECs, OpenAPI documents, rules).

Safe loading alone still expands aliases: a few hundred bytes of nested ``&a [*b, *b, ...]``
become billions of nodes, and any code that walks or prints the value then runs for minutes.
Accord's inputs never need aliases, so they are refused, as are documents deeper than any
real one and larger than the caller allows.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import Node

MAX_DEPTH = 64


class RefusedYaml(ValueError):
    """The text is not plain YAML within the limits; the message says which limit."""


class _Loader(yaml.SafeLoader):
    depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise RefusedYaml(
                f"line {event.start_mark.line + 1}: YAML aliases (*name) are not accepted; "
                "write the value out"
            )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise RefusedYaml(f"the YAML is nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def load(text: str, *, max_bytes: int = 1_000_000) -> Any:
    """The value of one YAML document; ``RefusedYaml`` (a ValueError) or ``yaml.YAMLError``."""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise RefusedYaml(f"the YAML is larger than {max_bytes:,} bytes")
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader, limited
