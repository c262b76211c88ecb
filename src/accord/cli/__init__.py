"""The ``accord`` command line: a thin layer over the same services as the web and API."""

from accord.cli.main import app, main

__all__ = ["app", "main"]
