"""Metadata commands for people who script: fields, statutes, glossary, inventory, write-back."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.context import AsUser, err, out, unit_of_work

field_app = typer.Typer(
    help="Describe, classify and cite statutes on one field.", no_args_is_help=True
)
glossary_app = typer.Typer(help="The business glossary.", no_args_is_help=True)
inventory_app = typer.Typer(help="The inventory spreadsheet.", no_args_is_help=True)
statute_app = typer.Typer(help="The statute library.", no_args_is_help=True)

Dataset = Annotated[str, typer.Argument(help="Dataset id, SOURCE/NAME, or unique name.")]


@field_app.command("describe")
def field_describe(
    dataset: Dataset,
    field: str,
    definition: Annotated[str | None, typer.Option(help="What the element is.")] = None,
    label: Annotated[str | None, typer.Option()] = None,
    standard: Annotated[str | None, typer.Option(help="Data standard element, e.g. USCDI.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="A tag; repeat for several.")] = None,
    as_user: AsUser = None,
) -> None:
    """Write a field's business description."""
    from accord.catalog.fields import Description, describe_field, find_field

    with unit_of_work(as_user) as (session, actor, _):
        target = find_field(session, actor, dataset, field)
        describe_field(
            session,
            actor,
            target.id,
            Description(label=label, definition=definition, standard_element=standard, tags=tag),
        )
        out.print(f"Described {dataset} {field}.")


@field_app.command("classify")
def field_classify(
    dataset: Dataset,
    field: str,
    code: Annotated[list[str], typer.Argument(help="Classification codes, e.g. PII:ssn.")],
    as_user: AsUser = None,
) -> None:
    """Set a field's classifications (your decision, recorded)."""
    from accord.catalog.fields import classify_field, find_field

    with unit_of_work(as_user) as (session, actor, _):
        target = find_field(session, actor, dataset, field)
        out.print(", ".join(classify_field(session, actor, target.id, code)) or "none")


@field_app.command("cite")
def field_cite(
    dataset: Dataset,
    field: str,
    citation: Annotated[list[str], typer.Argument(help="Citations, e.g. 'WIC 10850(a)'.")],
    as_user: AsUser = None,
) -> None:
    """Set the statutes that govern a field."""
    from accord.catalog import statutes
    from accord.catalog.fields import find_field

    with unit_of_work(as_user) as (session, actor, _):
        target = find_field(session, actor, dataset, field)
        cited = statutes.set_field_statutes(session, actor, target.id, citation)
        out.print(", ".join(s.citation for s in cited), highlight=False)


@statute_app.command("add")
def statute_add(citation: str, title: str = "", url: str = "", as_user: AsUser = None) -> None:
    """Add a statute to the library."""
    from accord.catalog import statutes

    with unit_of_work(as_user) as (session, actor, _):
        added = statutes.add_statute(session, actor, citation, title=title, url=url)
        out.print(f"Added {added.citation}.", highlight=False)


@glossary_app.command("import")
def glossary_import(path: Path, as_user: AsUser = None) -> None:
    """Add or update terms from a CSV with columns term, acronym, definition (all or none)."""
    from accord.catalog import glossary

    with unit_of_work(as_user) as (session, actor, _):
        count = glossary.import_csv(session, actor, path.read_bytes())
        out.print(f"Imported {count} terms.")


@glossary_app.command("export")
def glossary_export(as_user: AsUser = None) -> None:
    """Print the glossary as CSV."""
    from accord.catalog import glossary

    with unit_of_work(as_user) as (session, actor, _):
        sys.stdout.write(glossary.export_csv(session, actor))


@inventory_app.command("import")
def inventory_import(
    path: Path,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="ATTRIBUTE=Column header; repeat. Default: the suggested mapping."
        ),
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Import an inventory spreadsheet (CSV or .xlsx); every row is checked before any is saved."""
    from accord.catalog import inventory_io

    sheet = inventory_io.read_sheet(path.read_bytes(), path.name)
    mapping = inventory_io.suggest_mapping(sheet.headers)
    for item in map_ or []:
        target, _, header = item.partition("=")
        mapping[target.strip()] = header.strip()
    err.print("Mapping: " + ", ".join(f"{t} ← {h}" for t, h in mapping.items()))
    with unit_of_work(as_user) as (session, actor, _):
        created, updated = inventory_io.import_inventory(session, actor, sheet, mapping)
        out.print(f"{created} datasets created, {updated} updated.")


@inventory_app.command("export")
def inventory_export(
    output: Annotated[Path, typer.Option("--out", help="A .csv or .xlsx file.")],
    as_user: AsUser = None,
) -> None:
    """Write the inventory to a CSV or Excel file."""
    from accord.catalog import inventory_io

    with unit_of_work(as_user) as (session, actor, _):
        excel = output.suffix.lower() == ".xlsx"
        data = (inventory_io.export_xlsx if excel else inventory_io.export_csv)(session, actor)
    temporary = output.with_name(f".{output.name}.part")
    temporary.write_bytes(data)
    temporary.replace(output)
    err.print(f"Wrote {output}")


def write_back(
    source: str,
    yes: Annotated[bool, typer.Option("--yes", help="Apply without asking.")] = False,
    as_user: AsUser = None,
) -> None:
    """Show the exact statements that put definitions into the source as column comments,
    then apply them once confirmed."""
    from accord.catalog.harvest import writeback

    with unit_of_work(as_user) as (session, actor, settings):
        plan = writeback.preview_write_back(session, actor, settings.key, source)
    if not plan.statements:
        out.print("Every definition already matches the source.")
        return
    for statement in plan.statements:
        out.print(statement, highlight=False, soft_wrap=True)
    if not yes and not typer.confirm(f"Run these {len(plan.statements)} statements?"):
        raise typer.Exit(1)
    with unit_of_work(as_user) as (session, actor, settings):
        writeback.apply_write_back(session, actor, settings.key, source, plan.digest)
    err.print(f"Applied {len(plan.statements)} statements.")


def register(app: typer.Typer) -> None:
    app.add_typer(field_app, name="field")
    app.add_typer(statute_app, name="statute")
    app.add_typer(glossary_app, name="glossary")
    app.add_typer(inventory_app, name="inventory")
    app.command("write-back")(write_back)
