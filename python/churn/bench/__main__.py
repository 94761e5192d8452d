"""`python -m churn.bench`: see churn.bench."""

import sys

from churn.bench import main

sys.exit(main())
