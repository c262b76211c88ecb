"""The job table: one row per piece of long work, the single record pages and workers share."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.auth.actor import Actor
from accord.auth.permissions import Relation
from accord.db.base import Base, UtcDateTime, utcnow

ACTIVE = ("queued", "running")


class Job(Base):
    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # the registered handler, e.g. "harvest"
    subject: Mapped[str] = mapped_column(String(200), default="")  # what it works on, for people
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    who: Mapped[str] = mapped_column(String(64), default="")  # username that asked for it
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    worker_id: Mapped[str] = mapped_column(String(128), default="")  # host:pid while running
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def relations_to(self, actor: Actor) -> frozenset[Relation]:
        return frozenset({Relation.OWNER}) if self.who == actor.username else frozenset()
