"""Proposals at department scale: 10,000 BUCPs, 200,000 state changes, 100,000 comments.

The demo department is seeded through the services (its people, its catalog, its ten
proposals); then the bulk is inserted with SQLAlchemy Core executemany, each proposal with
parties, requested fields from the real catalog, authority statements, a version, comments,
change requests, opinions, concerns, signatures and its history as its state implies, and an
agreement once approved. Measured in the same process, on SQLite and on PostgreSQL:

- the proposal page, GET /proposals/{id} through the app (TestClient) signed in as the
  provider's data coordinator, who is party to every proposal and reads restricted content
  (so each view also writes its audit entry);
- the overview service and the audit of its restricted reads, as the page calls them;
- "my work": ``work.my_work`` and the home page that shows it, for the provider's coordinator
  (every proposal of the installation is theirs) and the recipient's;
- the baseline: a bare primary-key read of the proposal row.

Targets (issue): proposal page ≤ 100 ms and my work ≤ 150 ms at p95.

    python bench/proposals_bench.py [--proposals 10000] [--changes 200000] [--comments 100000]
                                    [--db sqlite|postgresql|both] [--pg URL] [--requests 200]
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from accord.auth.actor import Actor, actor_for
from accord.auth.models import Department, User
from accord.auth.users import create_department, get_user
from accord.catalog.fields import field_classifications
from accord.catalog.models import CatalogField, Dataset
from accord.catalog.statutes import field_statutes
from accord.config import Settings
from accord.db.engine import get_engine, transaction
from accord.db.migrate import upgrade_database
from accord.demo.seed import DEMO_PASSWORD, seed_demo
from accord.demo.use_cases import CONTACTS, USE_CASES
from accord.lifecycle.models import StateChange
from accord.proposals.access import record_reads
from accord.proposals.form import PATHS
from accord.proposals.models import (
    Agreement,
    AgreementElement,
    ChangeRequest,
    Concern,
    Opinion,
    Proposal,
    ProposalAuthority,
    ProposalComment,
    ProposalElement,
    ProposalParty,
    ProposalVersion,
    Signature,
)
from accord.proposals.overview import overview
from accord.proposals.work import my_work

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CHUNK = 5_000  # rows per executemany
# A department's proposals over some years: most are finished, a fifth wait for someone.
STATES = {
    "draft": 5,
    "sent_to_provider": 3,
    "in_joint_development": 5,
    "in_review": 4,
    "awaiting_signatures": 2,
    "awaiting_dc_final_review": 1,
    "approved": 1,
    "filed": 60,
    "withdrawn": 12,
    "denied": 7,
}
# the moves that bring a proposal to each state, from the draft
PATH_TO = {
    "draft": [],
    "sent_to_provider": [("send", "draft", "sent_to_provider")],
    "in_joint_development": [("begin_development", "sent_to_provider", "in_joint_development")],
    "in_review": [("start_review", "in_joint_development", "in_review")],
    "awaiting_signatures": [("request_signatures", "in_review", "awaiting_signatures")],
    "awaiting_dc_final_review": [("signed", "awaiting_signatures", "awaiting_dc_final_review")],
    "approved": [("approve", "awaiting_dc_final_review", "approved")],
    "filed": [("file", "approved", "filed")],
}
ORDER = list(PATH_TO)
LOOP = [
    ("return_to_development", "in_review", "in_joint_development"),
    ("start_review", "in_joint_development", "in_review"),
]
QUESTIONS = ("", "", "", "purpose", "data_users", "frequency", "security_requirements")
PHRASES = (
    "Could the extract be monthly rather than quarterly?",
    "The program office confirms the county codes are FIPS codes.",
    "Our security team needs the SFTP host key before the first delivery.",
    "Is the enrolment date the date of referral or of the first coaching session?",
    "Agreed; we will update the data users to name the roles only.",
    "Legal asks that the destruction certificate name the backup media too.",
)


# --- building the data ------------------------------------------------------------------------


class Bulk:
    """Rows for every proposal table, generated from one seed, inserted chunk by chunk."""

    def __init__(self, settings: Settings, proposals: int, changes: int, comments: int) -> None:
        self.settings = settings
        self.rng = random.Random(2024)
        self.n, self.n_changes, self.n_comments = proposals, changes, comments
        self.rows: dict[type, list[dict[str, Any]]] = {}
        self.history: list[dict[str, Any]] = []
        self.start = datetime(2021, 1, 4, tzinfo=UTC)

    def add(self, model: type, **row: Any) -> None:
        self.rows.setdefault(model, []).append(row)

    def build(self) -> None:
        with transaction(self.settings) as session:
            system = Actor.system(via="bench")
            partners = [
                create_department(session, system, f"P{i:02d}", f"Partner department {i}")
                for i in range(1, 10)
            ]
            session.flush()
            cdw = session.scalar(select(Department).where(Department.code == "CDW"))
            dcs = session.scalar(select(Department).where(Department.code == "DCS"))
            assert cdw is not None and dcs is not None
            users = {u.username: u for u in session.scalars(select(User))}
            fields = session.execute(
                select(CatalogField, Dataset).join(Dataset, Dataset.id == CatalogField.dataset_id)
            ).all()
            ids = [f.id for f, _ in fields]
            classes = field_classifications(session, ids)
            statutes = field_statutes(session, ids)
            first = (session.scalar(text("SELECT max(id) FROM proposal")) or 0) + 1
            first_comment = (session.scalar(text("SELECT max(id) FROM proposal_comment")) or 0) + 1
            first_agreement = (session.scalar(text("SELECT max(id) FROM agreement")) or 0) + 1
        self.cdw, self.dcs = cdw.id, dcs.id
        self.partner_ids = [dcs.id] * 5 + [p.id for p in partners]  # DCS asks most often
        self.users = users
        self.catalog = [
            dict(
                dataset_id=d.id,
                field_id=f.id,
                dataset_name=d.name,
                field_name=f.name,
                label=f.label,
                definition=f.definition,
                data_type=f.data_type,
                valid_values=f.valid_values,
                classifications="; ".join(classes.get(f.id, [])),
                statutes="; ".join(s.citation for s in statutes.get(f.id, [])),
                row_count=d.row_count,
            )
            for f, d in fields
        ]
        states = self.rng.choices(list(STATES), weights=list(STATES.values()), k=self.n)
        moves = self._moves(states)
        pad = max(0, self.n_changes - sum(len(m) for m in moves))
        looping = [i for i, s in enumerate(states) if _reached(s, "in_review")]
        for i in self.rng.choices(looping, k=pad // 2) if looping else []:
            # back to development and into review again, right after the first review opened
            at = next(n for n, m in enumerate(moves[i]) if m[0] == "start_review") + 1
            moves[i][at:at] = LOOP
        next_comment, next_agreement = first_comment, first_agreement
        per_comment = self.n_comments / self.n
        for k, state in enumerate(states):
            pid = first + k
            next_comment = self._proposal(pid, state, moves[k], next_comment, per_comment)
            if state in {"approved", "filed"}:
                self._agreement(pid, next_agreement)
                next_agreement += 1
        self.history.sort(key=lambda r: r["at"])

    def _moves(self, states: list[str]) -> list[list[Any]]:
        out = []
        for state in states:
            if state in PATH_TO:
                path = [m for s in ORDER[1 : ORDER.index(state) + 1] for m in PATH_TO[s]]
            elif state == "withdrawn":
                left = self.rng.choice(ORDER[:4])
                path = [m for s in ORDER[1 : ORDER.index(left) + 1] for m in PATH_TO[s]]
                path.append(("withdraw", left, "withdrawn"))
            else:  # denied: declined at the signatures
                path = [m for s in ORDER[1:5] for m in PATH_TO[s]]
                path.append(("decline", "awaiting_signatures", "denied"))
            out.append(path)
        return out

    def _proposal(
        self, pid: int, state: str, moves: list[Any], next_comment: int, per_comment: float
    ) -> int:
        rng = self.rng
        case = USE_CASES[pid % len(USE_CASES)]
        path = case.path
        created = self.start + timedelta(days=rng.uniform(0, 1800))
        at = created
        for verb, before, after in moves:
            at += timedelta(days=rng.uniform(0.2, 6))
            self.history.append(
                dict(
                    lifecycle="proposal",
                    subject_id=str(pid),
                    verb=verb,
                    from_state=before,
                    to_state=after,
                    actor="coordinator",
                    at=at,
                    note="",
                )
            )
        answers = {"contacts": CONTACTS, **case.answers, **case.provider_answers}
        answers["use_case_name"] = f"{case.name} ({pid})"
        recipient = self.partner_ids[pid % len(self.partner_ids)]
        requester = self.users["requester"].id if recipient == self.dcs else None
        self.add(
            Proposal,
            id=pid,
            path=path,
            state=state,
            state_since=at,
            version=1,
            answers=answers,
            created_by=requester,
            created_at=created,
            updated_at=at,
        )
        self.add(
            ProposalParty, proposal_id=pid, department_id=self.cdw, side="provider", program=""
        )
        self.add(
            ProposalParty,
            proposal_id=pid,
            department_id=recipient,
            side="recipient",
            program=case.program,
        )
        picked = rng.sample(self.catalog, 15)
        for n, element in enumerate(picked):
            self.add(
                ProposalElement,
                proposal_id=pid,
                removed=n == 14 and state == "filed",
                not_needed="",
                not_needed_by="",
                justification="",
                **element,
            )
        governs = sorted(
            {c.split(":")[0] for e in picked for c in e["classifications"].split("; ") if c}
            | {s for e in picked for s in e["statutes"].split("; ") if s}
        )
        for key in governs:
            self.add(
                ProposalAuthority,
                proposal_id=pid,
                governs=key,
                statement=f"Authority for {key}: CIV § 1798.24(e).",
                stated_by="requester",
                stated_at=created,
            )
        self.add(
            ProposalVersion,
            proposal_id=pid,
            number=1,
            answers=answers,
            elements=[f"{e['dataset_name']}.{e['field_name']}" for e in picked],
            saved_by="requester",
            saved_at=created,
            note="Started from the catalog",
        )
        comments = int(per_comment) + (rng.random() < per_comment % 1)
        thread: list[int] = []
        for _ in range(comments):
            parent = rng.choice(thread) if thread and rng.random() < 0.4 else None
            self.add(
                ProposalComment,
                id=next_comment,
                proposal_id=pid,
                question=rng.choice(QUESTIONS) if parent is None else "",
                parent_id=parent,
                author_id=self.users["coordinator"].id,
                author="Casey Coordinator",
                department_id=self.cdw,
                body=rng.choice(PHRASES),
                at=created + timedelta(days=rng.uniform(0, 60)),
            )
            thread.append(next_comment)
            next_comment += 1
        self._reviews(pid, state, path, recipient, created)
        return next_comment

    def _reviews(self, pid: int, state: str, path: str, recipient: int, at: datetime) -> None:
        rng = self.rng
        if _reached(state, "in_joint_development"):
            for _ in range(rng.randint(0, 3)):
                open_ = state in {"in_joint_development", "in_review"} and rng.random() < 0.3
                self.add(
                    ChangeRequest,
                    proposal_id=pid,
                    question="frequency",
                    proposed="quarterly",
                    reason="Reconciled quarterly.",
                    status="open" if open_ else "accepted",
                    requested_by="coordinator",
                    department_id=self.cdw,
                    requested_at=at,
                    decided_by="",
                    decided_at=None,
                    decision_note="",
                )
        if _reached(state, "in_review"):
            for dept in (self.cdw, recipient):
                for area in PATHS[path].required_opinions:
                    self.add(
                        Opinion,
                        proposal_id=pid,
                        department_id=dept,
                        area=area,
                        author=area,
                        author_name=area.title(),
                        text="Reviewed; no objection.",
                        at=at,
                    )
            for _ in range(rng.randint(0, 2)):
                open_ = state == "in_review" and rng.random() < 0.5
                self.add(
                    Concern,
                    proposal_id=pid,
                    department_id=self.cdw,
                    area="privacy",
                    text="Are small cells suppressed?",
                    raised_by="privacy",
                    raised_at=at,
                    answer="Yes.",
                    answered_by="dcs.coordinator",
                    resolved_by="" if open_ else "privacy",
                    resolved_at=None if open_ else at,
                )
        signed = {
            "awaiting_signatures": [],
            "denied": [(recipient, "sponsor")],
            "awaiting_dc_final_review": [(self.cdw, "sponsor"), (recipient, "sponsor")],
        }.get(state)
        if signed is None and _reached(state, "approved"):
            signed = [(d, k) for k in ("sponsor", "final_review") for d in (self.cdw, recipient)]
        for dept, kind in signed or []:
            self.add(
                Signature,
                proposal_id=pid,
                department_id=dept,
                kind=kind,
                user_id=None,
                name="Signatory",
                title="Chief Deputy Director",
                attestation="I sign.",
                at=at,
            )

    def _agreement(self, pid: int, agreement_id: int) -> None:
        self.add(
            Agreement,
            id=agreement_id,
            proposal_id=pid,
            path="idea",
            approved_at=self.start,
            use_case_name=f"Agreement of {pid}",
            use="Evaluation.",
            authorised_users="Two analysts.",
            start_date=None,
            end_date=None,
            frequency="quarterly",
            transfer_method="sftp",
            format="parquet",
            deidentification="aggregate",
            destruction_return="Destroyed.",
            derived_products="Kept.",
            redisclosure="None.",
            version=1,
        )
        granted = [e for e in self.rows[ProposalElement][-15:] if not e["removed"]]
        for e in granted:
            self.add(
                AgreementElement,
                agreement_id=agreement_id,
                dataset_id=e["dataset_id"],
                field_id=e["field_id"],
                dataset_name=e["dataset_name"],
                field_name=e["field_name"],
                classifications=e["classifications"],
            )

    def insert(self) -> dict[str, int]:
        self.rows[StateChange] = self.history
        engine = get_engine(self.settings.resolved_database_url)
        counts = {}
        with engine.begin() as conn:
            for model, rows in self.rows.items():
                table = model.__table__  # type: ignore[attr-defined]
                for i in range(0, len(rows), CHUNK):
                    conn.execute(insert(table), rows[i : i + CHUNK])
                counts[table.name] = len(rows)
            if engine.dialect.name == "postgresql":
                for model in self.rows:
                    name = model.__table__.name  # type: ignore[attr-defined]
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"(SELECT max(id) FROM {name}))"
                        )
                    )
            conn.execute(text("ANALYZE"))
        return counts


def _reached(state: str, step: str) -> bool:
    if state in ORDER:
        return ORDER.index(state) >= ORDER.index(step)
    return state == "denied" and ORDER.index(step) <= ORDER.index("awaiting_signatures")


# --- measuring --------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(calls: Iterator[Callable[[], object]]) -> list[float]:
    out = []
    for call in calls:
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def signed_in(client: TestClient, username: str) -> TestClient:
    token = CSRF.search(client.get("/login").text)
    assert token is not None
    response = client.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def measure(settings: Settings, requests: int) -> list[tuple[str, list[float], float | None]]:
    from accord.web.app import create_app

    rng = random.Random(5)
    with transaction(settings, read_only=True) as session:
        ids = list(session.scalars(select(Proposal.id)))
        coordinator = actor_for(get_user(session, "coordinator"), via="bench")
        partner = actor_for(get_user(session, "dcs.coordinator"), via="bench")
    sample = [rng.choice(ids) for _ in range(requests)]
    app = create_app(settings, long_lived=True)  # as `accord serve` makes it
    with TestClient(app, raise_server_exceptions=True) as base:
        client = signed_in(base, "coordinator")
        partner_client = signed_in(TestClient(app, raise_server_exceptions=True), "dcs.coordinator")
        # the page is measured once this build has it (the proposal exists: 404 = no route)
        has_page = client.get(f"/proposals/{sample[0]}").status_code != 404

        def bare(pid: int) -> None:
            with transaction(settings, read_only=True) as session:
                session.execute(text("SELECT * FROM proposal WHERE id = :id"), {"id": pid}).one()

        def service(pid: int) -> None:
            with transaction(settings, read_only=True) as session:
                view = overview(session, coordinator, pid)
            with transaction(settings) as session:
                record_reads(session, coordinator, pid, view.restricted_shown)

        def page(who: TestClient, path: str) -> None:
            response = who.get(path)
            assert response.status_code == 200, (path, response.status_code)

        def work(actor: Actor) -> None:
            with transaction(settings, read_only=True) as session:
                my_work(session, actor)

        for pid in sample[:10]:  # warm up: templates compiled, caches filled
            bare(pid)
            service(pid)
            page(client, f"/proposals/{pid}" if has_page else "/")
        for who in (client, partner_client) * 3:  # the home page's template and counts too
            page(who, "/")
        results: list[tuple[str, list[float], float | None]] = []
        results.append(("bare primary-key read", timed(lambda p=p: bare(p) for p in sample), None))
        if has_page:
            results.append(
                (
                    "proposal page GET /proposals/{id}",
                    timed(lambda p=p: page(client, f"/proposals/{p}") for p in sample),
                    100.0,
                )
            )
        else:
            print("(no /proposals/{id} page in this build: measuring the service only)")
        results.append(
            ("overview + record_reads", timed(lambda p=p: service(p) for p in sample), 100.0)
        )
        few = max(20, requests // 4)
        results.append(
            ("my_work, provider coordinator", timed(work_of(work, coordinator, few)), 150.0)
        )
        results.append(
            ("my_work, recipient coordinator", timed(work_of(work, partner, few)), 150.0)
        )
        results.append(
            (
                "home page GET /, provider coordinator",
                timed(lambda: page(client, "/") for _ in range(few)),
                150.0,
            )
        )
        results.append(
            (
                "home page GET /, recipient coordinator",
                timed(lambda: page(partner_client, "/") for _ in range(few)),
                150.0,
            )
        )
    return results


def work_of(
    work: Callable[[Actor], None], actor: Actor, times: int
) -> Iterator[Callable[[], object]]:
    return (lambda: work(actor) for _ in range(times))


def report(results: list[tuple[str, list[float], float | None]]) -> list[str]:
    base = results[0][1]
    b50, b95 = statistics.median(base), percentile(base, 0.95)
    missed = []
    for name, values, target in results:
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        verdict = ""
        if target is not None:
            verdict = f"  target ≤ {target:.0f} ms: {'met' if p95 <= target else 'MISSED'}"
            if p95 > target:
                missed.append(name)
        print(
            f"  {name:<40} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms   "
            f"x{p50 / b50:6.0f} / x{p95 / b95:6.0f} of bare{verdict}"
        )
    return missed


# --- databases --------------------------------------------------------------------------------


@contextmanager
def database(kind: str, folder: Path, pg_server: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'accord.sqlite'}"
        return
    server = make_url(pg_server)
    name = f"accord_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def populate(settings: Settings, args: argparse.Namespace) -> dict[str, int]:
    bulk = Bulk(settings, args.proposals, args.changes, args.comments)
    bulk.build()
    return bulk.insert()


def reachable(server: str) -> bool:
    engine = create_engine(server, poolclass=NullPool)
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def run(kind: str, args: argparse.Namespace) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp), args.pg) as url:
        folder = Path(tmp)
        settings = Settings(
            database_url=url,
            data_dir=folder,
            secret_key="bench-key-" + "b" * 32,
            _env_file=None,  # type: ignore[call-arg]
        )
        started = time.perf_counter()
        upgrade_database(url)
        seed_demo(settings, Actor.system(via="bench"), events=500)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        counts = populate(settings, args)
        took = time.perf_counter() - started
        gc.collect()  # the generated rows are gone: collections in the timings are the app's
        print(
            f"\n[{kind}] demo seeded in {seeded:.1f} s; bulk insert in {took:.1f} s: "
            + ", ".join(f"{n:,} {t}" for t, n in counts.items())
        )
        return report(measure(settings, args.requests))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--proposals", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=200_000)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg", default=PG_SERVER, help="PostgreSQL server for a scratch database")
    args = parser.parse_args()
    missed = []
    for kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        if kind == "postgresql" and not reachable(args.pg):
            print(f"\n[postgresql] skipped: no server at {args.pg}")
            continue
        missed += [f"{kind}: {m}" for m in run(kind, args)]
    if missed:
        raise SystemExit("targets missed: " + "; ".join(missed))


if __name__ == "__main__":
    main()
