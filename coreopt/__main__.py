"""`python -m coreopt ...`: the `coreopt` command line (see `coreopt.cli.main`)."""

import sys

from coreopt.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
