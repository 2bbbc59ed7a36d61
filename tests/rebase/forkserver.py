"""`python -m patchq` without paying for the interpreter and the imports on every run: a server
process imports patchq once, then forks one child per command. The child is a real process that
runs `patchq.cli.main()` with the request's argv, environment and output files and exits the way
`python -m patchq` exits, so the crash hook's os._exit(137) leaves exactly what kill -9 would.

Client: `with ForkServer(env) as server: server.run(argv, env)`. Server: `python -m
tests.rebase.forkserver`, one JSON request a line on stdin, one exit code a line on stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any


class ForkServer:
    """The client: starts the server on first use, stops it on close."""

    def __init__(self, env: dict[str, str], scratch: Path) -> None:
        self.env = env
        self.scratch = scratch
        self.proc: subprocess.Popen[str] | None = None

    def run(self, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        """`python -m patchq ARGS` with `env`, captured like subprocess.run(text=True)."""
        if self.proc is None:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.rebase.forkserver"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=self.env,
            )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.scratch.mkdir(parents=True, exist_ok=True)
        fd, out = tempfile.mkstemp(dir=self.scratch, suffix=".out")
        os.close(fd)
        fd, err = tempfile.mkstemp(dir=self.scratch, suffix=".err")
        os.close(fd)
        request = {"args": args, "env": env, "stdout": out, "stderr": err}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        assert answer, "the fork server died"
        code = int(answer)
        stdout, stderr = Path(out).read_text(), Path(err).read_text()
        os.unlink(out)
        os.unlink(err)
        return subprocess.CompletedProcess(["patchq", *args], code, stdout, stderr)

    def close(self) -> None:
        if self.proc is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
            self.proc = None

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _child(request: dict[str, Any]) -> None:
    """In the forked child: become `python -m patchq ARGS`. Never returns."""
    os.environ.clear()
    os.environ.update(request["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        target = os.open(path, os.O_WRONLY | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    sys.argv = ["patchq", *request["args"]]
    from patchq.cli import main

    # main() ends in SystemExit; letting it unwind through serve() is a normal interpreter
    # exit (atexit, thread joins, flushed output), as `python -m patchq` would have.
    main()
    sys.exit(0)


def serve() -> None:
    import patchq.cli
    import patchq.rebase.run

    del patchq
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(request)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    serve()
