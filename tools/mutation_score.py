"""Print the mutation score of the last ``mutmut run`` (``make mutate`` calls this).

Reads every mutant's status from ``mutmut results --all true``, sets aside the mutants
that ``docs/mutation.md`` lists as equivalent (each with the reason it cannot change
behaviour), and prints killed / (all - equivalent) with the survivors by name. Exits 1
when the score is below the target, so the figure cannot be quoted without holding.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

TARGET = 0.95
ROOT = Path(__file__).resolve().parents[1]
KILLED = {"killed", "timeout", "segfault"}  # a mutant that hangs or crashes is caught too


def equivalent_mutants() -> set[str]:
    """Mutant names listed in docs/mutation.md (lines starting with ``- `name` ``), above its
    section of survivors that are not equivalent."""
    text = (ROOT / "docs" / "mutation.md").read_text(encoding="utf-8")
    text = text.partition("## Survivors that are not equivalent")[0]
    return set(re.findall(r"^- `([\w.]+__mutmut_\d+)`", text, flags=re.MULTILINE))


def statuses() -> dict[str, str]:
    mutmut = Path(sys.executable).with_name("mutmut")
    out = subprocess.run(
        [str(mutmut), "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    found = {}
    for line in out.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in name:
            found[name] = status.strip()
    return found


def main() -> int:
    found = statuses()
    equivalent = equivalent_mutants()
    counted = {name: status for name, status in found.items() if name not in equivalent}
    tally = Counter(counted.values())
    killed = sum(tally[status] for status in KILLED)
    score = killed / len(counted) if counted else 0.0
    print(f"mutants: {len(found)}, equivalent (docs/mutation.md): {len(equivalent & set(found))}")
    print("by status: " + ", ".join(f"{status} {count}" for status, count in sorted(tally.items())))
    for name, status in sorted(counted.items()):
        if status not in KILLED:
            print(f"  {status}: {name}")
    print(f"mutation score: {killed}/{len(counted)} = {score:.1%} (target {TARGET:.0%})")
    return 0 if score >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
