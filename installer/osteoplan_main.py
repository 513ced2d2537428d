"""Entry point of the desktop bundle: the same command line as the ``osteoplan`` console script."""

from app.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
