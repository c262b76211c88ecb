"""``accord fulfill`` and ``accord delivery``: run an agreement's plan into a package, offer
it through a download link or send it by SFTP, and list what was sent where.

The fulfillment modules (Ibis, pyarrow) load only when one of these commands runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from accord.cli.context import AsUser, err, fail, out, progress_bar, unit_of_work
from accord.errors import AccordError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from accord.auth.actor import Actor
    from accord.proposals.models import Agreement, Proposal

delivery_app = typer.Typer(help="Deliveries of fulfillment packages.", no_args_is_help=True)
AgreementArg = Annotated[int, typer.Argument(help="The agreement, by its proposal's number.")]


def fulfill(
    proposal: AgreementArg,
    as_user: AsUser = None,
) -> None:
    """Extract, de-identify and package the data an agreement authorises (Ctrl+C stops;
    nothing partial is kept)."""
    from accord.fulfillment.deliveries import package_file
    from accord.fulfillment.runs import fulfill_now
    from accord.jobs.progress import JobCancelled

    with unit_of_work(as_user) as (_session, actor, settings):
        pass
    with progress_bar() as progress:
        task = progress.add_task(f"Fulfilling proposal {proposal}", total=None)

        def report(done: int, total: int, what: str) -> None:
            progress.update(task, completed=done, total=total or None, description=what[:60])

        try:
            run = fulfill_now(settings, actor, proposal, report)
        except (JobCancelled, KeyboardInterrupt):
            err.print("Stopped; no package was kept.")
            raise typer.Exit(130) from None
        except AccordError as exc:
            fail(exc)
    out.print(f"Run {run.id}: packaged {sum(run.rows.values()):,} rows.")
    for name, rows in run.rows.items():
        out.print(f"  {name}: {rows:,} rows")
    out.print(f"Package: {package_file(settings, run)}")
    out.print(f"SHA-256: {run.sha256}")
    if run.encrypted_for:
        out.print(f"Encrypted for {run.encrypted_for} (the .zip inside: {run.zip_sha256})")


@delivery_app.command("link")
def link(
    run: Annotated[int, typer.Argument(help="The fulfillment run whose package to offer.")],
    days: Annotated[int, typer.Option(help="Days the link works.")] = 7,
    as_user: AsUser = None,
) -> None:
    """Make an expiring download link for a package; it is printed once."""
    from accord.fulfillment.deliveries import offer_link

    with unit_of_work(as_user) as (session, actor, settings):
        offered = offer_link(session, actor, run, days=days)
        expires = offered.delivery.expires_at
    assert expires is not None
    out.print(f"{settings.public_url.rstrip('/')}/download/{offered.token}")
    err.print(f"Expires {expires:%Y-%m-%d %H:%M} UTC. This link is not shown again.")


@delivery_app.command("send")
def send(
    run: Annotated[int, typer.Argument(help="The fulfillment run whose package to send.")],
    destination: Annotated[int, typer.Argument(help="The SFTP destination's number.")],
    as_user: AsUser = None,
) -> None:
    """Send a package to a recipient's SFTP server."""
    from accord.fulfillment.deliveries import send_now

    with unit_of_work(as_user) as (_session, actor, settings):
        pass
    with progress_bar() as progress:
        task = progress.add_task(f"Sending run {run}", total=None)
        try:
            delivery = send_now(
                settings,
                actor,
                run,
                destination,
                lambda done, total, _what: progress.update(task, completed=done, total=total),
            )
        except KeyboardInterrupt:
            err.print("Stopped; the delivery is recorded as failed and can be sent again.")
            raise typer.Exit(130) from None
        except AccordError as exc:
            fail(exc)
    out.print(f"Delivery {delivery.id}: sent to {delivery.recipient} ({delivery.remote_path}).")


@delivery_app.command("destinations")
def destinations(
    proposal: AgreementArg,
    as_user: AsUser = None,
) -> None:
    """The recipient's SFTP servers recorded for an agreement, with their numbers."""
    from accord.fulfillment.deliveries import destinations as recorded
    from accord.fulfillment.deliveries import where_of

    with unit_of_work(as_user) as (session, actor, _settings):
        _, agreement = _agreement(session, actor, proposal)
        found = recorded(session, agreement)
        # one line each, not a table: the address stays whole, to copy
        lines = [f"{d.id}  {d.name}: {where_of(d)} (signs in with a {d.auth})" for d in found]
    for line in lines or [f"Proposal {proposal} has no SFTP destination yet."]:
        out.print(line, soft_wrap=True, highlight=False)


@delivery_app.command("schedule")
def schedule(
    proposal: AgreementArg,
    destination: Annotated[int, typer.Argument(help="The SFTP destination's number.")],
    first: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="The first delivery (default: today or the start)."
        ),
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Deliver an agreement on its own frequency: on each due date the worker (started by
    `accord serve`) packages the current plan and sends it to DESTINATION."""
    from accord.fulfillment.schedule import describe, set_schedule

    with unit_of_work(as_user) as (session, actor, _settings):
        made = set_schedule(
            session, actor, proposal, destination, first_due=first.date() if first else None
        )
        _, agreement = _agreement(session, actor, proposal)
        out.print(describe(made, agreement))


@delivery_app.command("unschedule")
def unschedule(
    proposal: AgreementArg,
    as_user: AsUser = None,
) -> None:
    """Stop an agreement's scheduled deliveries."""
    from accord.fulfillment.schedule import stop_schedule

    with unit_of_work(as_user) as (session, actor, _settings):
        stop_schedule(session, actor, proposal)
    out.print(f"Scheduled deliveries of proposal {proposal} stopped.")


def _agreement(session: Session, actor: Actor, proposal: int) -> tuple[Proposal, Agreement]:
    from accord.fulfillment.access import agreement_for

    return agreement_for(session, actor, proposal)


@delivery_app.command("list")
def list_(
    proposal: AgreementArg,
    as_user: AsUser = None,
) -> None:
    """What was sent where under an agreement."""
    from accord.fulfillment.deliveries import list_deliveries
    from accord.fulfillment.schedule import describe, schedule_of

    with unit_of_work(as_user) as (session, actor, _settings):
        _, agreement = _agreement(session, actor, proposal)
        recurring = schedule_of(session, agreement)
        table = Table("Delivery", "Run", "To", "Status", "Rows", "SHA-256", "Acknowledged")
        for d in list_deliveries(session, agreement):
            table.add_row(
                str(d.id),
                str(d.run_id),
                d.recipient,
                d.status,
                f"{sum(d.rows.values()):,}",
                d.sha256[:16] + "…",
                d.acknowledged_by or "no",
            )
        if recurring is not None:
            table.caption = describe(recurring, agreement)
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command("fulfill")(fulfill)
    app.add_typer(delivery_app, name="delivery")
