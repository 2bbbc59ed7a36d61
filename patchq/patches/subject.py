"""Mail subjects as git's mail tools read them, and the Subject form that keeps a subject whole.

OpenStack subjects carry their own bracket tags (`[OVN] x`, `[doc]Clarify x`). Only what git's
mail tools add is patchq's to remove: `Re:` and bracket groups holding `PATCH` (`git mailinfo -b`).
Plain `git am` removes every leading bracket group, so a file whose subject starts with one
cannot carry it in the Subject header: see `survives_header`.
"""

from __future__ import annotations


def cleanup(subject: str, *, keep_non_patch: bool = True) -> str:
    """git mailinfo's cleanup_subject: `keep_non_patch` is `-b` (patchq's reading), False is
    what plain `git am` does (every leading `[...]` group goes)."""
    s = subject
    at = 0
    while at < len(s):
        char = s[at]
        if char in "rR":
            if len(s) > at + 3 and s[at + 1] in "eE" and s[at + 2] == ":":
                s = s[:at] + s[at + 3 :]
                continue
            break
        if char in " \t:":
            s = s[:at] + s[at + 1 :]
            continue
        if char == "[":
            end = s.find("]", at)
            if end < 0:
                break
            group = s[at : end + 1]
            if not keep_non_patch or (len(group) >= 7 and "PATCH" in group):
                s = s[:at] + s[end + 1 :]
            else:
                at = end + 1
                if at < len(s) and s[at].isspace():
                    at += 1
            continue
        break
    return " ".join(s.split())


def from_header(value: str) -> str:
    """The subject a Subject header value stands for (`[PATCH v2 3/7] [OVN] x` -> `[OVN] x`)."""
    return cleanup(value, keep_non_patch=True)


def survives_header(subject: str) -> bool:
    """Whether `Subject: [PATCH] <subject>` gives back `subject` through plain `git am` (and
    through `git am -b`): false for a subject that starts with a bracket group or `Re:`."""
    header = f"[PATCH] {subject}"
    return cleanup(header, keep_non_patch=False) == subject == from_header(header)
