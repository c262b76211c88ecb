"""Proposals (BUCP) from the command line: the basket, starting, listing, reading, moving and
comparing versions. The same services as the API; the acting user is ``--as`` or
ACCORD_TOKEN (cli/context.py).

Restricted content a command prints is written to the audit log in the command's own
transaction, which commits before anything is printed: a read that cannot be recorded is not
shown.

The services load in the commands that use them, so that `accord proposal --help` starts at
once (their models bring in the whole database layer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from accord.cli.context import AsUser, out, unit_of_work
from accord.proposals.form import BY_KEY, DEFAULT_PATH, PATHS, SECTIONS, questions_for
from accord.proposals.state_names import ProposalState

if TYPE_CHECKING:
    from accord.proposals.overview import Overview

proposal_app = typer.Typer(
    help="Business use case proposals (BUCP): ask another department for data.",
    no_args_is_help=True,
)
basket_app = typer.Typer(help="The fields picked for your next proposal.", no_args_is_help=True)
proposal_app.add_typer(basket_app, name="basket")

ProposalId = Annotated[int, typer.Argument(min=1, help="The proposal's number.")]
NONE = Text("—", style="dim")


def _restricted(question: str) -> bool:
    return question in BY_KEY and BY_KEY[question].restricted


# --- basket -----------------------------------------------------------------------------------


@basket_app.command("add")
def basket_add(
    dataset: Annotated[str, typer.Argument(help="Dataset id, SOURCE/NAME, or unique name.")],
    field: Annotated[
        list[str] | None, typer.Argument(help="Field names; none adds every field.")
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Add a dataset's fields (all, or the named ones) to your basket."""
    from accord.catalog.datasets import find_dataset
    from accord.catalog.fields import find_field
    from accord.proposals import basket

    with unit_of_work(as_user) as (session, actor, _):
        found = find_dataset(session, actor, dataset)
        ids = [find_field(session, actor, str(found.id), f).id for f in field or []]
        added = basket.add_to_basket(
            session, actor, dataset_id=None if ids else found.id, field_ids=ids
        )
        total = len(basket.basket(session, actor))
    out.print(f"Added {added} field(s) of {found.name}; the basket holds {total}.")


@basket_app.command("list")
def basket_list(as_user: AsUser = None) -> None:
    """The fields in your basket."""
    from accord.proposals import basket

    with unit_of_work(as_user) as (session, actor, _):
        lines = basket.basket(session, actor)
    if not lines:
        out.print("The basket is empty: add fields with `accord proposal basket add`.")
        return
    table = Table("field id", "dataset", "field", "label", "note")
    for line in lines:
        note = "left the catalog" if line.removed else ""
        table.add_row(str(line.field_id), line.dataset, line.field, Text(line.label), note)
    out.print(table)


# --- proposals --------------------------------------------------------------------------------


@proposal_app.command("start")
def start(
    name: Annotated[str, typer.Option("--name", help="The use case name.")] = "",
    path: Annotated[str, typer.Option(help=f"Governance path: {', '.join(PATHS)}.")] = (
        DEFAULT_PATH
    ),
    program: Annotated[str, typer.Option(help="The requesting program.")] = "",
    as_user: AsUser = None,
) -> None:
    """Start a draft from the fields in your basket (which it empties)."""
    from accord.proposals import drafting

    with unit_of_work(as_user) as (session, actor, _):
        proposal = drafting.start_proposal(
            session, actor, use_case_name=name, path=path, program=program
        )
        fields = len(drafting.elements(session, proposal))
    out.print(f"Started proposal {proposal.id} ({proposal.title}) asking for {fields} field(s).")


@proposal_app.command("list")
def list_(
    state: Annotated[ProposalState | None, typer.Option(help="Only in this state.")] = None,
    side: Annotated[str | None, typer.Option(help="provider | recipient")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_user: AsUser = None,
) -> None:
    """The proposals your department is party to, newest first."""
    from accord.proposals.work import list_proposals

    with unit_of_work(as_user) as (session, actor, _):
        rows, total = list_proposals(
            session,
            actor,
            state=state.value if state else None,
            side=side,
            limit=limit,
            offset=offset,
        )
    if not rows:
        out.print("No proposals." if total == 0 else f"No proposals past {offset} of {total}.")
        return
    table = Table("id", "title", "state", "side", "path", "updated", title=f"{total} proposal(s)")
    for r in rows:
        updated = f"{r.updated_at:%Y-%m-%d %H:%M}"
        table.add_row(str(r.id), Text(r.title), r.state, r.side, r.path, updated)
    out.print(table)


@proposal_app.command("show")
def show(proposal_id: ProposalId, as_user: AsUser = None) -> None:
    """The proposal as you may see it, section by section; restricted answers only if your
    role may read them (and each such reading is audited)."""
    from accord.proposals.access import record_reads
    from accord.proposals.overview import overview

    with unit_of_work(as_user) as (session, actor, _):
        seen = overview(session, actor, proposal_id)
        record_reads(session, actor, proposal_id, seen.restricted_shown)
        view = _render(seen)
    out.print(view)


def _render(ov: Overview) -> RenderableType:
    from accord.proposals.states import VERB_LABELS

    p = ov.proposal
    parties = "; ".join(
        f"{x.side}: {x.name} ({x.code})" + (f", {x.program}" if x.program else "")
        for x in ov.parties
    )
    head = Text.assemble(
        (f"{ov.state_label}", "bold"),
        f" since {p.state_since:%Y-%m-%d}, version {p.version}\n",
        f"{ov.path.name}\n{parties}",
        *((f"\nAgreement {ov.agreement.id}", "bold green"),) if ov.agreement else (),
    )
    parts: list[RenderableType] = [Panel(head, title=Text(f"Proposal {p.id}: {p.title}"))]
    for section in SECTIONS:
        parts.append(_answers(ov, section))
    parts += [_elements(ov), _authority(ov), *_discussion(ov), *_reviews(ov), _history(ov)]
    moves = ", ".join(f"{v} ({VERB_LABELS.get(v, v)})" for v in ov.verbs) or "none"
    parts.append(Text.assemble(("Your moves now: ", "bold"), moves))
    for step, problems in ov.problems.items():
        parts.append(Text(f"Before {step}:", style="bold yellow"))
        parts += [Text(f"  - {message}") for message in problems]
    return Group(*parts)


def _answers(ov: Overview, section: str) -> Table:
    table = Table("question", "answer", title=section, title_justify="left", show_lines=True)
    for q in questions_for(ov.path.code):
        if q.section != section:
            continue
        label = Text(ov.path.label(q.key, q.label), style="bold")
        if q.restricted:
            label.append(" (restricted)", style="magenta")
        if q.key in ov.hidden:
            value = Text("withheld: your role may not read it", style="magenta")
        else:
            answer = str(ov.answers.get(q.key, ""))
            value = Text(answer) if answer else NONE
        table.add_row(label, value)
    return table


def _elements(ov: Overview) -> Table:
    from accord.proposals.drafting import SEP

    table = Table("id", "dataset", "field", "classification", "statutes", "note", title="Fields")
    table.title_justify = "left"
    for e in ov.elements:
        notes = []
        if e.removed:
            notes.append("removed by the recipient")
        if e.field_id in ov.left_catalog:
            notes.append("no longer in the catalog")
        if e.not_needed:
            notes.append(f"not needed ({e.not_needed_by}): {e.not_needed}")
        if e.justification:
            notes.append(f"justified: {e.justification}")
        table.add_row(
            str(e.id),
            e.dataset_name,
            e.field_name,
            e.classifications.replace(SEP, ", "),
            e.statutes.replace(SEP, ", "),
            Text("\n".join(notes)),
        )
    return table


def _authority(ov: Overview) -> Table:
    table = Table("governs", "legal authority", title="Legal authority", title_justify="left")
    for key in ov.governing:
        stated = ov.authorities.get(key)
        table.add_row(key, Text(f"{stated.statement} ({stated.stated_by})") if stated else NONE)
    return table


def _discussion(ov: Overview) -> list[RenderableType]:
    parts: list[RenderableType] = []
    if ov.comments:
        table = Table("#", "on", "by", "comment", title="Comments", title_justify="left")
        for c in ov.comments:
            reply = f"↳ {c.parent_id} " if c.parent_id else ""
            table.add_row(str(c.id), reply + (c.question or "—"), Text(c.author), Text(c.body))
        parts.append(table)
    if ov.changes:
        table = Table("#", "question", "proposed", "by", "status", title="Change requests")
        table.title_justify = "left"
        for ch in ov.changes:
            table.add_row(str(ch.id), ch.question, Text(ch.proposed), ch.requested_by, ch.status)
        parts.append(table)
    return parts


def _reviews(ov: Overview) -> list[RenderableType]:
    def dept(department_id: int) -> str:
        party = ov.department(department_id)
        return party.code if party else str(department_id)

    parts: list[RenderableType] = []
    if ov.opinions:
        table = Table("department", "area", "by", "registered opinion", title="Opinions")
        table.title_justify = "left"
        for o in ov.opinions:
            table.add_row(dept(o.department_id), o.area, Text(o.author_name), Text(o.text))
        parts.append(table)
    if ov.missing_opinions:
        missing = ", ".join(f"{dept(d)} {area}" for d, area in ov.missing_opinions)
        parts.append(Text.assemble(("Opinions still missing: ", "bold"), missing))
    if ov.concerns:
        table = Table("#", "department", "area", "concern", "answer", "status", title="Concerns")
        table.title_justify = "left"
        for c in ov.concerns:
            status = f"resolved by {c.resolved_by}" if not c.is_open else "open"
            table.add_row(
                str(c.id), dept(c.department_id), c.area, Text(c.text), Text(c.answer), status
            )
        parts.append(table)
    if ov.signatures:
        table = Table("department", "kind", "name", "title", "date", title="Signatures")
        table.title_justify = "left"
        for s in ov.signatures:
            kind = "executive sponsor" if s.kind == "sponsor" else "final review"
            table.add_row(
                dept(s.department_id), kind, Text(s.name), Text(s.title), f"{s.at:%Y-%m-%d}"
            )
        parts.append(table)
    return parts


def _history(ov: Overview) -> Table:
    table = Table("when", "move", "to", "by", "note", title="History", title_justify="left")
    for h in ov.history:
        to = ProposalState(h.to_state).label
        table.add_row(f"{h.at:%Y-%m-%d %H:%M}", h.verb, to, h.actor, Text(h.note))
    return table


@proposal_app.command("transition")
def transition(
    proposal_id: ProposalId,
    verb: Annotated[
        str,
        typer.Argument(help="The move: `accord proposal show N` lists those you may make now."),
    ],
    note: Annotated[str, typer.Option(help="Why (needed to decline or withdraw).")] = "",
    as_user: AsUser = None,
) -> None:
    """Make one lifecycle move (exit 5 if it cannot be made now, 2 listing what is missing)."""
    from accord.proposals import drafting
    from accord.proposals.states import PROPOSAL, state_label

    with unit_of_work(as_user) as (session, actor, _):
        proposal = drafting.transition(session, actor, proposal_id, verb, note)
        label = state_label(proposal)
        moves = [t.verb for t in PROPOSAL.allowed(proposal, actor)]
    out.print(f"Proposal {proposal_id} is now {label.lower()}.")
    out.print(f"Your moves now: {', '.join(moves) or 'none'}.")


@proposal_app.command("diff")
def diff(
    proposal_id: ProposalId,
    a: Annotated[int, typer.Argument(min=1, help="The earlier version.")],
    b: Annotated[int, typer.Argument(min=1, help="The later version.")],
    as_user: AsUser = None,
) -> None:
    """Two versions compared question by question, and the fields added or removed."""
    from accord.proposals import drafting
    from accord.proposals.access import record_reads

    with unit_of_work(as_user) as (session, actor, _):
        changes, added, removed = drafting.diff(session, actor, proposal_id, a, b)
        shown = [c.key for c in changes if not c.restricted and _restricted(c.key)]
        record_reads(session, actor, proposal_id, shown)
    if not (changes or added or removed):
        out.print(f"Versions {a} and {b} of proposal {proposal_id} do not differ.")
        return
    if changes:
        table = Table("question", f"version {a}", f"version {b}", show_lines=True)
        table.title = f"Proposal {proposal_id}: answers changed"
        for c in changes:
            if c.restricted:
                hidden = Text("changed (restricted: your role may not read it)", style="magenta")
                table.add_row(Text(c.label, style="bold"), hidden, hidden)
            else:
                before, after = str(c.before), str(c.after)
                table.add_row(
                    Text(c.label, style="bold"),
                    Text(before) if before else NONE,
                    Text(after) if after else NONE,
                )
        out.print(table)
    for title, names in (("Fields added", added), ("Fields removed", removed)):
        if names:
            out.print(Text.assemble((f"{title}: ", "bold"), ", ".join(names)))


def register(app: typer.Typer) -> None:
    app.add_typer(proposal_app, name="proposal")
