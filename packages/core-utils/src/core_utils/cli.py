"""Shared command-line plumbing for every methodkit CLI (built on ``argparse``).

Every package CLI is a ``main(argv=None) -> int`` built like this::

    parser, sub = make_parser("mypkg", version=__version__, description="...")
    p = sub.add_parser("demo", help="run the demo")
    add_common_options(p)
    p.set_defaults(func=_demo)          # _demo(args) -> int | None

    def main(argv=None):
        return cli_main(parser, argv)

``cli_main`` turns :class:`~core_utils.InputError` into one line on stderr and
exit code 2; argparse usage errors also give one line and exit 2; unexpected
errors keep their traceback (exit 1).

Configuration is resolved as *dataclass defaults < ``--config`` TOML file <
``--set key=value`` < explicit flags* by :func:`resolve_config`, which rejects
unknown keys by name.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import tomllib
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from core_utils.errors import InputError

C = TypeVar("C")

DEVICES = ("cpu", "cuda", "auto")


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line, exit code 2."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def make_parser(
    prog: str, *, version: str, description: str | None = None
) -> tuple[argparse.ArgumentParser, Any]:
    """Top-level parser with ``--version`` and a required sub-command group.

    Returns
    -------
    parser, subparsers
        Add sub-commands with ``subparsers.add_parser(name, help=...)``.
    """
    parser = _Parser(prog=prog, description=description)
    parser.add_argument("--version", action="version", version=f"{prog} {version}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    return parser, sub


def add_common_options(parser: argparse.ArgumentParser, *, out_default: str | None = None) -> None:
    """Add the options every computing sub-command offers.

    ``--seed``, ``--out DIR``, ``--config FILE`` (TOML), ``--set KEY=VALUE``
    (repeatable config override), ``--threads``, ``--device cpu|cuda|auto``,
    ``--quiet`` / ``--verbose``.
    """
    g = parser.add_argument_group("common options")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument(
        "--out",
        type=Path,
        default=Path(out_default) if out_default else None,
        help="output folder for result.json, figures and checkpoints",
    )
    g.add_argument("--config", type=Path, default=None, help="TOML configuration file")
    g.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one configuration key (value parsed as TOML), repeatable",
    )
    g.add_argument("--threads", type=int, default=None, help="number of CPU threads for torch/BLAS")
    g.add_argument("--device", choices=DEVICES, default="auto", help="compute device (default auto)")
    v = g.add_mutually_exclusive_group()
    v.add_argument("-q", "--quiet", action="store_true", help="no progress bars or info logs")
    v.add_argument("-v", "--verbose", action="store_true", help="debug logging")


@dataclass(frozen=True)
class CommonOptions:
    """The parsed common options, after validation."""

    seed: int
    out: Path | None
    config: Path | None
    overrides: dict[str, Any]
    threads: int | None
    device: str
    quiet: bool
    verbose: bool


def _parse_override(item: str) -> tuple[str, Any]:
    if "=" not in item:
        raise InputError(f"--set expects KEY=VALUE, got {item!r}")
    key, raw = item.split("=", 1)
    key = key.strip()
    if not key:
        raise InputError(f"--set expects KEY=VALUE, got {item!r}")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # bare strings need no quotes on the command line
    return key, value


def common_options(args: argparse.Namespace) -> CommonOptions:
    """Validate the common options, apply ``--threads`` and logging, and return them."""
    if args.seed is not None and not 0 <= args.seed < 2**32:
        raise InputError(f"--seed must be in [0, 2**32), got {args.seed}")
    if args.threads is not None and args.threads < 1:
        raise InputError(f"--threads must be >= 1, got {args.threads}")
    if args.config is not None and not args.config.is_file():
        raise InputError(f"--config file {args.config} does not exist")
    overrides = dict(_parse_override(s) for s in getattr(args, "overrides", []) or [])
    if args.threads is not None:
        os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
        try:  # BLAS pools of numpy/scipy are already started: resize them in place
            from threadpoolctl import threadpool_limits
        except ImportError:
            pass
        else:
            threadpool_limits(limits=args.threads)
        if "torch" in sys.modules or _has_torch():
            import torch

            torch.set_num_threads(args.threads)
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    return CommonOptions(
        seed=args.seed,
        out=args.out,
        config=args.config,
        overrides=overrides,
        threads=args.threads,
        device=args.device,
        quiet=args.quiet,
        verbose=args.verbose,
    )


def _has_torch() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def resolve_device(name: str = "auto") -> str:
    """Map ``cpu|cuda|auto`` to a torch device string; ``cuda`` without CUDA is an error."""
    if name not in DEVICES:
        raise InputError(f"--device must be one of {', '.join(DEVICES)}, got {name!r}")
    if name == "cpu":
        return "cpu"
    cuda = False
    if _has_torch():
        import torch

        cuda = torch.cuda.is_available()
    if name == "cuda" and not cuda:
        raise InputError("--device cuda requested but CUDA is not available")
    return "cuda" if cuda else "cpu"


def _check_type(name: str, value: Any, hint: Any) -> Any:
    """Check and lightly coerce ``value`` against a field's type hint."""
    origin = typing.get_origin(hint)
    if hint is Any or hint is object:
        return value
    if origin in (typing.Union, types.UnionType):
        errors = []
        for arm in typing.get_args(hint):
            if arm is type(None):
                if value is None:
                    return None
                continue
            try:
                return _check_type(name, value, arm)
            except InputError as exc:
                errors.append(str(exc))
        raise InputError(errors[0] if errors else f"config key {name!r}: bad value {value!r}")
    if origin is typing.Literal:
        if value not in typing.get_args(hint):
            allowed = ", ".join(map(repr, typing.get_args(hint)))
            raise InputError(f"config key {name!r} must be one of {allowed}, got {value!r}")
        return value
    if origin in (tuple, list, Sequence):
        if not isinstance(value, (list, tuple)):
            raise InputError(f"config key {name!r} must be a list, got {value!r}")
        args = typing.get_args(hint)
        if args and (len(args) == 1 or (len(args) == 2 and args[1] is Ellipsis)):
            value = [_check_type(name, v, args[0]) for v in value]
        return tuple(value) if origin is tuple else list(value)
    if origin in (dict, Mapping):
        if not isinstance(value, dict):
            raise InputError(f"config key {name!r} must be a table, got {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise InputError(f"config key {name!r} must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"config key {name!r} must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"config key {name!r} must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise InputError(f"config key {name!r} must be a string, got {value!r}")
        return value
    if hint is Path or hint is os.PathLike:
        if not isinstance(value, (str, os.PathLike)):
            raise InputError(f"config key {name!r} must be a path, got {value!r}")
        return Path(value)
    return value


def load_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML file, turning syntax errors into :class:`InputError`."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"config file {path} is not valid TOML: {exc}") from None


def resolve_config(
    cls: type[C],
    *,
    file: str | os.PathLike[str] | None = None,
    section: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> C:
    """Build a config dataclass from defaults, a TOML file and overrides.

    Parameters
    ----------
    cls : dataclass type
        The configuration class; its defaults are the paper's.
    file : path, optional
        TOML file. If ``section`` is given and the file has a table of that
        name, only that table is used.
    overrides : mapping, optional
        ``--set`` values (applied after the file).
    flags : mapping, optional
        Explicit command-line flags; entries whose value is None are ignored
        (flag not given). Applied last.

    Raises
    ------
    InputError
        For a key that is not a field of ``cls`` (the key is named), or a value
        of the wrong type.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    values: dict[str, Any] = {}
    sources: list[tuple[str, Mapping[str, Any]]] = []
    if file is not None:
        data = load_toml(file)
        if section is not None and isinstance(data.get(section), dict):
            data = data[section]
        sources.append((f"config file {file}", data))
    if overrides:
        sources.append(("--set", overrides))
    if flags:
        sources.append(("flags", {k: v for k, v in flags.items() if v is not None}))
    for where, data in sources:
        for key, value in data.items():
            if key not in names:
                known = ", ".join(sorted(names))
                raise InputError(f"unknown config key {key!r} in {where} (known keys: {known})")
            values[key] = _check_type(key, value, hints.get(key, Any))
    try:
        return cls(**values)
    except InputError:
        raise
    except (TypeError, ValueError) as exc:
        raise InputError(f"invalid configuration: {exc}") from None


def cli_main(
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None = None,
    *,
    handler: Callable[[argparse.Namespace], int | None] | None = None,
) -> int:
    """Parse ``argv`` and run the selected sub-command's ``func`` (or ``handler``).

    Returns the exit code: 0 on success, 2 for :class:`InputError` and usage
    errors (one line on stderr, no traceback), 130 on Ctrl-C. Any other
    exception propagates with its traceback (exit 1 from the interpreter).
    """
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return int(exc.code) if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    func = handler or getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        code = func(args)
    except InputError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130
    return int(code or 0)
