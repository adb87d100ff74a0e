"""Test configuration.

The matrices here are small (at most a few hundred rows); a multi-threaded BLAS
on a shared 2-core machine spends more time spinning than computing (a 400 x 400
``eigvalsh`` measured 1.7 s with 2 threads under load vs 0.02 s with 1), so the
tests pin BLAS to one thread.
"""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _single_threaded_blas():
    with threadpool_limits(limits=1):
        yield
