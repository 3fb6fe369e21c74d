"""Every example of the README runs and prints what the README shows.

The README's examples are the first thing a user runs; they must work from a fresh
clone and print the numbers shown. The rules, for anyone who edits the README:

- Every line ``$ polyregions ...`` in a code block (fenced or indented) is run, in the
  order of the README, with the repository's ``examples/`` (and an empty ``docs/``) in
  a temporary directory as the working directory: files written by one command (a
  model, a certificate) are there for the next, and no tracked file is overwritten.
  A ``# comment`` after the command is not part of it.
- The lines after a command, up to the next ``$`` line or the end of the block, are
  its output, compared word by word with what the command prints (stdout, then
  stderr; line breaks and runs of spaces do not matter). Times are not compared:
  a number followed by `` s`` (``0.048 s``) and the JSON field ``"seconds"``.
  ``...`` stands for any text (a whole line of ``...`` for any number of lines).
  A command whose comment contains ``output not compared`` has its output ignored.
  A command shown with no output must print nothing.
- The exit code must be 0, or 1 when the shown output starts with ``INVALID`` or the
  comment says ``exit code 1`` (``verify`` finding a counterexample), or 2 when it starts
  with ``polyregions: error:``.
- A block preceded by ``<!-- test: first line of FILE -->`` is JSON equal to the first
  line of FILE as written by the commands before it.
- A ```` ```python ```` block is run (in the same directory, after the commands before
  it); its printed output must be the text of the ``# ...`` comments that end its
  ``print(...)`` lines, in order.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from polyregions import cli

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


@dataclass
class Block:
    """A code block: its language (``""`` for an indented block), lines, and what precedes it."""

    language: str
    lines: list[str]
    line: int                      # 1-based line number of the first line in README.md
    marker: str | None = None      # the ``<!-- test: ... -->`` comment right before it


@dataclass
class Command:
    argv: list[str]
    text: str
    shown: list[str] = field(default_factory=list)
    compared: bool = True
    line: int = 0
    exit_one: bool = False


def code_blocks(text: str) -> list[Block]:
    """The fenced and the indented (4 spaces after a blank line) code blocks, in order."""
    lines = text.splitlines()
    blocks: list[Block] = []
    i, previous_blank, marker = 0, True, None
    while i < len(lines):
        line = lines[i]
        fence = re.match(r"^(\s*)```(\w*)\s*$", line)
        if fence:
            indent, language = len(fence[1]), fence[2]
            body, start = [], i + 2
            i += 1
            while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
                body.append(lines[i][indent:])
                i += 1
            blocks.append(Block(language, body, start, marker))
            marker, previous_blank = None, False
            i += 1
            continue
        indented = re.match(r"^( {4,})\S", line)
        if indented and previous_blank:
            indent = len(indented[1])
            body, start = [], i + 1
            while i < len(lines) and (lines[i].startswith(" " * indent) or not lines[i].strip()):
                body.append(lines[i][indent:])
                i += 1
            while body and not body[-1].strip():
                body.pop()
            blocks.append(Block("", body, start, marker))
            marker, previous_blank = None, True
            continue
        comment = re.match(r"^\s*<!--\s*test:\s*(.*?)\s*-->\s*$", line)
        if comment:
            marker = comment[1]
        elif line.strip():
            marker = None
        previous_blank = not line.strip()
        i += 1
    return blocks


def commands(block: Block) -> list[Command]:
    """The ``$ polyregions`` commands of a block with the output shown after each."""
    found: list[Command] = []
    current: Command | None = None
    for offset, line in enumerate(block.lines):
        if line.startswith("$ "):
            current = None
            words = shlex.split(line[2:], comments=True)
            if words and words[0] == "polyregions":
                comment = line.split(" #", 1)[1] if " #" in line else ""
                current = Command(words[1:], line[2:].split(" #")[0].strip(),
                                  compared="output not compared" not in comment,
                                  line=block.line + offset, exit_one="exit code 1" in comment)
                found.append(current)
        elif current is not None:
            current.shown.append(line)
    for command in found:
        while command.shown and not command.shown[-1].strip():
            command.shown.pop()
    return found


_TIME = re.compile(r"\b\d+(?:\.\d+)?(?:e-?\d+)? s\b")
_SECONDS = re.compile(r'"seconds": [0-9.e-]+')


def _words(text: str) -> list[str]:
    text = _SECONDS.sub('"seconds": <time>', _TIME.sub("<time> s", text))
    return text.split()


def matches(shown: list[str], printed: str) -> bool:
    """True when *printed* is what *shown* shows, ``...`` standing for any text."""
    pattern, wild, first = "", False, True
    for word in _words("\n".join(shown)):
        if word == "...":
            wild = True
            continue
        if first:
            pattern += r"(?:.*?\s+)?" if wild else ""
        else:
            pattern += r"\s+(?:.*?\s+)?" if wild else r"\s+"
        pattern += ".*?".join(re.escape(part) for part in word.split("..."))
        wild, first = False, False
    if wild:
        pattern += ".*?" if first else r"(?:\s+.*?)?"
    return re.fullmatch(pattern, " ".join(_words(printed)), flags=re.DOTALL) is not None


def python_expected(block: Block) -> str:
    out = []
    for line in block.lines:
        if line.lstrip().startswith("print(") and "  # " in line:
            out.append(line.split("  # ", 1)[1].strip())
    return "".join(f"{line}\n" for line in out)


BLOCKS = code_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_runnable_examples():
    runnable = [c for block in BLOCKS for c in commands(block)]
    assert len(runnable) >= 15
    names = {c.argv[0] for c in runnable}
    assert {"count", "regions", "graph", "plot", "certify", "check", "bounds", "construct", "folding"} <= names
    assert any(block.language == "python" for block in BLOCKS)
    assert any(block.marker for block in BLOCKS)


def test_readme_examples(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib", reason="the README draws a picture")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "docs").mkdir()
    monkeypatch.chdir(tmp_path)
    ran = 0
    for block in BLOCKS:
        if block.marker:
            what = re.fullmatch(r"first line of (\S+)", block.marker)
            assert what, f"README.md:{block.line}: unknown test marker {block.marker!r}"
            first = Path(what[1]).read_text(encoding="utf-8").splitlines()[0]
            assert json.loads("\n".join(block.lines)) == json.loads(first), \
                f"README.md:{block.line}: not the first line of {what[1]}:\n{first}"
        if block.language == "python":
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile("\n".join(block.lines), f"README.md:{block.line}", "exec"), {})
            assert printed.getvalue() == python_expected(block), f"README.md:{block.line}"
            continue
        for command in commands(block):
            code = cli.main(command.argv)
            out, err = capsys.readouterr()
            printed = out + err
            where = f"README.md:{command.line}: $ polyregions {' '.join(command.argv)}"
            first = command.shown[0] if command.shown else ""
            expected_code = 1 if first.startswith("INVALID") or command.exit_one else \
                2 if first.startswith("polyregions: error:") else 0
            assert code == expected_code, f"{where}: exit {code}\n{printed}"
            if command.compared:
                assert matches(command.shown, printed), f"{where}\nshown:\n" + "\n".join(command.shown) + \
                    f"\nprinted:\n{printed}"
            ran += 1
    assert ran >= 15
    # nothing was written outside the temporary directory: the tracked picture is untouched
    assert (tmp_path / "docs" / "demo_regions.png").exists()


# -- the rules themselves

def test_blocks_and_commands_are_found():
    text = "\n".join([
        "Text.", "", "    $ polyregions count a.json   # a comment", "    line 1", "      line 2", "",
        "    $ polyregions bounds --n0 1 --widths 2   # output not compared", "    anything", "",
        "More text.", "<!-- test: first line of out.jsonl -->", "```json", '{"a": 1}', "```",
        "```python", "print(1 + 1)  # 2", "x = 3", "```", "    not a block: no blank line before",
    ])
    blocks = code_blocks(text)
    assert [(b.language, b.line, b.marker) for b in blocks] == [
        ("", 3, None), ("json", 13, "first line of out.jsonl"), ("python", 16, None)]
    found = commands(blocks[0])
    assert [(c.argv, c.shown, c.compared) for c in found] == [
        (["count", "a.json"], ["line 1", "  line 2"], True),
        (["bounds", "--n0", "1", "--widths", "2"], ["anything"], False)]
    assert python_expected(blocks[2]) == "2\n"


def test_matching_rules():
    assert matches(["time:   0.048 s", "wrote 3 regions in 0.1 s"], "time: 12.5 s\nwrote 3 regions in 0.002 s\n")
    assert not matches(["wrote 3 regions"], "wrote 4 regions\n")
    assert matches(['{"a": 1,', ' "seconds": 0.5}'], '{"a": 1, "seconds": 0.0104}\n')
    assert matches(["first", "...", "last"], "first\nsecond\nthird\nlast\n")
    assert not matches(["first", "...", "last"], "first\nsecond\n")
    assert matches(["model: sha256 760e...", "x"], "model: sha256 760e5350abc\nx\n")
    assert not matches(["a"], "a b\n")
    assert matches([], "")
    assert not matches([], "something\n")
    assert matches(["a", "...", "b"], "a b\n")            # "..." may stand for nothing
    assert not matches(["a", "...", "b"], "ab\n")
    assert matches(["...", "b"], "b\n") and matches(["a", "..."], "a\n") and matches(["..."], "x y\n")
