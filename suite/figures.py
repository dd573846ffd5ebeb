"""The report's figures (`<out>/<profile>/figures/`): one bar chart per table (ours ± std, the reference value
marked) and the pretraining curves (loss, kNN monitor with the random-init references, pos/neg similarity)."""
from __future__ import annotations

import math
from pathlib import Path

from suite.aggregate import TableResult, read_csv
from suite.labels import METHOD_LABELS, MISSING, OK, to_float


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})


def table_figure(result: TableResult, profile: str, fig_dir: Path) -> Path | None:
    """Horizontal bars per metric (ours ± std), the reference value marked where known. Derived gap rows (points of
    difference) are not accuracies and stay off these axes; the README tables and the verdict show them."""
    gaps = {row.key for row in result.table.rows if row.is_gap}
    lines = [l for l in result.lines if l["state"] in (OK, MISSING) and l["row"] not in gaps]
    metrics = list(dict.fromkeys(l["metric"] for l in lines))
    if not any(to_float(l["ours"]) is not None or to_float(l["paper"]) is not None for l in lines):
        return None
    plt = _plt()
    n_rows = max(len([l for l in lines if l["metric"] == m]) for m in metrics)
    ncols = min(4, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, (0.9 + 0.32 * n_rows) * nrows), squeeze=False,
                             layout="constrained")
    flat = [ax for row_axes in axes for ax in row_axes]
    for ax in flat[len(metrics):]:
        ax.axis("off")
    for ax, metric in zip(flat, metrics):
        sub = [l for l in lines if l["metric"] == metric]
        ys = list(range(len(sub)))[::-1]
        for y, line in zip(ys, sub):
            ours, std, paper = to_float(line["ours"]), to_float(line["std"]), to_float(line["paper"])
            color = {"leoclr": "tab:red", "mocov2": "tab:blue", "random": "tab:gray"}.get(line["method"], "tab:green")
            if ours is not None:
                ax.barh(y, ours, xerr=std, color=color, alpha=0.8, height=0.7, capsize=2)
            else:
                ax.text(0, y, " missing", va="center", fontsize=7, color="dimgray")
            if paper is not None:
                ax.plot([paper], [y], marker="D", linestyle="none", color="black", markersize=4,
                        label="reference" if "reference" not in ax.get_legend_handles_labels()[1] else None)
        ax.set_yticks(ys)
        ax.set_yticklabels([l["row"] for l in sub], fontsize=7)
        ax.set_xlabel(f"{metric} (%)")
        ax.axvline(0, color="black", linewidth=0.5)
        if ax.get_legend_handles_labels()[1]:
            ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"{result.table.title} — profile {profile}", fontsize=9)
    path = fig_dir / f"{result.table.name}.png"
    _save(fig, path)
    plt.close(fig)
    return path


def read_curves(record: dict) -> list[dict]:
    curves = record.get("curves")
    if not curves:
        return []
    path = Path(record["_dir"]) / curves
    if not path.exists():
        return []
    return read_csv(path)


def random_knn_lines(results: list[TableResult]) -> dict:
    """{label: kNN top-1} of the random-init kNN rows (the reference lines of the kNN curves)."""
    out = {}
    for result in results:
        for line in result.lines:
            if line["method"] == "random" and line["metric"] == "knn_top1" and to_float(line["ours"]) is not None:
                out[f"random init ({line['row']})"] = to_float(line["ours"])
    return out


def curves_figure(pretrain_records: list[dict], profile: str, fig_dir: Path, references: dict | None = None
                  ) -> Path | None:
    """Pretraining loss vs step, kNN top-1 vs epoch with the random-init references as horizontal lines, and
    pos/neg similarity where logged; LeOCLR vs MoCo-v2, one line per run."""
    series = [(r, read_curves(r)) for r in sorted(pretrain_records, key=lambda r: r.get("run_id", ""))]
    series = [(r, c) for r, c in series if c]
    if not series:
        return None
    has_sim = any(to_float(row.get("pos_sim")) is not None for _, c in series for row in c)
    plt = _plt()
    panels = 3 if has_sim else 2
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 3.6), squeeze=False)
    colors = {"leoclr": "tab:red", "mocov2": "tab:blue"}
    styles = ["-", "--", ":", "-."]
    per_method: dict = {}
    for i, (record, rows) in enumerate(series):
        method = record.get("method", "")
        color = colors.get(method, f"C{i}")
        per_method[method] = per_method.get(method, -1) + 1
        style = styles[per_method[method] % len(styles)]
        label = f"{METHOD_LABELS.get(method, method)} {record.get('run_id', '')}"

        def xy(column, x="step"):
            pts = [(to_float(r.get(x)), to_float(r.get(column))) for r in rows]
            pts = [(x, y) for x, y in pts if x is not None and y is not None]
            return [x for x, _ in pts], [y for _, y in pts]

        axes[0][0].plot(*xy("loss"), color=color, linestyle=style, linewidth=1, label=label)
        axes[0][1].plot(*xy("knn_top1", x="epoch"), color=color, linestyle=style, marker="o", markersize=3,
                        label=label)
        if has_sim:
            axes[0][2].plot(*xy("pos_sim"), color=color, linestyle=style, linewidth=1)
            axes[0][2].plot(*xy("neg_sim"), color=color, linestyle=style, linewidth=1, alpha=0.4)
    axes[0][0].set(xlabel="step", ylabel="loss", title="pretraining loss (LeOCLR: sum of two InfoNCE terms)")
    for i, (name, value) in enumerate(sorted((references or {}).items())):
        axes[0][1].axhline(value, color="dimgray", linestyle=[":", "--", "-."][i % 3], linewidth=1,
                           label=f"{name}: {value:.1f}")
    axes[0][1].set(xlabel="epoch", ylabel="kNN top-1 (%)", title="kNN monitor")
    axes[0][1].legend(fontsize=6)
    if has_sim:
        axes[0][2].set(xlabel="step", ylabel="cosine", title="positive (solid) / negative (faint) similarity")
    axes[0][0].legend(fontsize=6)
    fig.suptitle(f"Pretraining curves — profile {profile}", fontsize=9)
    path = fig_dir / "pretrain_curves.png"
    _save(fig, path)
    plt.close(fig)
    return path
