"""Running the command line in-process, for the CLI tests of every module."""

from __future__ import annotations

import re

from polyregions import cli


def run(capsys, *argv):
    """Run ``polyregions`` in-process; return (exit code, stdout, stderr)."""
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_error_line(code, out, err, pattern):
    """Bad input: exit 2, nothing on stdout, one ``polyregions: error:`` line matching *pattern*."""
    assert code == 2, (out, err)
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("polyregions: error: ")
    assert re.search(pattern, lines[0]), lines[0]
    assert out == ""
