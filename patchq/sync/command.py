"""`patchq sync` on a workspace: lock, ask, and write series.yaml and the answers, or nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from patchq import console
from patchq.errors import ConfigError
from patchq.series.workspace import Workspace
from patchq.sync import answers, http
from patchq.sync.run import (
    Result,
    Servers,
    count_questions,
    now_utc,
    offline_fetcher,
    online_fetcher,
    refuse_unknown_servers,
    sync,
    targets,
)


def run(
    ws: Workspace,
    names: Sequence[str],
    *,
    dry_run: bool,
    offline: bool,
    options: http.Options | None = None,
) -> Result:
    """Sync the named patches (or all); series.yaml is written only when every answer came."""
    if not dry_run:
        ws.refuse_during_rebase("sync")
    # A dry run writes nothing, not even the lock file (like `rebase --dry-run`).
    with contextlib.nullcontext() if dry_run else ws.lock():
        current = ws.load()
        servers = Servers.of(current)
        refuse_unknown_servers(servers)
        chosen = targets(current, names, servers)
        total = count_questions(chosen)
        if offline:
            kept = answers.load(ws.state_dir)
            if not kept:
                raise ConfigError(
                    f"no answers kept in {ws.state_dir / answers.CACHE_FILE}: run `patchq sync` "
                    "without --offline first"
                )
        with console.progress(f"asking {servers.gerrit}", total=total) as bar:
            if offline:
                result = sync(
                    current,
                    chosen,
                    servers,
                    offline_fetcher(kept, on_done=bar.advance),
                    offline=True,
                )
            else:
                opts = options or http.Options(log=console.debug)
                tls = any(u.startswith("https:") for u in (servers.gerrit, servers.launchpad))
                with http.Http(opts, tls=tls) as client:
                    fetch = online_fetcher(client, now=now_utc(), on_done=bar.advance)
                    result = sync(current, chosen, servers, fetch, offline=False)
        if dry_run:
            return result
        if result.changed:
            ws.save(result.after)
        if result.fresh:
            answers.save(ws.ensure_state_dir(), result.fresh)
    return result
