"""`python -m churn score ...`: see churn.cli."""

import sys

from churn.cli import main

sys.exit(main())
