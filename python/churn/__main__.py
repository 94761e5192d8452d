"""`python -m churn <command> ...`: the same as the `churn` console script (see churn.cli)."""

import sys

from churn.cli import main

sys.exit(main())
