"""The curves CSV a run writes beside its record (contracts.md §3: `step, epoch, loss, lr`, plus what a stage
measures): one history however often the run was resumed. Shared by the pretraining and the detection /
segmentation hooks; standard library only."""
from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

from common.records import atomic_write_text


class CurvesCSV:
    def __init__(self, path: str | os.PathLike, columns):
        self.path, self.columns = Path(path), list(columns)

    def restart(self, upto_step: int) -> None:
        """Keep the rows up to `upto_step` (a resumed run's checkpoint) and drop the rest, rewriting the file
        atomically: a kill during the rewrite leaves the old file, never half of it."""
        rows = []
        if self.path.exists():
            with open(self.path, newline="") as handle:
                rows = [row for row in csv.DictReader(handle) if int(row["step"]) <= upto_step]
        text = io.StringIO()
        writer = csv.DictWriter(text, self.columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(self.path, text.getvalue())

    def append(self, row: dict) -> None:
        """One row, flushed to disk (a killed run keeps every row written before it)."""
        with open(self.path, "a", newline="") as handle:
            csv.DictWriter(handle, self.columns, lineterminator="\n", extrasaction="ignore").writerow(row)
            handle.flush()
            os.fsync(handle.fileno())


def number(value) -> str:
    """A logged scalar (tensor or float) as the CSV holds it: 6 significant digits, NaN and None as empty."""
    if value is None:
        return ""
    value = float(value.item() if hasattr(value, "item") else value)
    return "" if math.isnan(value) else f"{value:.6g}"
