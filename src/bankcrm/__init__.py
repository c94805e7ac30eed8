"""bankcrm: the customer relationship management system of a commercial bank."""

import os

# OpenMP threads (scikit-learn's boosters) that wait at a barrier sleep instead of
# spinning. Spinning threads take the cores the working ones need whenever another
# process runs beside the scoring (the usual case on a shared server): a 100-tree fit
# measured 33 s spinning and 6 s sleeping on 2 busy cores (4 s on one thread). Set here,
# before anything loads the OpenMP runtime; a value the operator set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
