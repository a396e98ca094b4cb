from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from openboard.cli._context import Context, utc_now
from openboard.cli._output import friendly_errors
from openboard.cli._status import human_bytes
from openboard.config import Settings
from openboard.retention import RetentionPolicy, apply_prune, plan_prune, scan_candidates
from openboard.store import retention_facts


def register(app: typer.Typer, open_context: Callable[[typer.Context], Context]) -> None:
    @app.command()
    @friendly_errors
    def prune(
        ctx: typer.Context,
        dry_run: Annotated[
            bool, typer.Option(help="list what would go and free; remove nothing")
        ] = False,
    ) -> None:
        """Remove exported checkouts and Hub downloads that no queued or running request needs, and
        the per-sample outputs of hidden or deleted results, after the prune_* settings' days."""
        assert isinstance(ctx.obj, Settings)
        context = Context.open(ctx.obj)
        settings = context.settings
        hub_cache = settings.hf_cache if settings.source == "hub" else None
        policy = RetentionPolicy(
            checkout_days=settings.prune_checkout_days,
            model_cache_days=settings.prune_model_cache_days,
            samples_days=settings.prune_samples_days,
        )
        candidates = scan_candidates(settings.artifacts_dir, settings.checkouts_dir, hub_cache)
        plan = plan_prune(candidates, retention_facts(context.store.engine), policy, utc_now())
        table = Table(title="would remove" if dry_run else "removing", title_justify="left")
        for column in ("what", "path", "size", "why"):
            table.add_column(column)
        for item in plan:
            c = item.candidate
            table.add_row(
                c.kind.value, escape(str(c.path)), human_bytes(c.bytes), escape(item.reason)
            )
        if plan:
            Console().print(table)
        freed = sum(i.candidate.bytes for i in plan) if dry_run else apply_prune(plan, hub_cache)
        verb = "would free" if dry_run else "freed"
        typer.echo(
            f"{verb} {human_bytes(freed)} in {len(plan)} item{'s' if len(plan) != 1 else ''}"
        )
