"""Persisted long work: harvests today, fulfillment and publishing next.

A job is a row in Accord's own database (``job``): kind, subject, who asked, status, progress
and message, so pages show the same thing on SQLite and PostgreSQL. A worker process
(``accord worker``; ``accord serve`` starts one) claims queued jobs, runs the handler
registered for their kind, and writes a heartbeat while it runs; a job whose heartbeat stops
(the worker was killed) is marked failed by the next sweep, never left "running".

This package knows nothing of the capabilities that use it: each registers a handler for its
kind (``registry.register``) when its module is imported.

Why no queue library: the job row must live in Accord's own database, because pages show its
progress, who and status the same way on SQLite and PostgreSQL. huey keeps its queue in its own
store (SqliteHuey for SQLite, Redis otherwise) and procrastinate runs on PostgreSQL only; either
would mean two code paths and a second source of truth to keep in step with this table. The
claim (one conditional UPDATE; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and the heartbeat
sweep are a few dozen lines over one table.
"""
