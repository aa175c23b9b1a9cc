"""Print the bad-input table: each case of ``tests/bad_input_cases.py`` run through the CLI,
with its exit code, its message and what became of the store (``make bench`` does not run it;
``python benchmarks/bad_inputs.py [--markdown]``). ``tests/test_bad_input.py`` asserts the same
outcomes."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.bad_input_cases import CASES, run_case  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--markdown", action="store_true", help="A Markdown table.")
    args = parser.parse_args()
    rows = []
    for case in CASES:
        with tempfile.TemporaryDirectory(prefix="infoscope-bad-") as tmp:
            outcome = run_case(case, Path(tmp))
        store = outcome.store + ("" if outcome.intact else " (GOOD POSTS NOT INTACT)")
        message = outcome.message.replace(tmp, "…")
        rows.append((case.name, str(outcome.exit_code), message, store))
    if args.markdown:
        print("| case | exit | message | store |")
        print("|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        return
    for name, code, message, store in rows:
        print(f"{name:<48} exit {code}  store: {store}\n    {message}")


if __name__ == "__main__":
    main()
