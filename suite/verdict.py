"""LeOCLR vs MoCo-v2 from paired seeds (contracts v5 §7): the verdict the reports print, computed, never written.

For one (protocol, headline metric), the two methods' results are paired by seed (same seed = same initial
weights, queue, data order and view draws for both: shared start conditions, `tests/test_verdict.py`). With the n
per-seed differences d_i = LeOCLR_i − MoCo-v2_i: the mean d̄; its 95 % paired-t interval d̄ ± t(0.975, n−1)·s_d/√n
and two-sided paired-t p, both *unadjusted*; and the exact sign-flip p (all 2ⁿ sign patterns of the d_i, two-sided
on |mean|: it needs no normality, and with n = 3 it cannot go below 0.25).

The verdict is read over the protocols of one table at once (`judge`): the paired-t p-values are Holm-adjusted over
the assessed protocols, and a side is "ahead" only when its Holm p < 0.05 with n ≥ 3. Fewer than 3 pairs, or zero
spread (identical differences: no interval to speak of), is "not assessed".
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

AHEAD, BEHIND, UNRESOLVED = "LeOCLR ahead", "MoCo-v2 ahead", "no difference resolved"
MIN_PAIRS = 3
ALPHA = 0.05


@dataclass(frozen=True)
class Paired:
    n: int                              # paired seeds
    mean_diff: float | None             # mean of the per-seed differences LeOCLR − MoCo-v2
    ci: tuple | None                    # unadjusted 95 % paired-t interval of the mean difference
    p_value: float | None               # two-sided paired t-test, unadjusted
    sign_flip_p: float | None           # exact two-sided sign-flip test
    verdict: str
    p_holm: float | None = None         # p_value Holm-adjusted over the assessed protocols of the table

    @property
    def assessed(self) -> bool:
        return self.ci is not None


def not_assessed(n: int, why: str = "") -> str:
    return f"not assessed ({n} seed{'' if n == 1 else 's'}{', ' + why if why else ''})"


def sign_flip_p(diffs: list[float]) -> float:
    """Exact two-sided sign-flip p: the share of the 2ⁿ sign patterns whose |mean| reaches the observed one."""
    observed = abs(sum(diffs))
    patterns = list(itertools.product((1, -1), repeat=len(diffs)))
    extreme = sum(abs(sum(s * d for s, d in zip(signs, diffs))) >= observed - 1e-12 for signs in patterns)
    return extreme / len(patterns)


def compare_paired(leoclr: dict, mocov2: dict, confidence: float = 0.95) -> Paired:
    """`leoclr`, `mocov2`: {seed: value}. Seeds present in only one of them are not used. The verdict here is
    provisional (unadjusted); `judge` gives the table's."""
    from scipy import stats

    seeds = sorted(set(leoclr) & set(mocov2), key=str)
    diffs = [float(leoclr[s]) - float(mocov2[s]) for s in seeds]
    n = len(diffs)
    if n == 0:
        return Paired(0, None, None, None, None, not_assessed(0))
    mean = sum(diffs) / n
    if n < MIN_PAIRS:
        return Paired(n, mean, None, None, None, not_assessed(n, f"needs ≥ {MIN_PAIRS}"))
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1))
    if sd == 0.0:
        return Paired(n, mean, None, None, sign_flip_p(diffs), not_assessed(n, "zero spread"))
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
    p = float(2 * stats.t.sf(abs(mean / (sd / math.sqrt(n))), n - 1))
    return judge([Paired(n, mean, (mean - half, mean + half), p, sign_flip_p(diffs), UNRESOLVED)])[0]


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment, in the input order."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted, running = [0.0] * len(p_values), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def judge(comparisons: list[Paired]) -> list[Paired]:
    """The verdicts of one table's protocols: Holm over the assessed ones, "ahead" only at Holm p < 0.05."""
    assessed = [i for i, c in enumerate(comparisons) if c.assessed]
    adjusted = dict(zip(assessed, holm([comparisons[i].p_value for i in assessed])))
    out = []
    for i, c in enumerate(comparisons):
        if i not in adjusted:
            out.append(c)
            continue
        p = adjusted[i]
        verdict = (AHEAD if c.mean_diff > 0 else BEHIND) if p < ALPHA else UNRESOLVED
        out.append(replace(c, p_holm=p, verdict=verdict))
    return out


def summary(comparisons: list[tuple[str, Paired]]) -> str:
    """One sentence over every compared protocol, from the verdicts alone."""
    if not comparisons:
        return "No protocol has results for both methods yet."
    assessed = [(name, c) for name, c in comparisons if c.assessed]
    ahead = [name for name, c in assessed if c.verdict == AHEAD]
    behind = [name for name, c in assessed if c.verdict == BEHIND]
    parts = [f"{len(assessed)} of {len(comparisons)} protocols assessed (≥ {MIN_PAIRS} paired seeds, non-zero spread)"]
    if assessed:
        parts.append(f"LeOCLR ahead (Holm-adjusted paired-t p < {ALPHA} over the table's protocols) on "
                     f"{', '.join(ahead) if ahead else 'none'}; MoCo-v2 ahead on {', '.join(behind) if behind else 'none'}"
                     f"; no difference resolved on the other {len(assessed) - len(ahead) - len(behind)}")
    return "; ".join(parts) + "."
