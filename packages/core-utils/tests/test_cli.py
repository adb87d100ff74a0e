"""CLI wrapper: InputError is one line + exit 2; configs reject unknown keys by name."""

from dataclasses import dataclass
from typing import Literal

import pytest

from core_utils import InputError, add_common_options, cli_main, common_options, make_parser, resolve_config
from core_utils.cli import resolve_device


@dataclass
class Cfg:
    lr: float = 0.1
    steps: int = 10
    mode: Literal["a", "b"] = "a"
    name: str | None = None


def _parser(func):
    parser, sub = make_parser("toy", version="9.9")
    p = sub.add_parser("run")
    add_common_options(p)
    p.add_argument("--steps", type=int, default=None)
    p.set_defaults(func=func)
    return parser


def test_input_error_is_one_line_exit_2(capsys):
    def func(args):
        raise InputError("radius must be positive, got -1")

    assert cli_main(_parser(func), ["run"]) == 2
    err = capsys.readouterr().err
    assert err == "toy: error: radius must be positive, got -1\n"


def test_unexpected_error_keeps_traceback():
    def func(args):
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError, match="bug"):
        cli_main(_parser(func), ["run"])


def test_usage_error_is_one_line(capsys):
    assert cli_main(_parser(lambda a: 0), ["run", "--seed", "x"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--seed" in err[0]


def test_version_and_help(capsys):
    assert cli_main(_parser(lambda a: 0), ["--version"]) == 0
    assert "toy 9.9" in capsys.readouterr().out
    assert cli_main(_parser(lambda a: 0), ["--help"]) == 0


def test_config_precedence(tmp_path):
    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text("lr = 0.5\nsteps = 20\n")
    seen = {}

    def func(args):
        opts = common_options(args)
        seen["cfg"] = resolve_config(
            Cfg, file=opts.config, overrides=opts.overrides, flags={"steps": args.steps}
        )

    code = cli_main(_parser(func), ["run", "--config", str(cfg_file), "--set", "mode=b", "--steps", "7"])
    assert code == 0
    assert seen["cfg"] == Cfg(lr=0.5, steps=7, mode="b", name=None)


def test_unknown_config_key_is_named(tmp_path):
    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text("lr = 0.5\nlearning_rate = 3\n")
    with pytest.raises(InputError, match="'learning_rate'"):
        resolve_config(Cfg, file=cfg_file)


def test_wrong_types_are_rejected():
    with pytest.raises(InputError, match="'steps' must be an integer"):
        resolve_config(Cfg, overrides={"steps": 1.5})
    with pytest.raises(InputError, match="'mode' must be one of"):
        resolve_config(Cfg, overrides={"mode": "c"})
    assert resolve_config(Cfg, overrides={"lr": 1}).lr == 1.0


def test_bad_toml_is_input_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("lr = = 1")
    with pytest.raises(InputError, match="not valid TOML"):
        resolve_config(Cfg, file=bad)


def test_section_selects_table(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("[train]\nsteps = 3\n")
    assert resolve_config(Cfg, file=f, section="train").steps == 3


def test_bad_common_options(capsys):
    assert cli_main(_parser(lambda a: common_options(a)), ["run", "--threads", "0"]) == 2
    assert "--threads" in capsys.readouterr().err
    assert cli_main(_parser(lambda a: common_options(a)), ["run", "--config", "missing.toml"]) == 2


def test_resolve_device():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") in {"cpu", "cuda"}
    with pytest.raises(InputError):
        resolve_device("tpu")
