"""The public-records release of a proposal (BUCP.md §1.3): what the department discloses
under the Public Records Act, as JSON and as a printable HTML page.

Built from an allow-list, never by deleting from the full record: restricted answers, the
requester's legal-authority statements, registered opinions, concerns, comments and change
requests are not read at all, so nothing restricted can slip into the output.
"""

from __future__ import annotations

from html import escape
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.models import Department
from accord.proposals import drafting, reviews
from accord.proposals.access import load
from accord.proposals.form import PATHS, QUESTIONS, SECTIONS
from accord.proposals.states import PROPOSAL, state_label

WITHHELD = "Withheld: restricted under the department's data-sharing policy."


def public_record(session: Session, actor: Actor, proposal_id: int) -> dict[str, Any]:
    proposal = load(session, actor, proposal_id)
    path = PATHS[proposal.path]
    names = dict(
        session.execute(
            select(Department.id, Department.name).where(Department.id.in_(proposal.departments()))
        ).all()
    )
    sections: dict[str, list[dict[str, str]]] = {s: [] for s in SECTIONS}
    for q in QUESTIONS:
        if proposal.path not in q.paths:
            continue
        label = path.label(q.key, q.label)
        if q.restricted:
            value = WITHHELD if proposal.answers.get(q.key) else ""
        else:
            value = str(proposal.answers.get(q.key, ""))
        sections[q.section].append({"question": label, "answer": value})
    record = {
        "proposal": proposal.id,
        "title": proposal.title,
        "governance": path.name,
        "state": state_label(proposal),
        "parties": [
            {"department": names[p.department_id], "side": p.side, "program": p.program}
            for p in proposal.parties
        ],
        "sections": sections,
        "data_elements": [
            {
                "dataset": e.dataset_name,
                "field": e.field_name,
                "label": e.label,
                "classifications": e.classifications,
                "statutes": e.statutes,
            }
            for e in drafting.elements(session, proposal)
            if not e.removed
        ],
        "legal_authority": {
            "governs": drafting.governing(session, proposal),
            "statements": WITHHELD,
        },
        "signatures": [
            {
                "department": names.get(s.department_id, ""),
                "kind": "Executive sponsor"
                if s.kind == "sponsor"
                else "Data coordinator final review",
                "name": s.name,
                "title": s.title,
                "date": s.at.date().isoformat(),
            }
            for s in reviews.signatures(session, proposal)
        ],
        "history": [
            {"date": c.at.date().isoformat(), "from": c.from_state, "to": c.to_state}
            for c in PROPOSAL.history(session, proposal.id)
        ],
        "withheld": (
            "Restricted answers (security, privacy, data management, risks, positions), legal "
            "authority statements, registered opinions, concerns and the working discussion."
        ),
    }
    audit.record(session, actor, "proposal.public_record", "proposal", proposal.id)
    return record


def to_html(record: dict[str, Any]) -> str:
    e = escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Proposal {record['proposal']}: {e(record['title'])}</title>",
        "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem}th,td{text-align:left;vertical-align:top;padding:.3rem .6rem;"
        "border-bottom:1px solid #ccc}table{border-collapse:collapse;width:100%}</style>",
        "</head><body>",
        f"<h1>{e(record['title'])}</h1>",
        f"<p>Proposal {record['proposal']} under the {e(record['governance'])}; "
        f"state: {e(record['state'])}.</p>",
        "<h2>Parties</h2><ul>",
        *(
            f"<li>{e(p['department'])} ({e(', '.join(filter(None, (p['side'], p['program']))))})"
            "</li>"
            for p in record["parties"]
        ),
        "</ul>",
    ]
    for section, rows in record["sections"].items():
        parts.append(f"<h2>{e(section)}</h2><table>")
        parts += [
            f"<tr><th scope='row'>{e(r['question'])}</th><td>{e(r['answer']) or '—'}</td></tr>"
            for r in rows
        ]
        parts.append("</table>")
    parts.append(
        "<h2>Data elements</h2><table><tr><th>Dataset</th><th>Field</th><th>Label</th>"
        "<th>Classification</th><th>Statutes</th></tr>"
    )
    parts += [
        f"<tr><td>{e(x['dataset'])}</td><td>{e(x['field'])}</td><td>{e(x['label'])}</td>"
        f"<td>{e(x['classifications'])}</td><td>{e(x['statutes'])}</td></tr>"
        for x in record["data_elements"]
    ]
    parts.append("</table><h2>Legal authority</h2>")
    governs = ", ".join(record["legal_authority"]["governs"]) or "none"
    parts.append(f"<p>Governing classifications and statutes: {e(governs)}.</p>")
    parts.append(f"<p>{e(record['legal_authority']['statements'])}</p><h2>Signatures</h2><ul>")
    parts += [
        f"<li>{e(s['kind'])}, {e(s['department'])}: {e(s['name'])}, {e(s['title'])}, "
        f"{e(s['date'])}</li>"
        for s in record["signatures"]
    ]
    parts.append(f"</ul><h2>Withheld</h2><p>{e(record['withheld'])}</p></body></html>")
    return "\n".join(parts)
