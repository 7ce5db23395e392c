"""One coordinator hammering reviews through the public API for a while (a test worker).

Usage: python coordinator.py URL OPERATIONS SEED REF [REF...]; prints JSON counts per review.
A fixed number of operations, not a time: what the test can assert does not depend on how
busy the machine is.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter

import bvflow
from bvflow import App, ConflictError, Database, RefusedError


def main() -> None:
    url, operations, seed, refs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    rng = random.Random(seed)
    app = App(Database(url), actor=f"coordinator-{seed}")
    done: Counter[str] = Counter()
    outcome: Counter[str] = Counter()
    for _ in range(operations):
        ref = rng.choice(refs)
        action = rng.choice(["advance", "return", "evidence"])
        try:
            if action == "advance":
                bvflow.advance(app, ref, override_timetable=True, reason="load test")
            elif action == "return":
                bvflow.return_review(app, ref, "challenge", "load test")
            else:
                bvflow.add_evidence(app, ref, "correspondence", f"letter {rng.random():.6f}")
        except ConflictError:
            outcome["conflict"] += 1
            continue
        except RefusedError:
            outcome["refused"] += 1
            continue
        done[ref] += 1
        outcome["ok"] += 1
    app.db.dispose()
    print(json.dumps({"done": done, "outcome": outcome}))


if __name__ == "__main__":
    main()
