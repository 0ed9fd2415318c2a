"""Helpers the test modules share: the command line, run two ways."""

import io
import sys

from typer.testing import CliRunner

from harcnn.cli import app, main

runner = CliRunner()


def invoke(*args, input: str | None = None) -> str:
    """`harcnn ARGS` through Typer's runner, which must succeed; its output."""
    result = runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def cli(monkeypatch, capsys, *args, stdin: str | None = None) -> tuple[int, str]:
    """`harcnn ARGS` as the console script runs it (one-line errors, exit status 2); (status, stderr + stdout)."""
    monkeypatch.setattr(sys, "argv", ["harcnn", *map(str, args)])
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = 0
    try:
        main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    out = capsys.readouterr()
    return code, out.err + out.out


def fails(monkeypatch, capsys, message: str, *args, stdin: str | None = None) -> str:
    """`cli` that must end in exactly one error line holding `message`, and no traceback."""
    code, text = cli(monkeypatch, capsys, *args, stdin=stdin)
    assert code == 2, text
    assert "Traceback" not in text and message in text, text
    assert len([line for line in text.splitlines() if line.startswith("error:")]) == 1, text
    return text
