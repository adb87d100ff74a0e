"""The CLI answers --help and --version without error."""

from overparam import __version__
from overparam.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "overparam-theory " + __version__


def test_help(capsys):
    assert main(["--help"]) == 0
    assert "usage: overparam-theory" in capsys.readouterr().out


def test_unknown_command_is_one_line_exit_2(capsys):
    assert main(["no-such-command"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
