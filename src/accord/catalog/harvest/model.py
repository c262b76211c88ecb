"""What a harvester returns: plain values, no database session, so harvesters stay pure.

The catalog merges a ``Harvest`` into what people already wrote (see catalog.drift); a
harvester never writes to the catalog itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accord.jobs.progress import JobCancelled


@dataclass(frozen=True)
class HarvestedField:
    name: str
    position: int
    data_type: str  # as the source names it, e.g. "VARCHAR(40)", "integer", "string(date)"
    nullable: bool = True
    primary_key: bool = False
    comment: str = ""  # the description already stored in the source (column comment, OpenAPI)
    classifications: tuple[str, ...] = ()  # from x- extension keys (OpenAPI) when present
    statutes: tuple[str, ...] = ()  # e.g. "WIC 10850(a)" from x- extension keys
    valid_values: tuple[str, ...] = ()  # enum members, when the source states them
    foreign_key: str = ""  # "table.column" this field refers to


@dataclass(frozen=True)
class HarvestedDataset:
    name: str  # unique within the source: "schema.table", file name, or schema name
    kind: str  # "table", "view", "extract", "api"
    schema: str = ""
    comment: str = ""
    row_count: int | None = None  # an estimate where the source offers one cheaply
    fields: tuple[HarvestedField, ...] = ()


@dataclass
class Harvest:
    source_kind: str  # "database", "files", "openapi"
    datasets: list[HarvestedDataset] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. a table that could not be read


class HarvestCancelled(JobCancelled):
    """The caller asked to stop; nothing has been written.

    Harvesters take a ``accord.jobs.progress.Progress``, called between datasets; raising
    this from it stops the harvest cleanly."""

    def __init__(self, message: str = "Cancelled; the catalog was not changed.") -> None:
        super().__init__(message)
