"""LeOCLR vs MoCo-v2 from paired seeds (contracts.md §7): the verdict the reports print, computed, never written.

For one (protocol, headline metric), the two methods' results are paired by seed (same seed = same data order
and initialisation draw for both). With the n per-seed differences d_i = LeOCLR_i − MoCo-v2_i:
mean d̄, its 95 % interval d̄ ± t(0.975, n−1) · s_d / √n, and the two-sided paired-t p-value. The verdict says
"LeOCLR ahead" or "MoCo-v2 ahead" only when the interval excludes 0, "no difference resolved" otherwise, and
"not assessed (n seeds)" with fewer than 2 pairs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

AHEAD, BEHIND, UNRESOLVED = "LeOCLR ahead", "MoCo-v2 ahead", "no difference resolved"


@dataclass(frozen=True)
class Paired:
    n: int                              # paired seeds
    mean_diff: float | None             # mean of the per-seed differences LeOCLR − MoCo-v2
    ci: tuple | None                    # 95 % paired-t interval of the mean difference
    p_value: float | None               # two-sided paired t-test
    verdict: str

    @property
    def assessed(self) -> bool:
        return self.ci is not None


def not_assessed(n: int) -> str:
    return f"not assessed ({n} seed{'' if n == 1 else 's'})"


def compare_paired(leoclr: dict, mocov2: dict, confidence: float = 0.95) -> Paired:
    """`leoclr`, `mocov2`: {seed: value}. Seeds present in only one of them are not used."""
    from scipy import stats

    seeds = sorted(set(leoclr) & set(mocov2), key=str)
    diffs = [float(leoclr[s]) - float(mocov2[s]) for s in seeds]
    n = len(diffs)
    if n == 0:
        return Paired(0, None, None, None, not_assessed(0))
    mean = sum(diffs) / n
    if n < 2:
        return Paired(n, mean, None, None, not_assessed(n))
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1))
    if sd == 0.0:  # identical differences on every seed: the interval is the point itself
        ci, p = (mean, mean), (1.0 if mean == 0 else 0.0)
    else:
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
        ci = (mean - half, mean + half)
        p = float(2 * stats.t.sf(abs(mean / (sd / math.sqrt(n))), n - 1))
    verdict = AHEAD if ci[0] > 0 else BEHIND if ci[1] < 0 else UNRESOLVED
    return Paired(n, mean, ci, p, verdict)


def summary(comparisons: list[tuple[str, Paired]]) -> str:
    """One sentence over every compared protocol, from the verdicts alone."""
    if not comparisons:
        return "No protocol has results for both methods yet."
    assessed = [(name, c) for name, c in comparisons if c.assessed]
    ahead = [name for name, c in assessed if c.verdict == AHEAD]
    behind = [name for name, c in assessed if c.verdict == BEHIND]
    parts = [f"{len(assessed)} of {len(comparisons)} protocols have ≥ 2 paired seeds"]
    if assessed:
        parts.append(f"LeOCLR ahead (95 % interval of the paired difference excludes 0) on "
                     f"{', '.join(ahead) if ahead else 'none'}; MoCo-v2 ahead on {', '.join(behind) if behind else 'none'}"
                     f"; no difference resolved on the other {len(assessed) - len(ahead) - len(behind)}")
    return "; ".join(parts) + "."
