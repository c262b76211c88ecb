"""The one history every lifecycle writes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base, UtcDateTime, utcnow


class StateChange(Base):
    """One move of one record through its lifecycle: who, when, from, to, and why."""

    __tablename__ = "state_change"
    __table_args__ = (Index("ix_state_change_subject", "lifecycle", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lifecycle: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    verb: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
