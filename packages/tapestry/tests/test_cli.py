"""The CLI answers --help and --version without error."""

from tapestry import __version__
from tapestry.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "tapestry " + __version__


def test_help(capsys):
    assert main(["--help"]) == 0
    assert "usage: tapestry" in capsys.readouterr().out


def test_unknown_command_is_one_line_exit_2(capsys):
    assert main(["no-such-command"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
