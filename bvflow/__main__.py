"""``python -m bvflow``."""

from bvflow.cli import main

main(prog_name="bvflow")
