"""The CLI answers --help and --version without error."""

from scaling_forecast import __version__
from scaling_forecast.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "scaling-forecast " + __version__


def test_help(capsys):
    assert main(["--help"]) == 0
    assert "usage: scaling-forecast" in capsys.readouterr().out


def test_unknown_command_is_one_line_exit_2(capsys):
    assert main(["no-such-command"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
