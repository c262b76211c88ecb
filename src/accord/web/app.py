"""The FastAPI application: pages, the JSON API, static files, and error rendering."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from accord import __version__
from accord.config import Settings, get_settings
from accord.db.engine import size_pool
from accord.web import errors
from accord.web.api import accounts as accounts_api
from accord.web.api import attachments as attachments_api
from accord.web.api import catalog as catalog_api
from accord.web.api import deid as deid_api
from accord.web.api import describe as describe_api
from accord.web.api import fulfillment as fulfillment_api
from accord.web.api import proposals as proposals_api
from accord.web.context import RequestContext
from accord.web.limits import BodySizeLimit
from accord.web.pages import accounts, public, sso, users
from accord.web.pages import audit as audit_pages
from accord.web.pages import fulfillment as fulfillment_pages
from accord.web.pages.catalog import datasets, describe
from accord.web.pages.deid import releases, tables
from accord.web.pages.proposals import router as proposal_pages
from accord.web.render import templates

STATIC = Path(__file__).parent / "static"


def app_from_environment() -> FastAPI:
    """The app of one web server process, its settings from the environment: what uvicorn
    imports (``accord.web.app:app_from_environment``, a factory) in each process it starts
    when `accord serve` runs several. The parent has already migrated the database."""
    settings = get_settings()
    size_pool(settings.threads_per_worker)
    return create_app(settings, long_lived=True)


def create_app(settings: Settings, *, long_lived: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Sync routes run in anyio's thread pool, each holding a database connection: no
        # more at once than the pool has (anyio's default is 40; under load 8 answered
        # more requests sooner than 30, which mostly waited for the GIL).
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = settings.threads_per_worker
        if long_lived:
            # What exists once a server's app is up (modules, routes, templates, the ORM's
            # mappings) lives as long as the process: frozen, the collector's full passes stop
            # walking it, and a page that allocates much no longer pauses for them (a busy
            # home page's p95 in bench/proposals_bench.py: 250 ms -> 74 ms, p50 66 ms). Not
            # for apps a test makes and drops: frozen, their cycles would never be freed.
            gc.collect()
            gc.freeze()
            # A server's templates change only with a new release: no stat of each template
            # (and of every template it extends or imports) on every page.
            templates.env.auto_reload = False
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="Accord",
        version=__version__,
        description="Data sharing under the CalHHS Data-Sharing Guidebook.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # A request tries the routes in this order until one matches: the busiest first, the
    # catalog's pages and API (matching took 8% of a loaded server's CPU when they came after
    # the accounts, sign-in, users and audit routes).
    app.include_router(datasets.router)  # with the catalog's sources, library and inventory
    app.include_router(describe.router)
    app.include_router(catalog_api.router)
    app.include_router(accounts.router)
    app.include_router(public.router)
    app.include_router(sso.router)
    app.include_router(users.router)
    app.include_router(audit_pages.router)
    app.include_router(tables.router)
    app.include_router(releases.router)
    app.include_router(proposal_pages)
    app.include_router(fulfillment_pages.router)
    app.include_router(accounts_api.router)
    app.include_router(describe_api.router)
    app.include_router(deid_api.router)
    app.include_router(proposals_api.router)
    app.include_router(attachments_api.router)
    app.include_router(fulfillment_api.router)
    errors.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_mb * 2**20)

    app.add_middleware(RequestContext, secure_cookies=settings.secure_cookies)
    return app
