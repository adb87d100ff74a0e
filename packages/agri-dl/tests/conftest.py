"""Small torch models on a shared 2-core machine run fastest single-threaded."""

import torch

torch.set_num_threads(1)
