"""A packaging directory with patches and a rebase history, written straight into series.yaml."""

from __future__ import annotations

from pathlib import Path

PATCH = """\
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Jane Doe <jane@example.org>
Date: Tue, 14 Nov 2023 22:13:20 +0000
Subject: [PATCH] {subject}

Explain why.
---
diff --git a/{path} b/{path}
new file mode 100644
index 0000000..ce01362
--- /dev/null
+++ b/{path}
@@ -0,0 +1 @@
+hello
"""

NASTY = "Fix <script>alert(1)</script> | pipes & *stars*"
BASE_COMMIT = "b" * 40

# (file, subject, yaml body lines)
PATCHES: list[tuple[str, str, str]] = [
    (
        "0001-rbd-timeout.patch",
        "Add rbd timeout",
        "    status: submitted\n    reason: needed by operators\n    owner: jane\n"
        "    added: '2025-01-10'\n    upstream:\n"
        "      review: https://review.opendev.org/c/openstack/nova/+/951234\n"
        "      bug: https://bugs.launchpad.net/nova/+bug/2101234\n",
    ),
    (
        "0002-nasty.patch",
        NASTY,
        "    status: pending\n    reason: 'a | b\n\n      second line'\n    added: '2025-09-01'\n",
    ),
    (
        "0003-branding.patch",
        "Distro branding",
        "    status: downstream-only\n    reason: our logo\n    owner: ops\n"
        "    added: '2024-03-01'\n"
        "    upstream:\n      review: 'javascript:alert(1)'\n",
    ),
    (
        "0004-backport.patch",
        "Backport quota fix",
        "    status: backport\n    added: '2025-06-01'\n    upstream:\n"
        "      commit: 0123456789abcdef0123456789abcdef01234567\n"
        "      change_id: I0123456789abcdef0123456789abcdef01234567\n",
    ),
]

HISTORY = """\
history:
- date: 2025-04-02T10:00:00Z
  from: '1.0'
  from_commit: 1111111111111111111111111111111111111111
  to: '2.0'
  to_commit: 2222222222222222222222222222222222222222
  dropped:
  - file: 0009-landed.patch
    subject: Fix landed upstream
    evidence: [patch-id, change-id]
    upstream_commit: 9999999999999999999999999999999999999999
  skipped:
  - file: 0010-conflict.patch
    subject: Conflicting one
    reason: conflict during rebase onto 2.0
  refreshed: 2
  carried: 3
- date: 2025-07-15T10:00:00Z
  dropped:
  - file: 0011-manual.patch
    subject: Dropped by hand
    reason: fixed differently upstream
- date: 2025-10-01T09:00:00Z
  from: '2.0'
  from_commit: 2222222222222222222222222222222222222222
  to: '3.0'
  to_commit: 3333333333333333333333333333333333333333
  dropped:
  - file: 0012-cve.patch
    subject: 'Security fix <b>bold</b> | piped'
    evidence: [cherry-pick]
    upstream_commit: 8888888888888888888888888888888888888888
  skipped: []
  refreshed: 1
  carried: 4
"""


def write_series(
    root: Path,
    *,
    patches: list[tuple[str, str, str]] | None = None,
    history: str = HISTORY,
    base: str = "3.0",
    base_commit: str = BASE_COMMIT,
    url: str = "https://opendev.org/openstack/nova",
) -> Path:
    chosen = PATCHES if patches is None else patches
    (root / "patches").mkdir(parents=True, exist_ok=True)
    entries = []
    for i, (file, subject, body) in enumerate(chosen):
        text = PATCH.format(subject=subject, path=f"file{i}.txt")
        (root / "patches" / file).write_text(text)
        entries.append(f"  - file: {file}\n{body}")
    text = (
        "version: 1\n"
        "upstream:\n"
        "  name: nova\n"
        f"  url: {url}\n"
        "  path: ../nova\n"
        f"  base: '{base}'\n"
        f"  base_commit: {base_commit}\n"
        + ("patches:\n" + "".join(entries) if entries else "patches: []\n")
        + history
    )
    (root / "series.yaml").write_text(text)
    return root


# The series docs/report.md shows; tests/test_report.py checks the doc's output is real.
DOC_PATCHES: list[tuple[str, str, str]] = [
    PATCHES[0],
    (
        "0002-libvirt-mtu.patch",
        "Honour the MTU of OVS ports in libvirt",
        "    status: pending\n    reason: fixes jumbo frames on our SDN\n    owner: net-team\n"
        "    added: '2025-09-01'\n    upstream:\n"
        "      bug: https://bugs.launchpad.net/nova/+bug/2109876\n",
    ),
    (
        "0003-branding.patch",
        "Distro branding",
        "    status: downstream-only\n    reason: our logo\n    owner: ops\n"
        "    added: '2024-03-01'\n",
    ),
    PATCHES[3],
]
DOC_HISTORY = HISTORY.replace("'Security fix <b>bold</b> | piped'", "Validate image properties")
