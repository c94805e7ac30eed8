"""bankcrm: the customer relationship management system of a commercial bank."""

import os

# OpenMP threads (scikit-learn's boosters) that wait at a barrier sleep instead of
# spinning. Spinning threads take the cores the working ones need whenever another
# process runs beside the scoring (the usual case on a shared server): a 100-tree fit took
# 12.6 s spinning and 4.7 s sleeping beside one busy process, 61.7 s and 9.4 s beside two.
# On idle cores sleeping costs the second thread's gain (4.2 s against 2.1 s): a dedicated
# scoring machine may set OMP_WAIT_POLICY=ACTIVE. benchmarks/bench_openmp.py measures it.
# Set here, before anything loads the OpenMP runtime; a value the operator set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
