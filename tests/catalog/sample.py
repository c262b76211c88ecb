"""A small real SQLite source database, like a program's system would have."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def make_sqlite_source(path: Path, *, extra_column: bool = False) -> str:
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            DROP VIEW IF EXISTS active_client;
            DROP TABLE IF EXISTS visit;
            DROP TABLE IF EXISTS client;
            CREATE TABLE client (
                client_id INTEGER PRIMARY KEY,
                full_name TEXT NOT NULL,
                ssn TEXT,
                birth_date DATE,
                county TEXT
            );
            CREATE TABLE visit (
                visit_id INTEGER PRIMARY KEY,
                client_id INTEGER NOT NULL REFERENCES client(client_id),
                visit_date DATE NOT NULL,
                diagnosis_code TEXT
            );
            CREATE VIEW active_client AS SELECT client_id, county FROM client;
            INSERT INTO client VALUES (1, 'Ana Example', '900-11-2222', '1980-01-02', 'Yolo');
            """
        )
        if extra_column:
            conn.execute("ALTER TABLE client ADD COLUMN phone TEXT")
    return f"sqlite:///{path}"
