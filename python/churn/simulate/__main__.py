"""`python -m churn.simulate`: see churn.simulate.command."""

from churn.simulate.command import main

if __name__ == "__main__":
    raise SystemExit(main())
