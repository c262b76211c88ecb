"""``accord fulfill`` and ``accord delivery``: run an agreement's plan into a package, offer
it through a download link or send it by SFTP, and list what was sent where.

The fulfillment modules (Ibis, pyarrow) load only when one of these commands runs.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from accord.cli.context import AsUser, err, fail, out, unit_of_work
from accord.errors import AccordError

delivery_app = typer.Typer(help="Deliveries of fulfillment packages.", no_args_is_help=True)
COLUMNS = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


def fulfill(
    proposal: Annotated[int, typer.Argument(help="The agreement, by its proposal's number.")],
    as_user: AsUser = None,
) -> None:
    """Extract, de-identify and package the data an agreement authorises (Ctrl+C stops;
    nothing partial is kept)."""
    from accord.fulfillment.runs import fulfill_now, packages_root
    from accord.jobs.progress import JobCancelled

    with unit_of_work(as_user) as (_session, actor, settings):
        pass
    with Progress(*COLUMNS, console=err, transient=True) as progress:
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
    out.print(f"Package: {packages_root(settings) / (run.package + '.zip')}")
    out.print(f"SHA-256: {run.sha256}")


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
    with Progress(*COLUMNS, console=err, transient=True) as progress:
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


@delivery_app.command("list")
def list_(
    proposal: Annotated[int, typer.Argument(help="The agreement, by its proposal's number.")],
    as_user: AsUser = None,
) -> None:
    """What was sent where under an agreement."""
    from accord.fulfillment.access import agreement_for
    from accord.fulfillment.deliveries import list_deliveries

    with unit_of_work(as_user) as (session, actor, _settings):
        _, agreement = agreement_for(session, actor, proposal)
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
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command("fulfill")(fulfill)
    app.add_typer(delivery_app, name="delivery")
