"""Maintainer and CI entry point for the methodkit monorepo.

Sessions are discovered from the tree: every ``packages/*/pyproject.toml`` is a
package. ``nox -l`` lists them. The default sessions (bare ``nox``) are
``lint`` and every ``tests-<dist>``.

Per-package install hooks live in the package's own ``pyproject.toml``::

    [tool.methodkit]
    preinstall = ["torch"]          # installed (with the constraints) first
    install-args = ["--no-build-isolation"]   # extra pip args for the package
    system = "mpi"                  # informational only
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tomllib
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PACKAGES_DIR = ROOT / "packages"
CONSTRAINTS = ROOT / "constraints.txt"
SHARED = "core-utils"

nox.options.reuse_existing_virtualenvs = False
nox.options.error_on_missing_interpreters = True


def _load_packages() -> dict[str, dict]:
    """Map distribution name -> {path, import, scripts, tool} from the tree."""
    found = {}
    for pyproject in sorted(PACKAGES_DIR.glob("*/pyproject.toml")):
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        project = data["project"]
        found[project["name"]] = {
            "path": pyproject.parent,
            "scripts": list(project.get("scripts", {})),
            "extras": list(project.get("optional-dependencies", {})),
            "tool": data.get("tool", {}).get("methodkit", {}),
        }
    return found


PACKAGES = _load_packages()
METHOD_PACKAGES = [name for name in PACKAGES if name != SHARED]

nox.options.sessions = ["lint", *(f"tests-{name}" for name in PACKAGES)]


def _pip_env(session: nox.Session) -> None:
    # PIP_CONSTRAINT also reaches isolated build environments (sdists that
    # import torch at build time), unlike a -c flag.
    session.env["PIP_CONSTRAINT"] = str(CONSTRAINTS)


def _install(session: nox.Session, dist: str, extra: str | None = None) -> None:
    """Install core-utils and one package (with an extra) into the session venv."""
    _pip_env(session)
    info = PACKAGES[dist]
    tool = info["tool"]
    if tool.get("preinstall"):
        session.install("-c", str(CONSTRAINTS), *tool["preinstall"])
    target = str(info["path"]) + (f"[{extra}]" if extra and extra in info["extras"] else "")
    args = ["-c", str(CONSTRAINTS), *tool.get("install-args", [])]
    if dist != SHARED:
        args.append(str(PACKAGES[SHARED]["path"]))
    session.install(*args, target)


def _make_tests(dist: str) -> None:
    @nox.session(name=f"tests-{dist}", tags=["tests"])
    def tests(session: nox.Session) -> None:
        """Install this package alone (plus core-utils and its test extra) and run pytest."""
        _install(session, dist, "test")
        session.chdir(PACKAGES[dist]["path"])
        # pytest exits 5 when it collected nothing: nox treats that as failure.
        session.run("pytest", *session.posargs)


def _make_bench(dist: str) -> None:
    @nox.session(name=f"bench-{dist}", tags=["bench"])
    def bench(session: nox.Session) -> None:
        """Run this package's benchmark scripts (benchmarks/bench_*.py)."""
        _install(session, dist, "test")
        path = PACKAGES[dist]["path"]
        scripts = sorted((path / "benchmarks").glob("bench_*.py"))
        if not scripts:
            session.error(f"{dist} has no benchmarks/bench_*.py")
        out = ROOT / "reports" / "bench" / dist
        session.chdir(path)
        for script in scripts:
            session.run("python", str(script.relative_to(path)), "--out", str(out), *session.posargs)


for _dist in PACKAGES:
    _make_tests(_dist)
    if _dist != SHARED:
        _make_bench(_dist)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check + format check, validate every pyproject, lint the CI workflow."""
    # actionlint's PyPI wrapper downloads its binary at install time, which fails
    # offline; the workflow is validated against the vendored GitHub workflow
    # JSON schema instead (check-jsonschema ships it, no network needed).
    session.install("ruff>=0.6", "validate-pyproject[all]>=0.18", "check-jsonschema>=0.28")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    pyprojects = [str(ROOT / "pyproject.toml")] + [
        str(i["path"] / "pyproject.toml") for i in PACKAGES.values()
    ]
    session.run("validate-pyproject", *pyprojects)
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows)


def _wheel(dist_dir: Path, dist: str) -> str:
    """Path of the one wheel built for ``dist`` in ``dist_dir``."""
    stem = dist.replace("-", "_")
    wheels = sorted(dist_dir.glob(f"{stem}-*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"expected one wheel for {dist} in {dist_dir}, found {len(wheels)}")
    return str(wheels[0])


@nox.session
def build(session: nox.Session) -> None:
    """Build sdist + wheel of every package, install each wheel alone, run its CLI --help.

    ``nox -s build -- DIST ...`` builds and checks only the named packages (plus core-utils).
    """
    _pip_env(session)
    selected = list(session.posargs) or list(PACKAGES)
    unknown = [d for d in selected if d not in PACKAGES]
    if unknown:
        session.error(f"unknown package(s): {', '.join(unknown)}")
    if SHARED not in selected:
        selected.insert(0, SHARED)
    session.install("build>=1.0")
    dist_dir = ROOT / "dist"
    shutil.rmtree(dist_dir, ignore_errors=True)
    for dist in selected:
        session.run("python", "-m", "build", "--outdir", str(dist_dir), str(PACKAGES[dist]["path"]))
    work = Path(session.create_tmp()) / "isolated"
    for dist in selected:
        info = PACKAGES[dist]
        venv = work / dist
        shutil.rmtree(venv, ignore_errors=True)
        session.run(sys.executable, "-m", "venv", str(venv), external=True)
        py = venv / "bin" / "python"
        pip = [str(py), "-m", "pip", "install", "--quiet", "-c", str(CONSTRAINTS)]
        if info["tool"].get("preinstall"):
            session.run(*pip, *info["tool"]["preinstall"], external=True)
        # Unrelated projects own the names core-utils and tapestry on PyPI, with higher
        # versions: install our wheels by file so the resolver cannot swap them (see
        # docs/contributing.md).
        session.run(*pip, "--no-deps", _wheel(dist_dir, SHARED), external=True)
        session.run(
            *pip,
            *info["tool"].get("install-args", []),
            "--find-links",
            str(dist_dir),
            _wheel(dist_dir, dist),
            external=True,
        )
        session.run(
            str(py), "-c", f"import importlib.metadata as m; print(m.version({dist!r}))", external=True
        )
        for script in info["scripts"]:
            session.run(str(venv / "bin" / script), "--help", external=True, silent=True)
            session.log(f"{dist}: wheel installs alone and `{script} --help` works")
        shutil.rmtree(venv, ignore_errors=True)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with mkdocs --strict."""
    missing = [d for d in PACKAGES if not (ROOT / "docs" / "packages" / f"{d}.md").exists()]
    if missing:
        session.error(f"no docs/packages/<dist>.md page for: {', '.join(missing)}")
    session.install("mkdocs>=1.6", "mkdocstrings[python]>=0.26")
    session.run("mkdocs", "build", "--strict", "--site-dir", str(ROOT / "site"))


@nox.session
def demo(session: nox.Session) -> None:
    """Install all packages in one venv, run every package's `demo`, write reports/index.md."""
    _pip_env(session)
    preinstall = sorted({r for d in PACKAGES.values() for r in d["tool"].get("preinstall", [])})
    if preinstall:
        session.install("-c", str(CONSTRAINTS), *preinstall)
    install_args = sorted({a for d in PACKAGES.values() for a in d["tool"].get("install-args", [])})
    targets = []
    for info in PACKAGES.values():
        extras = [e for e in info["tool"].get("demo-extras", []) if e in info["extras"]]
        targets.append(str(info["path"]) + (f"[{','.join(extras)}]" if extras else ""))
    session.install("-c", str(CONSTRAINTS), *install_args, *targets)
    reports = ROOT / "reports"
    reports.mkdir(exist_ok=True)
    rows, failed = [], []
    for dist in METHOD_PACKAGES:
        script = PACKAGES[dist]["scripts"][0]
        out = reports / dist
        shutil.rmtree(out, ignore_errors=True)
        help_text = session.run(script, "--help", silent=True, external=False) or ""
        if " demo" not in help_text:
            rows.append((dist, "missing", "no `demo` subcommand yet", []))
            continue
        try:
            session.run(script, "demo", "--out", str(out), "--quiet")
        except nox.command.CommandFailed:
            failed.append(dist)
            rows.append((dist, "FAILED", "the demo exited non-zero", []))
            continue
        record_path = out / "result.json"
        record = json.loads(record_path.read_text()) if record_path.exists() else {}
        headline = record.get("headline") or "(no headline recorded)"
        pngs = sorted(p.relative_to(reports).as_posix() for p in out.rglob("*.png"))
        rows.append((dist, "ok", headline, pngs))
    lines = ["# methodkit demo report", "", "| package | demo | headline |", "| --- | --- | --- |"]
    lines += [f"| {d} | {status} | {headline} |" for d, status, headline, _ in rows]
    for dist, _status, _, pngs in rows:
        if pngs:
            lines += ["", f"## {dist}", ""] + [f"![{Path(p).stem}]({p})" for p in pngs]
    (reports / "index.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    session.log(f"wrote {reports / 'index.md'}")
    if failed:
        session.error(f"demo failed for: {', '.join(failed)}")


if os.environ.get("NOX_LIST_PACKAGES"):
    print("\n".join(PACKAGES))
