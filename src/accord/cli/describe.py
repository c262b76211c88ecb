"""The describe-and-classify workflow from the command line (Play 6)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from accord.cli.context import AsUser, out, unit_of_work

describe_app = typer.Typer(
    help="Assign, submit, review and publish descriptions.", no_args_is_help=True
)
suggestions_app = typer.Typer(help="Decide the classifier's suggestions.", no_args_is_help=True)

Dataset = Annotated[str, typer.Argument(help="Dataset id, SOURCE/NAME, or unique name.")]


@describe_app.command("assign")
def assign(
    steward: str,
    dataset: Dataset,
    field: Annotated[list[str] | None, typer.Option(help="Only these fields; repeat.")] = None,
    as_user: AsUser = None,
) -> None:
    """Assign a dataset's fields (all, or the named ones) to a steward."""
    from accord.catalog import describing
    from accord.catalog.datasets import find_dataset
    from accord.catalog.fields import find_field

    with unit_of_work(as_user) as (session, actor, _):
        found = find_dataset(session, actor, dataset)
        ids = [find_field(session, actor, str(found.id), f).id for f in field or []]
        count = describing.assign_steward(
            session, actor, steward, field_ids=ids, dataset_id=None if ids else found.id
        )
        out.print(f"Assigned {count} field(s) of {found.name} to {steward}.")


@describe_app.command("submit")
def submit(
    dataset: Dataset,
    field: Annotated[list[str], typer.Argument(help="Field names.")],
    as_user: AsUser = None,
) -> None:
    """Submit described fields for review."""
    from accord.catalog import describing
    from accord.catalog.fields import find_field

    with unit_of_work(as_user) as (session, actor, _):
        ids = [find_field(session, actor, dataset, f).id for f in field]
        out.print(f"Submitted {describing.submit_for_review(session, actor, ids)} for review.")


@describe_app.command("review")
def review(
    dataset: Dataset,
    field: str,
    publish: Annotated[bool, typer.Option("--publish/--send-back")] = True,
    note: Annotated[str, typer.Option(help="What should change (needed to send back).")] = "",
    as_user: AsUser = None,
) -> None:
    """Publish a submitted description, or send it back with a note."""
    from accord.catalog import describing
    from accord.catalog.fields import find_field

    with unit_of_work(as_user) as (session, actor, _):
        target = find_field(session, actor, dataset, field)
        work = describing.review_description(session, actor, target.id, approve=publish, note=note)
        out.print(f"{field}: {work.status}.")


@describe_app.command("status")
def status(dataset: Dataset, as_user: AsUser = None) -> None:
    """Completeness of a dataset and its open suggestions."""
    from accord.auth.permissions import Action, can
    from accord.catalog import describing, suggestions
    from accord.catalog.datasets import find_dataset

    with unit_of_work(as_user) as (session, actor, _):
        found = find_dataset(session, actor, dataset)
        done = describing.completeness(session, [found.id], actor)[found.id]
        shown = can(actor, Action.VIEW_SUGGESTIONS)
        open_ = suggestions.open_counts(session, [found.id])[found.id] if shown else 0
    out.print(
        f"{found.name}: {done.fields} fields; definitions {done.share(done.defined):.0%}, "
        f"classified {done.share(done.classified):.0%}, statutes checked "
        f"{done.share(done.statute_checked):.0%}"
        + (f"; {open_} open suggestion(s)." if shown else ".")
    )


@suggestions_app.command("list")
def list_open(
    dataset: Annotated[str | None, typer.Option(help="Only this dataset.")] = None,
    as_user: AsUser = None,
) -> None:
    """Open suggestions, surest first."""
    from accord.catalog import suggestions
    from accord.catalog.datasets import find_dataset

    with unit_of_work(as_user) as (session, actor, _):
        dataset_id = find_dataset(session, actor, dataset).id if dataset else None
        items = suggestions.open_suggestions(session, actor, dataset_id=dataset_id)
        table = Table("id", "dataset", "field", "label", "confidence", "reason")
        for i in items:
            table.add_row(
                str(i.suggestion.id),
                i.dataset.name,
                i.field.name,
                i.suggestion.label,
                f"{i.suggestion.confidence:.2f}",
                i.suggestion.reason,
            )
    out.print(table)


@suggestions_app.command("decide")
def decide(
    suggestion_id: Annotated[list[int], typer.Argument(help="Suggestion ids (see list).")],
    accept: Annotated[bool, typer.Option("--accept/--reject")] = True,
    as_user: AsUser = None,
) -> None:
    """Accept or reject suggestions; each decision is recorded per field."""
    from accord.catalog import suggestions

    with unit_of_work(as_user) as (session, actor, _):
        count = suggestions.decide(session, actor, suggestion_id, accept=accept)
        out.print(f"{'Accepted' if accept else 'Rejected'} {count}.")


@suggestions_app.command("decide-pattern")
def decide_pattern(
    pattern: Annotated[str, typer.Argument(help="Field-name pattern, e.g. '*_ssn'.")],
    accept: Annotated[bool, typer.Option("--accept/--reject")] = True,
    label: Annotated[str, typer.Option(help="Only suggestions of this label.")] = "",
    as_user: AsUser = None,
) -> None:
    """Decide every open suggestion whose field name matches a pattern."""
    from accord.catalog import suggestions

    with unit_of_work(as_user) as (session, actor, _):
        count = suggestions.decide_by_pattern(session, actor, pattern, accept=accept, label=label)
        out.print(f"{'Accepted' if accept else 'Rejected'} {count}.")


def register(app: typer.Typer) -> None:
    app.add_typer(describe_app, name="describe")
    app.add_typer(suggestions_app, name="suggestions")
