"""Synthetic upstreams for the benchmarks, written with ONE `git fast-import` process.

`make_upstream(dir, commits=..., patches=..., landed=...)` builds:

* an upstream repo `dir/upstream` with tag `1.0` (a tree of `files` text files), then
  `commits` single-parent commits on `master` tagged `2.0`, each changing lines in the top half
  of 1-3 files, each with a Change-Id trailer;
* a downstream series `dir/series` (series.yaml + patches/ from `git format-patch`) of
  `patches` patches on 1.0, each changing lines in the bottom half of 1-2 files (so every patch
  applies on 1.0 and carries onto 2.0 by a clean 3-way content merge), and `dir/series.mbox`
  (the same patches in one mbox, for `git am`);
* `landed` of the patches also land upstream, spread over the range: every other one with its
  Change-Id kept (patch-id + change-id evidence), the rest under a new Change-Id (patch-id only).
* `hot_files=N` files of `hot_lines` lines (nova's busiest files, compute/manager.py and its
  tests, are 0.3-0.5 MB) of which one is also changed by a `hot_share` of the upstream commits
  (and half that share of the patches): what makes nova's one-release patch-id pass cost about
  2.5 ms per commit where uniform 10 KB files cost 0.3. Off (0) by default.
* `notes_every=N` (issue 12's nova shape): about 1 in N upstream commits, and 1 in N patches,
  also adds a release note, a small new file in one flat `releasenotes/notes/` folder (nova has
  1,104 files there at 32.0.0, and 16% of its commits touch it). Off (0) by default.

Deterministic for given sizes (seeded). Other benchmark modules (bench_*.py) import it.
"""

from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# nova's tree averages about 10 KB per file (50 MB / 4,798 files at 31.0.0); a line here is
# about 40 bytes, so 250 lines is an average nova file. Smaller files make diffs (and so the
# plain-git baseline) unrealistically cheap next to the metadata work both sides share.
LINES_PER_FILE = 250
EPOCH = 1_600_000_000


@dataclass(frozen=True)
class Synth:
    """What make_upstream built, for benchmarks to run against."""

    root: Path
    upstream: Path  # the upstream clone (non-bare, master checked out)
    series_dir: Path  # series.yaml + patches/
    mbox: Path  # all patches in one file, for `git am`
    base: str  # "1.0"
    new: str  # "2.0"
    commits: int
    patches: int
    landed: int
    files: int
    lines: int


def git(repo: Path, *args: str, input: bytes | None = None) -> bytes:
    proc = subprocess.run(["git", "-C", str(repo), *args], input=input, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.decode()}")
    return proc.stdout


class _Stream:
    """A fast-import stream: files kept as line lists, commits emitted with inline blobs."""

    def __init__(
        self, rng: random.Random, files: int, lines: int, hot: int = 0, hot_lines: int = 0
    ) -> None:
        self.rng = rng
        self.lines = lines
        self.chunks: list[bytes] = []
        self.mark = 0
        self.tick = EPOCH
        self.paths = [f"nova/mod{i // 50:02d}/file{i:04d}.py" for i in range(files)]
        self.hot = self.paths[:hot]
        self.content = {
            p: [
                f"    value_{n:04d} = compute({n}, '{p}')"
                for n in range(hot_lines if i < hot else lines)
            ]
            for i, p in enumerate(self.paths)
        }

    def add_note(self, label: str) -> str:
        """A new release note (a small new file in one flat folder); returns its path."""
        slug = "".join(self.rng.choice("0123456789abcdef") for _ in range(16))
        path = f"releasenotes/notes/{label}-{slug}.yaml"
        self.content[path] = ["---", "fixes:", "  - |", f"    {label} fixed something.", ""]
        return path

    def blob_text(self, path: str) -> bytes:
        return ("\n".join(self.content[path]) + "\n").encode()

    def commit(
        self, ref: str, message: str, changed: list[str], *, parent: int | None = None
    ) -> int:
        self.mark += 1
        self.tick += 60
        msg = message.encode()
        out = [
            f"commit {ref}\nmark :{self.mark}\n".encode(),
            f"author Up Stream <dev@example.org> {self.tick} +0000\n".encode(),
            f"committer Up Stream <dev@example.org> {self.tick} +0000\n".encode(),
            b"data %d\n%s\n" % (len(msg), msg),
        ]
        if parent is not None:
            out.append(b"from :%d\n" % parent)
        for path in changed:
            data = self.blob_text(path)
            out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
        self.chunks.append(b"".join(out))
        return self.mark

    def tag(self, name: str, mark: int) -> None:
        self.chunks.append(f"reset refs/tags/{name}\nfrom :{mark}\n\n".encode())

    def edit(self, path: str, *, half: str, label: str) -> None:
        lines = self.content[path]
        mid = len(lines) // 2
        lo, hi = (0, mid - 5) if half == "top" else (mid + 5, len(lines) - 1)
        n = self.rng.randint(lo, hi)
        lines[n] = f"{lines[n]} # {label}"


def change_id(rng: random.Random) -> str:
    return "I" + "".join(rng.choice("0123456789abcdef") for _ in range(40))


def make_upstream(
    root: Path,
    *,
    commits: int = 20_000,
    patches: int = 200,
    landed: int = 40,
    files: int | None = None,
    lines: int = LINES_PER_FILE,
    seed: int = 1,
    notes_every: int = 0,
    hot_files: int = 0,
    hot_lines: int = 10_000,
    hot_share: float = 0.0,
) -> Synth:
    """Build the synthetic upstream and series under `root` (created; must not exist)."""
    rng = random.Random(seed)
    files = files or max(100, min(2_000, commits // 10))
    root.mkdir(parents=True)
    upstream = root / "upstream"
    git(root, "init", "-q", "-b", "master", str(upstream))
    git(upstream, "config", "gc.auto", "0")
    stream = _Stream(rng, files, lines, hot_files, hot_lines)
    base_mark = stream.commit("refs/heads/master", "Initial import\n", list(stream.paths))
    stream.tag("1.0", base_mark)

    # The downstream series first (on 1.0), remembering each patch's edits and Change-Id.
    down_paths = rng.sample(stream.paths, k=min(len(stream.paths), patches * 2))
    base_content = {p: list(v) for p, v in stream.content.items()}
    series_edits: list[tuple[str, list[tuple[str, int, str]], str]] = []
    parent = base_mark
    for i in range(patches):
        chosen = down_paths[(2 * i) % len(down_paths) : (2 * i) % len(down_paths) + 1 + i % 2]
        if hot_files and rng.random() < hot_share / 2:
            chosen = sorted({*chosen, rng.choice(stream.hot)})
        cid = change_id(rng)
        before = {p: list(stream.content[p]) for p in chosen}
        for path in chosen:
            stream.edit(path, half="bottom", label=f"downstream {i}")
        if notes_every and i % notes_every == notes_every - 1:
            note = stream.add_note(f"downstream-{i:04d}")
            before[note] = [""] * len(stream.content[note])
            chosen = [*chosen, note]
        edits = [
            (p, n, line)
            for p in chosen
            for n, line in enumerate(stream.content[p])
            if line != before[p][n]
        ]
        subject = f"Downstream fix {i:04d}"
        msg = f"{subject}\n\nCarried for the distro.\n\nChange-Id: {cid}\n"
        parent = stream.commit("refs/heads/downstream", msg, chosen, parent=parent)
        series_edits.append((subject, edits, cid))

    # Upstream: `commits` commits on master; the landed patches are spread over the range.
    stream.content = base_content
    land_at = {
        (k + 1) * commits // (landed + 1): k * max(1, patches // max(1, landed))
        for k in range(landed)
    }
    parent = base_mark
    for n in range(commits):
        if n in land_at and land_at[n] < len(series_edits):
            subject, edits, cid = series_edits[land_at[n]]
            for path, line_no, line in edits:
                stream.content.setdefault(path, [""] * 5)[line_no] = line
            keep = (land_at[n] // max(1, patches // max(1, landed))) % 2 == 0
            msg = f"{subject}\n\nLanded upstream.\n\nChange-Id: {cid if keep else change_id(rng)}\n"
            parent = stream.commit(
                "refs/heads/master", msg, sorted({e[0] for e in edits}), parent=parent
            )
            continue
        chosen = rng.sample(stream.paths, k=rng.choice((1, 1, 1, 2, 3)))
        if hot_files and rng.random() < hot_share:
            chosen = sorted({*chosen, rng.choice(stream.hot)})
        for path in chosen:
            stream.edit(path, half="top", label=f"upstream {n}")
        if notes_every and rng.randrange(notes_every) == 0:
            chosen.append(stream.add_note(f"upstream-{n:05d}"))
        msg = f"Upstream change {n}\n\nSome work.\n\nChange-Id: {change_id(rng)}\n"
        parent = stream.commit("refs/heads/master", msg, chosen, parent=parent)
    stream.tag("2.0", parent)

    load_stream(upstream, stream)
    series_dir = root / "series"
    mbox = root / "series.mbox"
    _write_series(upstream, series_dir, mbox)
    git(upstream, "update-ref", "-d", "refs/heads/downstream")
    return Synth(
        root=root,
        upstream=upstream,
        series_dir=series_dir,
        mbox=mbox,
        base="1.0",
        new="2.0",
        commits=commits,
        patches=patches,
        landed=min(landed, patches),
        files=files,
        lines=lines,
    )


def _write_series(upstream: Path, series_dir: Path, mbox: Path) -> None:
    from patchq.series import io as series
    from patchq.series.model import Patch, Series, Upstream

    patches_dir = series_dir / "patches"
    patches_dir.mkdir(parents=True)
    git(upstream, "format-patch", "-q", "--no-signature", "-o", str(patches_dir), "1.0..downstream")
    names = sorted(p.name for p in patches_dir.glob("*.patch"))
    mbox.write_bytes(b"".join((patches_dir / n).read_bytes() for n in names))
    base_commit = git(upstream, "rev-parse", "1.0^{commit}").decode().strip()
    current = Series(
        upstream=Upstream(
            name="nova", path=str(upstream), base="1.0", base_commit=base_commit, branch="master"
        ),
        patches=tuple(Patch(file=n) for n in names),
    )
    series.save(series_dir, current)


def series_from_range(
    upstream: Path, root: Path, *, base: str, new: str, series_range: str, limit: int
) -> Synth:
    """Benchmark data from a real clone: the series is the first `limit` non-merge commits of
    `series_range` (e.g. a stable branch's backports), as format-patch files on `base`."""
    root.mkdir(parents=True)
    clone = root / "upstream"
    git(root, "clone", "-q", "--no-checkout", str(upstream), str(clone))
    git(clone, "config", "gc.auto", "0")
    shas = git(clone, "rev-list", "--no-merges", "--reverse", series_range).decode().split()
    shas = shas[:limit]
    git(clone, "branch", "-f", "downstream", shas[-1])
    git(clone, "checkout", "-q", "-f", "--detach", base)
    series_dir = root / "series"
    patches_dir = series_dir / "patches"
    patches_dir.mkdir(parents=True)
    for i, sha in enumerate(shas, 1):
        text = git(
            clone, "format-patch", "-1", "--stdout", "--no-signature", f"--start-number={i}", sha
        )
        (patches_dir / f"{i:04d}-{sha[:10]}.patch").write_bytes(text)
    names = sorted(p.name for p in patches_dir.glob("*.patch"))
    mbox = root / "series.mbox"
    mbox.write_bytes(b"".join((patches_dir / n).read_bytes() for n in names))
    from patchq.series import io as series
    from patchq.series.model import Patch, Series, Upstream

    base_commit = git(clone, "rev-parse", f"{base}^{{commit}}").decode().strip()
    current = Series(
        upstream=Upstream(name="nova", path=str(clone), base=base, base_commit=base_commit),
        patches=tuple(Patch(file=n) for n in names),
    )
    series.save(series_dir, current)
    count = git(clone, "rev-list", "--count", "--no-merges", f"{base}..{new}").decode()
    return Synth(
        root=root, upstream=clone, series_dir=series_dir, mbox=mbox, base=base, new=new,
        commits=int(count), patches=len(names), landed=-1, files=0, lines=0,
    )  # fmt: skip


if __name__ == "__main__":
    import argparse
    import time

    parser = argparse.ArgumentParser(description="Build a synthetic upstream + series.")
    parser.add_argument("dir", type=Path)
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--patches", type=int, default=200)
    parser.add_argument("--landed", type=int, default=40)
    parser.add_argument("--lines", type=int, default=LINES_PER_FILE)
    args = parser.parse_args()
    start = time.perf_counter()
    made = make_upstream(
        args.dir, commits=args.commits, patches=args.patches, landed=args.landed, lines=args.lines
    )
    print(f"built {made} in {time.perf_counter() - start:.1f}s")


def load_stream(upstream: Path, stream: _Stream) -> None:
    """Write `stream` into `upstream` with one `git fast-import`, then check out master."""
    proc = subprocess.run(
        ["git", "-C", str(upstream), "fast-import", "--quiet"],
        input=b"".join(stream.chunks) + b"done\n",
        capture_output=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"git fast-import: {proc.stderr.decode()}")
    git(upstream, "checkout", "-q", "-f", "master")
