"""Every ``--help`` and every argparse message of ``python -m lagesbild`` in Swedish
(issue 24): argparse's own "usage:", "options:", "show this help message and exit" and its
error texts are replaced, for every command and subcommand."""

from __future__ import annotations

import argparse

import pytest

from lagesbild import cli

ENGLISH = ["usage:", "options:", "optional arguments", "positional arguments",
           "show this help", "and exit", "required", "invalid", "choose from",
           "unrecognized", "expected", "argument ", "MEASURE", "FILE", "NAME", "BATCH_ID"]


def _parsers(parser=None, path=()):
    parser = parser or cli.build_parser()
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*path, name))


def test_every_help_text_is_swedish():
    seen = 0
    for path, parser in _parsers():
        text = parser.format_help()
        assert text.startswith("Användning: python -m lagesbild"), path
        assert "Visa den här hjälpen och avsluta." in text, path
        found = [w for w in ENGLISH if w in text]
        assert found == [], (path, found)
        seen += 1
    assert seen >= 15  # every command and kolada's subcommands


@pytest.mark.parametrize("args, swedish", [
    (["rapport", "--manad", "2026-10"], "de här argumenten saknas: --typ, --ut"),
    (["rapport", "--manad", "2026-10", "--typ", "chef", "--ut", "x.md"],
     "argumentet --typ: 'chef' finns inte (välj bland"),
    (["summary", "orosanmalningar", "--ar", "tjugo"], "argumentet --ar: 'tjugo' är inte ett heltal"),
    (["summary", "orosanmalningar", "--extra"], "okända argument: --extra"),
    (["summary", "orosanmalningar", "--ar"], "argumentet --ar behöver ett värde"),
    (["finnsinte"], "argumentet KOMMANDO: 'finnsinte' finns inte"),
])
def test_argparse_errors_are_swedish(args, swedish, capsys):
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert swedish in err, err
    assert not [w for w in ENGLISH if w in err], err


def test_help_exits_cleanly_in_swedish(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["rapport", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("Användning:") and "flaggor:" in out
