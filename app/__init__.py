"""OsteoPlan application layer: the command line (entry point) and the Qt/VTK GUI.

The command line imports no Qt until the GUI is asked for.

Before numpy is first imported (this package is imported before anything else of the program's), the
BLAS library's thread pool is limited to one thread unless the operator set ``OPENBLAS_NUM_THREADS``
(or ``OMP_NUM_THREADS``) already. The program's matrix products are small ((N, 3) points by a 3 x 3
direction); BLAS threads gain nothing on them and on a busy 2-core machine spin: a vertebra click on the
bundled sample case took 1.80-2.70 s with the default threads and 1.62-1.96 s with one, the results the
same (tests/benchmarks/vertebra_click_blas_threads.py, T7, T9, T11, T12, with the test suite running
beside it). The heavy image work (SimpleITK, scipy.ndimage, VTK) uses its own threads and is not
affected.
"""

import os as _os

if "OMP_NUM_THREADS" not in _os.environ:
    _os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
