"""Frozen-feature linear probe as Kornblith, Shlens & Le (2019, "Do better ImageNet models transfer better?")
define it, and as SimCLR (App. B.8) and BYOL reuse it: L2-regularised multinomial logistic regression on the
features of a frozen network, fitted with L-BFGS (scikit-learn's ``LogisticRegression(solver='lbfgs')``), its
regularisation chosen on a validation split held out of the training set, then refitted on train + val and
scored once on the test split.

    from downstream.probe import fit_probe
    result = fit_probe(train_x, train_y, val_x, val_y, test_x, test_y)   # numpy arrays or torch tensors
    result["top1"], result["mean_per_class_acc"], result["C"]            # percent, percent, chosen C

Plain arrays in, plain numbers out: nothing here knows about models, datasets or mmengine, so any protocol that
has features (the transfer configs through `downstream.linear`, a CIFAR-10 probe) can use it.

Choices, each a keyword argument:

* ``grid``: the values of scikit-learn's ``C`` (the inverse of the L2 strength: the objective is
  ``0.5 * ||W||^2 + C * sum_i CE_i``). The default `KORNBLITH_GRID` is Kornblith's 45 log-spaced regularisation
  strengths 1e-6 .. 1e5, as ``C = 1 / strength``. `COARSE_GRID` (12 values over the same range) is the documented
  cheaper alternative.
* ``select_by``: the validation metric that picks C (``top1`` or ``mean_per_class_acc``): the metric the table
  reports for that dataset, as Kornblith selects on the reported metric. Ties go to the stronger regularisation.
* ``standardize``: off by default. Neither Kornblith nor SimCLR standardise features; L2 regularisation then
  acts on the raw feature scale, as in their protocol. On, each feature is centred and scaled by statistics of
  the data the classifier is fitted on (train for the search, train + val for the refit).
* ``warm_start``: the search runs from strong to weak regularisation, each fit starting at the previous
  solution. The objective is strictly convex, so this changes where L-BFGS starts, not the optimum it converges
  to (within ``tol``), and makes the 45-point search several times cheaper.

``mean_per_class_acc`` is the mean over the test classes of each class's recall (``balanced_accuracy_score``),
the metric Kornblith et al. report for Pets, Flowers-102, FGVC Aircraft and Caltech-101.
"""
from __future__ import annotations

import warnings

import numpy as np

__all__ = ["KORNBLITH_GRID", "COARSE_GRID", "GRIDS", "SELECT_BY", "fit_probe", "classification_metrics"]

#: Kornblith et al. 2019: 45 logarithmically spaced L2 strengths in [1e-6, 1e5]; sklearn's C is their inverse.
#: Ascending C = from strong to weak regularisation (the warm-start direction).
KORNBLITH_GRID = tuple(float(c) for c in 1.0 / np.logspace(5, -6, 45))
#: A cheaper grid over the same range (one value per decade and a bit), for quick or CPU runs [choice].
COARSE_GRID = tuple(float(c) for c in 1.0 / np.logspace(5, -6, 12))
#: grids by name, for configs (``grid='kornblith'``)
GRIDS = {"kornblith": KORNBLITH_GRID, "coarse": COARSE_GRID}
SELECT_BY = ("top1", "mean_per_class_acc")


def _as_numpy(array, dtype=None) -> np.ndarray:
    if hasattr(array, "detach"):  # torch tensor, without importing torch here
        array = array.detach().cpu().numpy()
    return np.asarray(array, dtype=dtype)


def classification_metrics(y_true, y_pred) -> dict:
    """``top1`` and ``mean_per_class_acc`` in percent."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score

    y_true, y_pred = _as_numpy(y_true), _as_numpy(y_pred)
    return {"top1": 100.0 * float(accuracy_score(y_true, y_pred)),
            "mean_per_class_acc": 100.0 * float(balanced_accuracy_score(y_true, y_pred))}


def _classifier(C: float, max_iter: int, tol: float, seed: int, warm_start: bool, standardize: bool):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    # lbfgs with more than two classes minimises the multinomial (softmax) cross-entropy; the default penalty is L2
    logistic = LogisticRegression(C=C, solver="lbfgs", max_iter=max_iter, tol=tol, random_state=seed,
                                  warm_start=warm_start)
    return make_pipeline(StandardScaler(), logistic) if standardize else logistic


def _fit(model, x, y) -> bool:
    """Fits; returns False when L-BFGS stopped at max_iter (recorded, not fatal: the grid point still counts)."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(x, y)
    return not any(issubclass(w.category, ConvergenceWarning) for w in caught)


def fit_probe(train_x, train_y, val_x, val_y, test_x, test_y, grid=KORNBLITH_GRID, select_by: str = "top1",
              standardize: bool = False, max_iter: int = 1000, tol: float = 1e-4, warm_start: bool = True,
              seed: int = 0) -> dict:
    """Choose C on (train, val), refit on train + val, score on test.

    Features: (N, D) arrays or tensors; labels: (N,) integers; ``grid``: C values or a name in `GRIDS`. Returns ``top1`` and ``mean_per_class_acc`` on
    the test split (percent), the chosen ``C``, ``select_by``, ``val_scores`` ([[C, score], ...] in grid
    order), ``not_converged`` (C values whose fit hit ``max_iter``), the split sizes and the settings used.
    """
    if select_by not in SELECT_BY:
        raise ValueError(f"select_by={select_by!r}: expected one of {SELECT_BY}")
    if isinstance(grid, str):
        if grid not in GRIDS:
            raise ValueError(f"grid={grid!r}: expected C values or one of {sorted(GRIDS)}")
        grid = GRIDS[grid]
    grid = sorted(float(c) for c in grid)
    if not grid or grid[0] <= 0:
        raise ValueError(f"grid must hold positive C values, got {grid}")
    train_x, val_x, test_x = (_as_numpy(a, np.float64) for a in (train_x, val_x, test_x))
    train_y, val_y, test_y = (_as_numpy(a).astype(np.int64).ravel() for a in (train_y, val_y, test_y))
    for name, x, y in (("train", train_x, train_y), ("val", val_x, val_y), ("test", test_x, test_y)):
        if x.ndim != 2 or len(x) != len(y) or len(x) == 0:
            raise ValueError(f"{name}: features {x.shape} and labels {y.shape} must be (N, D) and (N,), N > 0")
    if not train_x.shape[1] == val_x.shape[1] == test_x.shape[1]:
        raise ValueError(f"feature dims differ: {train_x.shape[1]}, {val_x.shape[1]}, {test_x.shape[1]}")

    model = _classifier(grid[0], max_iter, tol, seed, warm_start, standardize)
    scores, not_converged = [], []
    for C in grid:  # strong -> weak regularisation, warm-started from the previous solution
        model.set_params(**{("logisticregression__C" if standardize else "C"): C})
        if not _fit(model, train_x, train_y):
            not_converged.append(C)
        scores.append(classification_metrics(val_y, model.predict(val_x))[select_by])
    best = int(np.argmax(scores))  # first maximum = strongest regularisation among ties
    chosen = grid[best]

    final = _classifier(chosen, max_iter, tol, seed, False, standardize)
    refit_converged = _fit(final, np.concatenate([train_x, val_x]), np.concatenate([train_y, val_y]))
    metrics = classification_metrics(test_y, final.predict(test_x))
    return {**metrics, "C": chosen, "select_by": select_by, "val_best": scores[best],
            "val_scores": [[c, s] for c, s in zip(grid, scores)],
            "not_converged": not_converged + ([] if refit_converged else [f"refit C={chosen}"]),
            "n_train": int(len(train_y)), "n_val": int(len(val_y)), "n_test": int(len(test_y)),
            "grid_size": len(grid), "standardize": bool(standardize), "max_iter": int(max_iter)}
