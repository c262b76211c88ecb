"""`accord group-roles`: the table of which identity-provider groups give which role.

The service loads in each command, so that `accord group-roles --help` starts at once."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from accord.cli.context import AsUser, out, unit_of_work

app = typer.Typer(
    help="Roles given to the groups of identity providers, at each sign-in.",
    no_args_is_help=True,
)


@app.command("list")
def group_roles_list(as_user: AsUser = None) -> None:
    """List the groups and the roles they give."""
    from accord.auth.group_roles import list_group_roles

    with unit_of_work(as_user) as (session, actor, _):
        table = Table("id", "provider", "group", "role")
        for mapping in list_group_roles(session, actor):
            table.add_row(str(mapping.id), mapping.provider, mapping.group_name, mapping.role)
        out.print(table)


@app.command("add")
def group_roles_add(
    provider: Annotated[str, typer.Argument(help="The identity provider's name, as configured.")],
    group: Annotated[str, typer.Argument(help="The group's name or id, as the provider sends it.")],
    role: Annotated[str, typer.Argument(help="The Accord role its members get.")],
    as_user: AsUser = None,
) -> None:
    """Give a role to the members of a group (from their next sign-in)."""
    from accord.auth.group_roles import add_group_role

    with unit_of_work(as_user) as (session, actor, settings):
        names = [p.name for p in settings.identity_providers]
        mapping = add_group_role(
            session, actor, provider=provider, group=group, role=role, providers=names
        )
        out.print(f"Group {group} at {provider} now gives {role} (mapping {mapping.id}).")


@app.command("remove")
def group_roles_remove(
    mapping_id: Annotated[int, typer.Argument(help="The mapping's id (see list).")],
    as_user: AsUser = None,
) -> None:
    """Stop giving a role to a group (its members lose it at their next sign-in)."""
    from accord.auth.group_roles import remove_group_role

    with unit_of_work(as_user) as (session, actor, _):
        mapping = remove_group_role(session, actor, mapping_id)
        out.print(
            f"Group {mapping.group_name} at {mapping.provider} no longer gives {mapping.role}."
        )

