"""Run bvflow from a checkout without installing it: ``python cli.py --help``."""

from bvflow.cli import main

if __name__ == "__main__":
    main(prog_name="bvflow")
