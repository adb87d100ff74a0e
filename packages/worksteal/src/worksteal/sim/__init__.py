"""Discrete-event simulation of the scheduling policies (scaling studies to thousands of ranks)."""

from worksteal.sim.des import simulate

__all__ = ["simulate"]
