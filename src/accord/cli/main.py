"""Commands. Each calls a service inside ``unit_of_work``; no rules live here."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from accord.cli import catalog, describe, fulfillment, metadata, worker
from accord.cli.context import AsUser, err, fail, out, unit_of_work
from accord.cli.lazy import LazyGroups
from accord.errors import AccordError

if TYPE_CHECKING:
    from accord.config import Settings

app = typer.Typer(
    help="Accord: data sharing under the CalHHS Data-Sharing Guidebook.",
    no_args_is_help=True,
    cls=LazyGroups,
)
db_app = typer.Typer(help="The application database.", no_args_is_help=True)
user_app = typer.Typer(help="People who sign in.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for scripts and the CLI.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
demo_app = typer.Typer(
    help="The demo department (California Department of Wellness).", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(demo_app, name="demo")


def _upgrade(settings: Settings) -> None:
    from accord.db.migrate import upgrade_database

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.resolved_database_url)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (all or nothing)."""
    from accord.config import get_settings

    settings = get_settings()
    _upgrade(settings)
    out.print("Database is up to date.")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Web server processes (default: ACCORD_WEB_WORKERS, else the CPUs, at most "
            "4); 1 serves from this process.",
        ),
    ] = None,
    demo: Annotated[bool, typer.Option(help="Seed the demo department on first start.")] = True,
    start_worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            help="Start a job worker beside the server (off if you run `accord worker` "
            "separately).",
        ),
    ] = True,
) -> None:
    """Migrate the database, seed the demo on first start, and serve the web UI and API
    from several processes (with one job worker for harvests unless --no-worker)."""
    import uvicorn

    from accord.config import get_settings
    from accord.db.engine import size_pool
    from accord.deid.warmup import warm_up
    from accord.jobs.service import sweep_stale
    from accord.web.app import create_app

    settings = get_settings()
    if workers is not None:
        # The web processes read their settings from the environment, as this one did.
        os.environ["ACCORD_WEB_WORKERS"] = str(workers)
        settings = settings.model_copy(update={"web_workers": workers})
    size_pool(settings.threads_per_worker)
    # compile the de-identification search in the background, so the first release
    # does not wait for it
    threading.Thread(target=warm_up, name="deid-warm-up", daemon=True).start()
    # Migrations, the stale-job sweep and the demo run here, once, before any web process
    # starts: several processes would race to create the same tables and rows.
    _upgrade(settings)
    # Only jobs whose worker stopped beating are failed: a live `accord worker` or a
    # foreground `accord harvest` in another process keeps its job.
    interrupted = sweep_stale(settings)
    if interrupted:
        err.print(f"{len(interrupted)} job(s) were interrupted by a stopped worker; marked failed.")
    if demo:
        _seed_demo(settings, events=5_000, as_user=None, quiet_if_seeded=True)
    host = host or settings.host
    port = port or settings.port
    job_worker = _start_worker() if start_worker else None
    processes = settings.web_workers
    out.print(
        f"Accord is running at [bold]http://{host}:{port}[/] with {processes} web "
        f"process{'es' if processes > 1 else ''} (Ctrl+C to stop)."
    )
    # uvicorn starts several processes from the import string and, on SIGTERM or Ctrl+C,
    # stops them all and waits for them before it returns. Open connections get 5 s to finish,
    # so that every process is gone well within a supervisor's usual 10 s.
    app_or_factory = (
        create_app(settings, long_lived=True)
        if processes == 1
        else "accord.web.app:app_from_environment"
    )
    try:
        uvicorn.run(
            app_or_factory,
            host=host,
            port=port,
            factory=processes > 1,
            workers=processes,
            log_level="warning",
            timeout_graceful_shutdown=5,
        )
    finally:
        if job_worker is not None:
            _stop_worker(job_worker)


def _start_worker() -> subprocess.Popen[bytes]:
    """`accord worker` as a child process: a harvest then survives a hung or restarted web
    process, and the child stops by itself if this process dies without stopping it."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "accord.cli", "worker", "--parent", str(os.getpid())]
    )


def _stop_worker(process: subprocess.Popen[bytes]) -> None:
    process.terminate()  # the worker stops the job it runs at its next step, marked failed
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()  # its job's heartbeat stops; the next sweep marks it failed
        process.wait()


@demo_app.command("seed")
def demo_seed(
    as_user: AsUser = None,
    events: Annotated[
        int, typer.Option(min=100, max=10_000_000, help="Activity events per program database.")
    ] = 5_000,
) -> None:
    """Create the demo department, a user for every role, and the program source databases."""
    from accord.config import get_settings

    settings = get_settings()
    _seed_demo(settings, events=events, as_user=as_user, quiet_if_seeded=False)


def _seed_demo(
    settings: Settings, *, events: int, as_user: str | None, quiet_if_seeded: bool
) -> None:
    from accord.db.engine import transaction
    from accord.demo.seed import DEMO_PASSWORD, DEMO_USERS, is_seeded, seed_demo

    with transaction(settings) as session:
        seeded = is_seeded(session)
    if seeded and quiet_if_seeded:
        out.print("Demo department already present; sign in with a demo login (see README).")
        return
    with unit_of_work(as_user) as (_session, actor, _):
        pass
    from rich.progress import Progress, TaskID

    with Progress(console=err) as progress:
        tasks: dict[str, TaskID] = {}

        def report(program: str, done: int, total: int) -> None:
            if program not in tasks:
                tasks[program] = progress.add_task(f"Generating {program}", total=total)
            progress.update(tasks[program], completed=done)

        try:
            sources = seed_demo(settings, actor, events=events, progress=report)
        except AccordError as exc:
            fail(exc)
    for source in sources:
        out.print(f"Source {source.program}: {source.path}")
    table = Table(title=f"Demo logins (password for all: {DEMO_PASSWORD})")
    table.add_column("username")
    table.add_column("role")
    for user in DEMO_USERS:
        table.add_row(user.username, ", ".join(r.label for r in user.roles))
    out.print(table)


@user_app.command("create")
def user_create(
    username: str,
    full_name: Annotated[str, typer.Option("--name", help="Full name.")],
    department: Annotated[str, typer.Option(help="Department code, e.g. CDW.")],
    role: Annotated[list[str], typer.Option(help="A role; repeat for several.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    email: str = "",
    as_user: AsUser = None,
) -> None:
    """Create a user (the first user may be created before anyone exists)."""
    from accord.auth.users import create_department, create_user, list_departments

    with unit_of_work(as_user) as (session, actor, _):
        # Bootstrap: the installer creating the first admin may name a new department.
        if actor.user_id is None and department not in {d.code for d in list_departments(session)}:
            create_department(session, actor, department, department)
        user = create_user(
            session,
            actor,
            username=username,
            full_name=full_name,
            password=password,
            department_code=department,
            roles=role,
            email=email,
        )
        out.print(f"Created user {user.username} ({', '.join(user.role_names)}).")


@user_app.command("list")
def user_list(as_user: AsUser = None) -> None:
    """List users, their department and roles."""
    from accord.auth.users import list_users

    with unit_of_work(as_user) as (session, actor, _):
        table = Table("username", "name", "department", "roles", "status")
        for user in list_users(session, actor):
            table.add_row(
                user.username,
                user.full_name,
                user.department.code,
                ", ".join(user.role_names),
                "active" if user.is_active else "disabled",
            )
        out.print(table)


@user_app.command("disable")
def user_disable(username: str, as_user: AsUser = None) -> None:
    """Disable a user and end their sessions and tokens."""
    from accord.auth.users import disable_user

    with unit_of_work(as_user) as (session, actor, _):
        disable_user(session, actor, username)
        out.print(f"Disabled {username}.")


@user_app.command("unlock")
def user_unlock(username: str, as_user: AsUser = None) -> None:
    """Forget a user's failed sign-ins, so they can sign in again at once."""
    from accord.auth.users import unlock_user

    with unit_of_work(as_user) as (session, actor, _):
        count = unlock_user(session, actor, username)
        out.print(f"Unlocked {username} ({count} failed sign-in(s) forgotten).")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="What will use the token.")],
    user: Annotated[str | None, typer.Option(help="For this user (admins); default: you.")] = None,
    days: Annotated[int, typer.Option(help="Days until it expires.")] = 30,
    as_user: AsUser = None,
) -> None:
    """Create an API token; it is printed once."""
    from accord.auth.tokens import create_token
    from accord.auth.users import get_user

    with unit_of_work(as_user) as (session, actor, _):
        owner = get_user(session, user or actor.username)
        token, secret = create_token(session, actor, owner, name=name, days=days)
        err.print(
            f"Token {token.id} for {owner.username}, expires {token.expires_at:%Y-%m-%d}. "
            "Store it now; it is not shown again."
        )
        out.print(secret)


@token_app.command("revoke")
def token_revoke(token_id: int, as_user: AsUser = None) -> None:
    """Revoke an API token by its number."""
    from accord.auth.tokens import revoke_token

    with unit_of_work(as_user) as (session, actor, _):
        revoke_token(session, actor, token_id)
        out.print(f"Revoked token {token_id}.")


@audit_app.command("verify")
def audit_verify(as_user: AsUser = None) -> None:
    """Check the audit log's hash chain and its anchored head; exit 1 and name the first
    broken link if any."""
    from accord.auth import audit

    with unit_of_work(as_user) as (session, actor, settings):
        result = audit.verify(session, actor, settings)
    if result.ok:
        out.print(
            f"Audit log intact: {result.checked} entries verified; the head file "
            f"anchors it up to entry {result.anchored}."
        )
        if result.warning:
            err.print(f"[bold yellow]Warning:[/] {result.warning}.")
        return
    where = "its head file" if result.broken_seq is None else f"entry {result.broken_seq}"
    err.print(
        f"[bold red]Audit log broken at {where}:[/] {result.reason} "
        f"({result.checked} entries before it are intact)."
    )
    raise typer.Exit(1)


catalog.register(app)
metadata.register(app)
describe.register(app)
worker.register(app)
fulfillment.register(app)


def main() -> None:
    app()
