"""The `clipcast` command: serve, migrate, upload, videos ls."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from clipcast.settings import Settings

app = typer.Typer(help="clipcast: a self-hostable video platform.", no_args_is_help=True)
videos_app = typer.Typer(help="List and inspect videos.", no_args_is_help=True)
app.add_typer(videos_app, name="videos")
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
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=True)


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
    from clipcast import client

    server, token = _token(username, password)
    meta = {
        "filename": file.name,
        "title": title,
        "description": description,
        "visibility": visibility,
    }
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    with Progress(*columns, console=console) as bars:
        task = bars.add_task("upload", total=file.stat().st_size)
        video_id = client.upload(
            server, token, file, meta, lambda sent, _t: bars.update(task, completed=sent)
        )
    console.print(f"uploaded: video [bold]{video_id}[/bold]")
    if not wait:
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        console=console,
    ) as bars:
        task = bars.add_task("processing", total=100)
        video = client.wait_until_done(
            server, token, video_id, lambda v: bars.update(task, completed=v["progress"])
        )
    if video["state"] == "failed":
        console.print(f"[red]failed:[/red] {video['failure_reason']}")
        raise typer.Exit(1)
    console.print(f"[green]ready[/green]: {video['playback']['hls']}")


@videos_app.command("ls")
def videos_ls(
    mine: Annotated[bool, typer.Option("--mine", help="Only my videos (needs login).")] = False,
    username: Annotated[str | None, typer.Option()] = None,
    password: Annotated[str | None, typer.Option()] = None,
) -> None:
    """List public videos, or your own with --mine."""
    from clipcast import client

    settings = Settings()
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
