"""Catalog commands: sources, harvests with a progress bar, dictionaries, search."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from accord.cli.context import AsUser, err, fail, out, progress_bar, unit_of_work
from accord.errors import AccordError

source_app = typer.Typer(help="Where datasets come from.", no_args_is_help=True)


@source_app.command("add")
def source_add(
    name: str,
    location: Annotated[
        str, typer.Argument(help="Database URL, folder of files, or OpenAPI file.")
    ],
    password_env: Annotated[str, typer.Option(help="Read the password from this variable.")] = "",
    description: str = "",
    as_user: AsUser = None,
) -> None:
    """Register a source. A password in the URL is stored encrypted and never shown again."""
    from accord.catalog.sources import add_source

    with unit_of_work(as_user) as (session, actor, settings):
        source = add_source(
            session,
            actor,
            settings.key,
            name=name,
            location=location,
            password_env=password_env,
            description=description,
        )
        out.print(f"Added {source.kind} source {source.name}: {source.location}")


def harvest(name: str, as_user: AsUser = None) -> None:
    """Harvest a source into the catalog (Ctrl+C cancels; the catalog is then unchanged)."""
    from accord.catalog.harvest.model import HarvestCancelled
    from accord.catalog.harvest.runs import harvest_now

    with unit_of_work(as_user) as (_session, actor, settings):
        pass
    with progress_bar() as progress:
        task = progress.add_task(f"Harvesting {name}", total=None)

        def report(done: int, total: int, what: str) -> None:
            progress.update(task, completed=done, total=total, description=f"{name}: {what}")

        try:
            report_ = harvest_now(settings, actor, name, report)
        except HarvestCancelled:
            err.print("Cancelled; the catalog was not changed.")
            raise typer.Exit(130) from None
        except KeyboardInterrupt:
            err.print("Interrupted; the catalog was not changed.")
            raise typer.Exit(130) from None
        except AccordError as exc:
            fail(exc)
    out.print(f"Harvested {report_.datasets_total} datasets, {report_.fields_total} fields.")
    for label, items in (
        ("datasets added", report_.datasets_added),
        ("datasets removed", report_.datasets_removed),
        ("fields added", report_.fields_added),
        ("fields removed", report_.fields_removed),
        ("fields changed", report_.fields_changed),
        ("warnings", report_.warnings),
    ):
        if items:
            out.print(f"[bold]{len(items)} {label}:[/]")
            for item in items[:50]:
                out.print(f"  {item}")
            if len(items) > 50:
                out.print(f"  … and {len(items) - 50} more")


def dictionary(
    dataset: Annotated[str, typer.Argument(help="Dataset id, SOURCE/NAME, or unique name.")],
    format: Annotated[str, typer.Option(help="csv | xlsx | table-schema | json")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--out", help="File to write (default stdout).")
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Export a dataset's data dictionary."""
    from accord.catalog.datasets import find_dataset
    from accord.catalog.dictionary import FORMATS, build_dictionary

    if format not in FORMATS:
        err.print(f"[bold red]Error:[/] format must be one of {', '.join(FORMATS)}.")
        raise typer.Exit(2)
    render, _media, extension = FORMATS[format]
    with unit_of_work(as_user) as (session, actor, _):
        found = find_dataset(session, actor, dataset)
        data = render(build_dictionary(session, actor, found.id))
    if output is None:
        if extension == "xlsx" and sys.stdout.isatty():
            err.print("[bold red]Error:[/] Excel is binary: give --out FILE.xlsx.")
            raise typer.Exit(2)
        sys.stdout.buffer.write(data)
        return
    temporary = output.with_name(f".{output.name}.part")
    temporary.write_bytes(data)
    temporary.replace(output)
    err.print(f"Wrote {output}")


def search(
    query: str,
    program: str = "",
    classification: str = "",
    statute: str = "",
    lifecycle: str = "",
    kind: str = "",
    limit: int = 20,
    as_user: AsUser = None,
) -> None:
    """Search datasets, fields, definitions and the glossary."""
    from accord.catalog import search as catalog_search

    filters = catalog_search.Filters(program, classification, statute, lifecycle, kind)
    with unit_of_work(as_user) as (session, actor, _):
        hits = catalog_search.search(session, actor, query, filters, limit)
        better = "" if hits else catalog_search.suggest_query(session, actor, query)
    if not hits:
        out.print(f"No matches. Did you mean: {better}?" if better else "No matches.")
        return
    table = Table("kind", "id", "title", "name", "dataset", "program", "snippet")
    for hit in hits:
        dataset = hit.dataset_title if hit.kind == "field" else ""
        table.add_row(
            hit.kind, str(hit.ref_id), hit.title, hit.name, dataset, hit.program, hit.snippet
        )
    out.print(table)


def check_metadata(
    target: Annotated[str, typer.Argument(help="A registered source name or a database URL.")],
    require: Annotated[
        list[str] | None,
        typer.Option(
            help="definition | classification | statute; repeat (default: the first two)."
        ),
    ] = None,
    format: Annotated[str, typer.Option(help="text | jsonl")] = "text",
    as_user: AsUser = None,
) -> None:
    """Exit 1 and list the fields that lack a definition or classification (for a source's CI)."""
    from accord.catalog import checks

    wanted = tuple(require or ("definition", "classification"))
    with unit_of_work(as_user) as (session, actor, _):
        missing = checks.check_metadata(session, actor, target, wanted)
    for item in missing:
        if format == "jsonl":
            out.print_json(data=asdict(item), indent=None)
        else:
            out.print(
                f"{item.dataset}.{item.field}: no {' and no '.join(item.missing)}", highlight=False
            )
    if missing:
        err.print(f"{len(missing)} field(s) are not done ({', '.join(wanted)} required).")
        raise typer.Exit(1)
    err.print(f"Every field has a {', '.join(wanted)}.")


def suggest(
    name: Annotated[str, typer.Argument(help="A registered source.")],
    format: Annotated[str, typer.Option(help="text | jsonl")] = "text",
    sample: Annotated[int, typer.Option(help="Values read per column (0: names only).")] = 50,
    rules: Annotated[Path | None, typer.Option(help="A department rule file (YAML).")] = None,
    as_user: AsUser = None,
) -> None:
    """Propose PII / PHI / sensitive classifications; a security officer decides each one."""
    from accord.catalog import suggestions

    with unit_of_work(as_user) as (_session, actor, settings):
        pass
    try:
        run = suggestions.suggest(settings, actor, name, sample_size=sample, rules=rules)
    except AccordError as exc:
        fail(exc)
    for result in run.results:
        if not result.suggestions:
            continue
        if format == "jsonl":
            out.print_json(
                data={
                    "dataset": result.dataset,
                    "field": result.field,
                    "labels": [s.label for s in result.suggestions],
                    "confidence": max(s.confidence for s in result.suggestions),
                    "reason": "; ".join(s.reason for s in result.suggestions),
                    "suggestions": [asdict(s) for s in result.suggestions],
                },
                indent=None,
            )
        else:
            labels = ", ".join(f"{s.label} ({s.confidence:.2f})" for s in result.suggestions)
            out.print(f"{result.dataset}.{result.field}: {labels}", highlight=False)
    for warning in run.warnings:
        err.print(f"warning: {warning}")
    err.print(
        f"{run.created} new suggestion(s), {run.updated} updated, "
        f"{run.kept_decided} already decided and kept."
    )


def register(app: typer.Typer) -> None:
    app.add_typer(source_app, name="source")
    app.command()(harvest)
    app.command()(dictionary)
    app.command()(search)
    app.command("check-metadata")(check_metadata)
    app.command()(suggest)
