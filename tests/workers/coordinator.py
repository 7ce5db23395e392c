"""One coordinator hammering reviews through the public API for a while (a test worker).

Usage: python coordinator.py URL SECONDS SEED REF [REF...]; prints JSON counts per review.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter

import bvflow
from bvflow import App, ConflictError, Database, RefusedError


def main() -> None:
    url, seconds, seed, refs = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    rng = random.Random(seed)
    app = App(Database(url), actor=f"coordinator-{seed}")
    done: Counter[str] = Counter()
    outcome: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
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
