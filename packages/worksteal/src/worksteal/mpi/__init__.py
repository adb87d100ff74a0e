"""The real MPI runtime (mpi4py, one-sided RMA). Nothing here imports mpi4py at package import."""
