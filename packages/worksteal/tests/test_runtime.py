"""The user API rejects bad arguments before any MPI work (no MPI initialised in this process)."""

import sys

import pytest

from core_utils import InputError
from worksteal.mpi.runtime import StealConfig, run


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((len,), {}, "exactly one of"),
        ((len, 5), {"tasks": [1]}, "exactly one of"),
        ((len, 0), {}, "positive integer"),
        ((len, -2), {}, "positive integer"),
        ((len, 5), {"policy": "bogus"}, "unknown policy"),
    ],
)
def test_run_rejects_bad_arguments(args, kwargs, match):
    with pytest.raises(InputError, match=match):
        run(*args, **kwargs)


def test_steal_config_validation():
    with pytest.raises(InputError, match="radius"):
        StealConfig(radius=0)
    with pytest.raises(InputError, match="alpha"):
        StealConfig(alpha=0)


def test_importing_worksteal_does_not_import_mpi4py():
    import worksteal  # noqa: F401

    assert "mpi4py.MPI" not in sys.modules
