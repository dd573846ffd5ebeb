"""The words and number formats that the report's modules share (`suite.report`, `suite.aggregate`,
`suite.figures`, `suite.verdict_section`): a line's state, the method and reference labels, a CSV cell read as a
number, a duration."""
from __future__ import annotations

OK, MISSING = "ok", "missing"   # or "<profiles> profile only": the row runs in other profiles


def profile_only(profiles) -> str:
    return f"{'/'.join(profiles) or 'no'} profile only"


def is_profile_only(state: str) -> bool:
    return state.endswith(" profile only")


METHOD_LABELS = {"leoclr": "LeOCLR", "mocov2": "MoCo-v2", "random": "random init", "supervised": "supervised",
                 "external": "external"}
STATUS_LABELS = {"paper": "", "moco-v2": " (MoCo-v2)", "derived": " (derived)"}


def to_float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def hours(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds < 3600 else f"{seconds / 3600:.2f} h"
