"""`python -m churn.validate`: see churn.validate.command."""

from churn.validate.command import main

if __name__ == "__main__":
    raise SystemExit(main())
