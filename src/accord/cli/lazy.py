"""Command groups whose module loads only when the group is used.

`accord --help` and a simple command such as `accord user list` should start at once; the
de-identification engine (numba, scipy) and the proposal workflow are large, so their
command modules are imported when their group runs, not when `accord` starts.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

# name -> (module, Typer attribute, one-line help shown in `accord --help`)
LAZY: dict[str, tuple[str, str, str]] = {
    "deid": ("accord.cli.deid", "app", "De-identification of aggregate tables (DDG)."),
    "proposal": (
        "accord.cli.proposals",
        "proposal_app",
        "Business use case proposals (BUCP): ask another department for data.",
    ),
    "package": (
        "accord.cli.package",
        "app",
        "Fulfillment packages: check one you received.",
    ),
    "group-roles": (
        "accord.cli.group_roles",
        "app",
        "Roles given to the groups of identity providers, at each sign-in.",
    ),
}


# Contexts and commands are typed Any: typer vendors its own click (typer._click), a
# private module this file should not name.
class LazyGroup(TyperGroup):
    """Stands for a group in the help list; the real group is built when it is used."""

    def __init__(self, name: str, module: str, attribute: str, help: str) -> None:
        super().__init__(name=name, help=help, short_help=help)
        self._module, self._attribute = module, attribute
        self._real: Any = None

    def real(self) -> Any:
        if self._real is None:
            typer_app = getattr(importlib.import_module(self._module), self._attribute)
            self._real = typer.main.get_command(typer_app)
        return self._real

    def make_context(self, info_name: Any, args: Any, parent: Any = None, **extra: Any) -> Any:
        return self.real().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.real().list_commands(ctx))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return self.real().get_command(ctx, cmd_name)

    def invoke(self, ctx: Any) -> Any:
        return self.real().invoke(ctx)


class LazyGroups(TyperGroup):
    """The top-level group: its own commands, then the lazily loaded groups of ``LAZY``."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *LAZY]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in LAZY:
            return LazyGroup(cmd_name, *LAZY[cmd_name])
        return super().get_command(ctx, cmd_name)
