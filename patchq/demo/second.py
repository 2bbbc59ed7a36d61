"""The demo's tiny second project, so the tour can end with a distribution report: a small
oslo.config upstream (one release, 9.8.0) and a two-patch series carried on it."""

from __future__ import annotations

from pathlib import Path

from patchq import git
from patchq.demo.source import LENA, RELEASE_BOT, Commit, fast_import_stream
from patchq.git import Repo

NAME = "oslo.config"
RELEASE = "9.8.0"
HISTORY = (
    Commit(
        "init",
        "Release 9.8.0\n",
        RELEASE_BOT,
        1746000000,
        (),
        tag=RELEASE,
    ),
)
TREE = {
    "README.rst": "oslo.config\n===========\n\nThe configuration library of OpenStack.\n",
    "oslo_config/__init__.py": "",
    "oslo_config/cfg.py": '"""Configuration options."""\n\nDEFAULT_CONFIG_DIRS = ["~/.oslo"]\n',
}
PATCH = """\
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: {author}
Date: {date}
Subject: [PATCH] {subject}

{body}
---
diff --git a/{path} b/{path}
new file mode 100644
--- /dev/null
+++ b/{path}
@@ -0,0 +1 @@
+{line}
"""
# (file, subject, series.yaml lines, new file, its line)
PATCHES = (
    (
        "0001-Look-for-config-files-in-etc-first.patch",
        "Look for config files in /etc first",
        "    status: downstream-only\n    reason: our packages install to /etc\n"
        "    owner: packaging-team\n    added: 2024-10-01\n",
        "oslo_config/_distro.py",
        'CONFIG_DIRS = ["/etc/oslo"]',
    ),
    (
        "0002-Warn-when-a-deprecated-option-is-set-twice.patch",
        "Warn when a deprecated option is set twice",
        "    status: submitted\n    owner: lfischer\n    added: 2025-06-30\n    upstream:\n"
        "      review: https://review.opendev.org/c/openstack/oslo.config/+/950001\n",
        "oslo_config/_warnings.py",
        "TWICE = 'option {} is set twice'",
    ),
)


def build(upstream: Path, packaging: Path) -> None:
    """The upstream clone at `upstream` and its series at `packaging` (upstream.path relative)."""
    git.init_repo(upstream)
    with Repo(upstream) as repo:
        stream = fast_import_stream(
            HISTORY, ref="refs/heads/master", tree=TREE, parent=None, project=NAME
        )
        git.fast_import(repo, stream)
        base_commit = repo.resolve_or_fail(RELEASE)
        git.checkout(repo, "master")
    (packaging / "patches").mkdir(parents=True)
    entries = []
    for file, subject, meta, path, line in PATCHES:
        text = PATCH.format(
            author=LENA,
            date="Mon, 30 Jun 2025 10:00:00 +0000",
            subject=subject,
            body="Carried by the distribution.",
            path=path,
            line=line,
        )
        (packaging / "patches" / file).write_text(text)
        entries.append(f"  - file: {file}\n{meta}")
    (packaging / "series.yaml").write_text(
        "version: 1\n"
        "upstream:\n"
        f"  name: {NAME}\n"
        f"  url: https://opendev.org/openstack/{NAME}\n"
        f"  path: ../{NAME}\n"
        f"  base: {RELEASE}\n"
        f"  base_commit: {base_commit}\n"
        "patches:\n" + "".join(entries) + "history: []\n"
    )
