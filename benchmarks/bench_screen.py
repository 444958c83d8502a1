"""Screening speed: ``mexards screen`` on a 10,000-row CSV of varied MEXARDS patients.

Reports rows/s in-process (compiled criteria reused for every row) and as a subprocess (the real command, with
start-up), each as a ratio against a baseline measured in the same run: the time to merely parse the CSV into
dictionaries. Target: the subprocess under 10 s on a 2-core machine.
"""

from __future__ import annotations

import csv
import io
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mexards.clinical.eligibility import Screener
from mexards.clinical.patient import flatten, records_from_csv
from mexards.protocol import builtin_protocol, example_patients

ROWS = 10_000
SEED = 20250301


def _vary(base: dict[str, Any], rng: random.Random, number: int) -> dict[str, Any]:
    """A varied patient: ages, body size, gases, liver values, events and missing data drawn at random."""
    row = dict(base)
    row["patient_id"] = f"B{number:05d}"
    row["date_of_birth"] = f"{rng.randint(1948, 2010)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    row["anthropometry.weight_kg"] = f"{rng.uniform(45, 110):.1f}"
    row["anthropometry.height_cm"] = str(rng.randint(150, 195))
    row["oxygenation.pao2_mmhg"] = str(rng.randint(45, 170))
    row["oxygenation.fio2_fraction"] = rng.choice(["0.4", "0.5", "0.6", "0.8", "1.0"])
    row["oxygenation.peep_cmh2o"] = str(rng.choice([3, 5, 8, 10, 12, 15]))
    row["oxygenation.support"] = rng.choice(["invasive", "invasive", "noninvasive"])
    row["oxygenation.paco2_mmhg"] = str(rng.randint(30, 70))
    row["history.chronic_respiratory_disease"] = rng.choice(["false", "false", "true"])
    row["liver.bilirubin_mg_dl"] = f"{rng.uniform(0.3, 6):.1f}"
    row["liver.albumin_g_dl"] = f"{rng.uniform(2.0, 4.5):.1f}"
    row["liver.inr"] = f"{rng.uniform(0.9, 3.0):.2f}"
    row["ards.diagnosed_at"] = f"2025-02-{rng.randint(25, 28):02d}T{rng.randint(0, 23):02d}:00:00+00:00"
    if rng.random() < 0.1:
        row["events.dvt_or_pe.occurred"] = "true"
        row["events.dvt_or_pe.date"] = f"2024-{rng.randint(9, 12):02d}-{rng.randint(1, 28):02d}"
    if rng.random() < 0.1:
        row["labs.anc_per_mm3"] = ""
    return row


def make_csv(rows: int = ROWS, seed: int = SEED) -> str:
    """CSV text of ``rows`` varied patients built around the bundled reference patient."""
    rng = random.Random(seed)
    base = {k: ("true" if v is True else "false" if v is False else str(v))
            for k, v in flatten(example_patients("NCT04602104")[0]).items() if k != "notes"}
    columns = [*base, "events.dvt_or_pe.date"]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    for number in range(rows):
        writer.writerow(_vary(base, rng, number))
    return out.getvalue()


def _timed(action: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def main() -> None:
    """Generate the CSV, time the baseline, the in-process screen and the ``mexards screen`` subprocess."""
    text = make_csv()
    baseline, records = _timed(lambda: records_from_csv(text))
    screener = Screener(builtin_protocol("NCT04602104"))
    in_process, results = _timed(lambda: screener.screen_many(records_from_csv(text)))
    verdicts: dict[str, int] = {}
    for result in results:
        verdicts[result.verdict.value] = verdicts.get(result.verdict.value, 0) + 1
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "patients.csv"
        path.write_text(text, encoding="utf-8")
        command = [sys.executable, "-c", "from mexards.cli.main import app; app()", "screen", "--csv", str(path)]
        subprocess_time, done = _timed(lambda: subprocess.run(command, capture_output=True, text=True, check=True))
        output_rows = done.stdout.count("\n") - 1
    print(f"rows: {len(records)}  verdicts: {verdicts}  subprocess output rows: {output_rows}")
    print(f"{'measure':<28}{'seconds':>10}{'rows/s':>12}{'x baseline':>12}")
    for name, seconds in (("baseline: parse CSV", baseline), ("screen in-process", in_process),
                          ("mexards screen (subprocess)", subprocess_time)):
        print(f"{name:<28}{seconds:>10.3f}{len(records) / seconds:>12.0f}{seconds / baseline:>12.1f}")
    print(f"target: subprocess under 10 s -> {'met' if subprocess_time < 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
