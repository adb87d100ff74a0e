import pytest
import torch


@pytest.fixture(autouse=True)
def _single_thread():
    # Two shared cores: small models are faster and steadier on one thread.
    torch.set_num_threads(1)
    yield
