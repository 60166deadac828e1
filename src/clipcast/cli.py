"""The `clipcast` command: serve, migrate, upload, videos ls."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from clipcast.settings import Settings

app = typer.Typer(help="clipcast: a self-hostable video platform.", no_args_is_help=True)
videos_app = typer.Typer(help="List and inspect videos.", no_args_is_help=True)
app.add_typer(videos_app, name="videos")
search_app = typer.Typer(help="Manage this node's search index.", no_args_is_help=True)
app.add_typer(search_app, name="search")
counters_app = typer.Typer(help="Popularity counters (SQL or Redis).", no_args_is_help=True)
app.add_typer(counters_app, name="counters")
activity_app = typer.Typer(help="The activity log.", no_args_is_help=True)
app.add_typer(activity_app, name="activity")
recs_app = typer.Typer(help="Recommendations.", no_args_is_help=True)
app.add_typer(recs_app, name="recs")
edge_app = typer.Typer(help="The CDN edge (nginx) of scaled mode.", no_args_is_help=True)
app.add_typer(edge_app, name="edge")
console = Console()


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from clipcast.db.migrate import upgrade

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url())
    console.print("[green]database is up to date[/green]")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
) -> None:
    """Everything in one process: API, web UI, CDN route and the transcode worker."""
    import uvicorn

    from clipcast.db.migrate import upgrade
    from clipcast.web.app import create_app

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url())
    console.print(
        f"clipcast on [bold]http://{host}:{port}/[/bold]  (data in {settings.data_dir.resolve()})"
    )
    from clipcast.ops.logs import configure_logging

    configure_logging(media_requests=settings.log_media_requests)
    application = create_app(settings)
    _tune_gc()
    uvicorn.run(application, host=host, port=port, log_config=None, proxy_headers=True)


def _tune_gc() -> None:
    """Fewer and cheaper garbage collections for a long-running process. Requests and bus
    events allocate many short-lived objects; with the default thresholds the collector took
    about a fifth of the CPU of the API + relay + activity consumer under activity load
    (py-spy), and these settings took that pipeline from 130 to 93 µs of CPU per event. What
    is alive at start-up (modules, the app) is frozen, so full collections stop walking it
    again and again."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


@contextlib.contextmanager
def _api_errors() -> Iterator[None]:
    """An API refusal is one readable line and exit status 1, not a traceback."""
    from clipcast.client import ApiError

    try:
        yield
    except ApiError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None


@app.command()
def api(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
) -> None:
    """HTTP only (API, pages, CDN route) plus the outbox relay; workers run elsewhere."""
    import uvicorn

    from clipcast.ops.logs import configure_logging
    from clipcast.runtime import Role
    from clipcast.web.app import create_app

    settings = Settings()
    configure_logging(media_requests=settings.log_media_requests)
    application = create_app(settings, roles={Role.RELAY})
    _tune_gc()
    uvicorn.run(application, host=host, port=port, log_config=None, proxy_headers=True)


@app.command()
def worker(
    role: Annotated[
        list[str],
        typer.Option(
            "--role",
            help="transcode, thumbnails, search, activity, relay or all (repeatable).",
        ),
    ],
) -> None:
    """Background work without HTTP; SIGTERM finishes or releases the work in hand, then exits."""
    import asyncio

    from clipcast.bootstrap import build_adapters
    from clipcast.ops.logs import configure_logging
    from clipcast.runtime import Role, expand, run_worker_process

    try:
        roles = expand([Role(r) for r in role])
    except ValueError:
        console.print(f"[red]error:[/red] roles are {', '.join(r.value for r in Role)}")
        raise typer.Exit(2) from None
    configure_logging()
    adapters = build_adapters(Settings())
    _tune_gc()
    asyncio.run(run_worker_process(adapters, roles))


def _token(username: str | None, password: str | None) -> tuple[str, str]:
    from clipcast import client

    settings = Settings()
    if settings.api_token and not username:
        return settings.server_url, settings.api_token
    name = username or typer.prompt("username")
    secret = password or typer.prompt("password", hide_input=True)
    return settings.server_url, client.login(settings.server_url, name, secret)


@app.command()
def upload(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    title: Annotated[str, typer.Option(help="Title of the video.")],
    description: Annotated[str, typer.Option(help="Description.")] = "",
    visibility: Annotated[str, typer.Option(help="public, unlisted or private.")] = "public",
    wait: Annotated[bool, typer.Option("--wait", help="Wait until it is ready.")] = False,
    username: Annotated[
        str | None, typer.Option(help="Log in as (else CLIPCAST_API_TOKEN).")
    ] = None,
    password: Annotated[str | None, typer.Option(help="Password (prompted if missing).")] = None,
) -> None:
    """Upload FILE with resumable tus, with progress bars for upload and processing."""
    meta = {"filename": file.name, "title": title, "description": description}
    meta["visibility"] = visibility
    with _api_errors():
        server, token = _token(username, password)
        video_id = _send(server, token, file, meta)
        console.print(f"uploaded: video [bold]{video_id}[/bold]")
        if not wait:
            return
        video = _await_processing(server, token, video_id)
    if video["state"] == "failed":
        console.print(f"[red]failed:[/red] {video['failure_reason']}")
        raise typer.Exit(1)
    console.print(f"[green]ready[/green]: {video['playback']['hls']}")


def _send(server: str, token: str, file: Path, meta: dict[str, str]) -> str:
    from clipcast import client

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
    with Progress(*columns, TransferSpeedColumn(), console=console) as bars:
        task = bars.add_task("upload", total=file.stat().st_size)
        return client.upload(
            server, token, file, meta, lambda sent, _t: bars.update(task, completed=sent)
        )


def _await_processing(server: str, token: str, video_id: str) -> dict[str, Any]:
    from clipcast import client

    percent = TextColumn("{task.percentage:>3.0f}%")
    with Progress(TextColumn("{task.description}"), BarColumn(), percent, console=console) as bars:
        task = bars.add_task("processing", total=100)
        return client.wait_until_done(
            server, token, video_id, lambda v: bars.update(task, completed=v["progress"])
        )


@videos_app.command("ls")
def videos_ls(
    mine: Annotated[bool, typer.Option("--mine", help="Only my videos (needs login).")] = False,
    username: Annotated[str | None, typer.Option()] = None,
    password: Annotated[str | None, typer.Option()] = None,
) -> None:
    """List public videos, or your own with --mine."""
    from clipcast import client

    settings = Settings()
    with _api_errors():
        server, token = (
            _token(username, password) if mine else (settings.server_url, settings.api_token)
        )
        page = client.list_videos(server, token, mine=mine)
    table = Table("id", "title", "state", "progress", "duration", "visibility")
    for v in page["items"]:
        duration = f"{v['duration']:.1f}s" if v["duration"] else "-"
        table.add_row(
            v["id"], v["title"], v["state"], f"{v['progress']}%", duration, v["visibility"]
        )
    console.print(table)
    console.print(f"{page['total']} video(s)")


async def _reindex() -> int:
    from clipcast.bootstrap import build_adapters
    from clipcast.search.service import reindex_all

    adapters = build_adapters(Settings())
    try:
        return await reindex_all(sessions=adapters.sessions, index=adapters.search)
    finally:
        await adapters.close()


@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild this node's search index from SQL (with the node's CLIPCAST_* settings)."""
    import asyncio

    from clipcast.adapters.search.base import IndexLocked

    try:
        count = asyncio.run(_reindex())
    except IndexLocked as exc:
        console.print(
            f"[red]error:[/red] {exc}. A running clipcast process owns it: stop that process, "
            "or rebuild into another CLIPCAST_SEARCH_DIR and point the node there."
        )
        raise typer.Exit(1) from None
    console.print(f"[green]search index rebuilt[/green]: {count} video(s)")


@contextlib.asynccontextmanager
async def _activity_deps() -> AsyncIterator[tuple[Any, Any]]:
    """Sessions and counters only: no search index or storage to open beside a running node."""
    from clipcast.bootstrap import build_counters
    from clipcast.db.session import make_engine, make_sessionmaker

    settings = Settings()
    engine = make_engine(settings.resolved_database_url())
    sessions = make_sessionmaker(engine)
    counters = build_counters(settings, sessions)
    try:
        yield sessions, counters
    finally:
        await counters.close()
        await engine.dispose()


async def _rebuild_counters() -> Any:
    from clipcast.activity.rebuild import rebuild_counters
    from clipcast.core.clock import utcnow

    async with _activity_deps() as (sessions, counters):
        return await rebuild_counters(sessions=sessions, counters=counters, now=utcnow())


@counters_app.command("rebuild")
def counters_rebuild() -> None:
    """Recompute every counter from SQL (after a Redis wipe). Exact with the activity workers
    stopped; with them running, run it again once they are idle."""
    import asyncio

    done = asyncio.run(_rebuild_counters())
    console.print(
        f"[green]counters rebuilt[/green]: {done.videos} video(s), {done.clips} clip point(s), "
        f"{done.comments} comment(s); {done.pending} batch(es) in flight marked applied"
    )


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _export(since: datetime, until: datetime | None) -> int:
    import sys

    from clipcast.activity.export import export_csv

    async with _activity_deps() as (sessions, _counters):
        return await export_csv(sessions=sessions, since=since, until=until, out=sys.stdout)


@activity_app.command("export")
def activity_export(
    since: Annotated[str, typer.Option(help="First moment, ISO 8601 (UTC if no zone).")],
    until: Annotated[str | None, typer.Option(help="End (excluded); default: now.")] = None,
) -> None:
    """Write the activity log's events as CSV to stdout, oldest first, for learning."""
    import asyncio

    try:
        start, end = _moment(since), _moment(until) if until else None
    except ValueError:
        Console(stderr=True).print("[red]error:[/red] --since/--until take ISO 8601 times")
        raise typer.Exit(2) from None
    count = asyncio.run(_export(start, end))
    Console(stderr=True).print(f"{count} event(s) exported")


@edge_app.command("nginx-config")
def edge_nginx_config(
    listen: Annotated[str, typer.Option(help="nginx's listen address.")] = "127.0.0.1:8080",
    api: Annotated[
        list[str] | None, typer.Option("--api", help="host:port of an API process (repeatable).")
    ] = None,
    state_dir: Annotated[
        Path | None, typer.Option(help="pid, logs, temp and cache (default: data dir/edge).")
    ] = None,
    user: Annotated[str | None, typer.Option(help="Workers' user when started as root.")] = None,
    cache_size: Annotated[str, typer.Option(help="proxy_cache max_size.")] = "10g",
    server_name: Annotated[str, typer.Option(help="server_name.")] = "_",
    access_log: Annotated[bool, typer.Option(help="Write nginx's access log.")] = True,
) -> None:
    """Print a complete nginx config for this deployment's settings (origin, gate, key)."""
    from clipcast.bootstrap import load_secret
    from clipcast.edge.config import edge_config
    from clipcast.edge.nginx import render

    settings = Settings()
    config = edge_config(
        settings,
        load_secret(settings),
        listen=listen,
        api=tuple(api or ["127.0.0.1:8000"]),
        state_dir=state_dir,
        user=user,
        cache_max_size=cache_size,
        server_name=server_name,
        access_log=access_log,
    )
    typer.echo(render(config), nl=False)


async def _refresh_recs(usernames: list[str]) -> str:
    from sqlalchemy import select

    from clipcast.accounts.models import User
    from clipcast.bootstrap import build_storage
    from clipcast.core.clock import utcnow
    from clipcast.recommendations import service as recs
    from clipcast.recommendations.service import ModelCache, RecsConfig

    settings = Settings()
    storage = build_storage(settings)
    config = RecsConfig.from_settings(settings)
    async with _activity_deps() as (sessions, counters):
        deps = {"sessions": sessions, "counters": counters, "storage": storage}
        try:
            if not usernames:
                stats = await recs.refresh_all(**deps, config=config, now=utcnow())
                return f"{stats['users']:.0f} user(s), model v{stats['version']:.0f}"
            async with sessions() as session:
                found = await session.execute(
                    select(User.id, User.username).where(User.username.in_(usernames))
                )
                ids = dict(found.tuples().all())
            if missing := set(usernames) - set(ids.values()):
                raise typer.BadParameter(f"no such user: {', '.join(sorted(missing))}")
            done = await recs.refresh_users(
                **deps, cache=ModelCache(), user_ids=list(ids), config=config, now=utcnow()
            )
            return f"{done} user(s)"
        finally:
            await storage.close()


@recs_app.command("refresh")
def recs_refresh(
    user: Annotated[
        list[str] | None, typer.Option("--user", help="Only this user (repeatable).")
    ] = None,
) -> None:
    """Remake recommendations: every user (training a new model), or only --user ones with
    the stored model."""
    import asyncio

    done = asyncio.run(_refresh_recs(user or []))
    console.print(f"[green]recommendations refreshed[/green]: {done}")


live_app = typer.Typer(help="Live streams.", no_args_is_help=True)
app.add_typer(live_app, name="live")


@live_app.command("push")
def live_push(
    stream_id: Annotated[str, typer.Argument(help="The stream's id.")],
    key: Annotated[str, typer.Option(help="The stream key.", envvar="CLIPCAST_STREAM_KEY")],
    server: Annotated[str, typer.Option(help="The site's address.")] = "",
) -> None:
    """Send standard input (ffmpeg's MPEG-TS or WebM) to a live stream, printing the server's
    messages; see docs/architecture.md for the ffmpeg command."""
    import asyncio
    import json
    import sys

    from clipcast.live.push import ingest_url, push, stdin_chunks

    url = ingest_url(server or Settings().server_url, stream_id)

    def show(message: dict[str, Any]) -> None:
        print(json.dumps(message), file=sys.stderr, flush=True)

    last = asyncio.run(push(url, key, stdin_chunks(), show))
    if last is None or last.get("type") != "ended":
        raise typer.Exit(1)


def main() -> None:
    app()
