"""A training's insides as it learns: one snapshot (confusion matrix on a fixed sample,
first-layer weights, the ten probabilities for fixed digits and the drawing), the
epoch slider that replays them, and the curves with learning-rate changes marked.

    insides_view(shot, digits, labels)     one snapshot (live, beside the curves)
    replay_slider(insides, digits, labels) the slider + the snapshot it points at
    run_replay(run_id)                     the same for a saved run (the Runs page)
    curves_with_lr(frame, changes, batches) the training curves, a rule per rate change
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from digitstudio.pixels import to_uint8
from digitstudio.training.snapshots import DRAWING_LABEL, Insides, Replay, load_insides
from ui.charts import CURVES_HEIGHT, DIGITS, curves_chart, probability_chart
from ui.pictures import diverging, enlarge, picture_row, robust_scale
from ui.resources import run_store

FIXED_SHOWN = 5  # fixed MNIST digits shown beside the drawing (of the ten kept)


def shot_label(shot: Insides) -> str:
    if shot.kind == "epoch":
        return f"epoch {shot.epoch:g}"
    return f"step {shot.step} (epoch {shot.epoch:.2f})"


def weights_picture(weights: np.ndarray, per_row: int = 8, tile: int = 56, gap: int = 4) -> np.ndarray | None:
    """(n, h, w) weights → one RGB montage, red = positive, blue = negative, one colour
    scale for all tiles (so a tile that is still pale really has small weights)."""
    weights = np.asarray(weights, np.float32)
    if weights.size == 0:
        return None
    scale = robust_scale(weights)
    rows = -(-len(weights) // per_row)
    cols = min(per_row, len(weights))
    canvas = np.full((rows * (tile + gap), cols * (tile + gap), 3), 255, np.uint8)
    for i, w in enumerate(weights):
        r, c = divmod(i, per_row)
        pixels = np.asarray(enlarge(diverging(w, scale), tile))[:tile, :tile]
        canvas[r * (tile + gap):r * (tile + gap) + pixels.shape[0], c * (tile + gap):c * (tile + gap) + tile] = pixels
    return canvas


def confusion_heatmap(confusion: np.ndarray) -> alt.Chart:
    """Counts on a fixed sample: the diagonal green, mistakes orange."""
    frame = pd.DataFrame([{"true": str(t), "predicted": str(p), "count": int(confusion[t, p]), "correct": t == p}
                          for t in range(10) for p in range(10)])
    x = alt.X("predicted:N", sort=DIGITS, title="predicted", axis=alt.Axis(labelAngle=0, orient="top"))
    y = alt.Y("true:N", sort=DIGITS, title="true digit")
    top = max(1, int(frame.loc[~frame["correct"], "count"].max()))
    wrong = alt.Chart(frame).transform_filter(~alt.datum.correct).mark_rect(stroke="white").encode(
        x=x, y=y, color=alt.Color("count:Q", scale=alt.Scale(scheme="oranges", domain=[0, top]), legend=None),
        tooltip=["true", "predicted", "count"])
    right = alt.Chart(frame).transform_filter(alt.datum.correct).mark_rect(stroke="white", color="#2ca02c").encode(
        x=x, y=y, tooltip=["true", "predicted", "count"])
    text = alt.Chart(frame).mark_text(fontSize=9).encode(x=x, y=y, text="count:Q")
    return (wrong + right + text).properties(height=230)


def insides_view(shot: Insides, digits: np.ndarray | None, labels: np.ndarray, key: str = "insides") -> None:
    """One snapshot in three columns. digits (m, 28, 28[, 1]) in [0, 1] with labels
    (DRAWING_LABEL = the drawing); digits None shows the probabilities without pictures."""
    left, middle, right = st.columns([5, 4, 4])
    total = int(shot.confusion.sum())
    left.markdown(f"**Confusion** on {total} held-out digits · {shot.sample_accuracy:.1%} right")
    left.altair_chart(confusion_heatmap(shot.confusion), width="stretch", key=f"{key}_confusion")
    picture = weights_picture(shot.weights, per_row=4 if len(shot.weights) <= 16 else 8)
    middle.markdown(f"**First layer**: {len(shot.weights)} {'filters' if shot.weights.shape[-1] < 28 else 'units'}")
    if picture is None:
        middle.caption("This model has no Dense or Conv2D first layer to show.")
    else:
        middle.image(picture, width="stretch")
        middle.caption("Each tile: one unit's (or filter's) weights; red adds to it, blue takes away.")
    probs = shot.probabilities.astype(np.float32)
    labels = np.asarray(labels)
    drawn = np.flatnonzero(labels == DRAWING_LABEL)
    with right:
        if drawn.size:
            p = probs[drawn[0]]
            st.markdown(f"**Your drawing**: {int(p.argmax())} ({p.max():.0%})")
            probability_chart(p, int(p.argmax()), height=140)
        fixed = np.flatnonzero(labels != DRAWING_LABEL)[:FIXED_SHOWN]
        captions = [f"{labels[i]} → {int(probs[i].argmax())} ({probs[i].max():.0%})" for i in fixed]
        st.markdown("**MNIST digits**: true → read as")
        if digits is not None:
            pictures = [to_uint8(np.asarray(digits[i]).reshape(28, 28)) for i in fixed]
            picture_row(pictures, captions, size=44)
        else:
            st.caption(" · ".join(captions))


def replay_slider(insides: list[Insides] | tuple[Insides, ...], digits: np.ndarray | None, labels: np.ndarray,
                  key: str = "replay") -> None:
    """An epoch slider over the snapshots (holds after a Step included), then the chosen one."""
    if not insides:
        st.caption("No snapshots were kept for this training.")
        return
    if len(insides) == 1:
        chosen = 0
    else:
        chosen = st.select_slider("Replay: scrub through the training", options=list(range(len(insides))),
                                  value=len(insides) - 1, format_func=lambda i: shot_label(insides[i]),
                                  key=f"{key}_slider",
                                  help="Each point is a snapshot taken at the end of an epoch (or when the "
                                       "training held after a Step).")
    insides_view(insides[chosen], digits, labels, key=f"{key}_view")


@st.cache_data(max_entries=16, show_spinner=False)
def _load(path: str, mtime: float) -> Replay:
    return load_insides(path)


def run_replay(run_id: str, key: str = "run_replay") -> None:
    """The epoch slider for a saved run (its insides.npz), or a one-line note when the
    run has none (trained before snapshots existed, or by train.py)."""
    try:
        path = run_store().insides_path(run_id)
    except ValueError as exc:
        st.caption(str(exc))
        return
    if not path.is_file():
        st.caption("This run has no snapshots to replay (trained before they were kept, or on the command line).")
        return
    try:
        replay = _load(str(path), path.stat().st_mtime)
    except (OSError, ValueError, KeyError) as exc:
        st.warning(f"The run's snapshots could not be read ({type(exc).__name__}); its model is unaffected.")
        return
    replay_slider(replay.insides, replay.digits, replay.digit_labels, key=f"{key}_{run_id}")


# --- curves with the learning-rate changes ------------------------------------------------------

def lr_rules(changes: list[tuple[int, float]] | tuple, batches: int) -> alt.Chart | None:
    """A vertical rule at each change (x in epochs = step / batches), labelled 'lr 0.01'."""
    if not changes or not batches:
        return None
    frame = pd.DataFrame([{"epoch": step / batches, "label": f"lr {rate:g}"} for step, rate in changes])
    rule = alt.Chart(frame).mark_rule(color="#9467bd", strokeDash=[4, 3], strokeWidth=2).encode(
        x="epoch:Q", tooltip=["label", alt.Tooltip("epoch:Q", format=".2f")])
    text = alt.Chart(frame).mark_text(align="left", dx=3, dy=-4, color="#9467bd", fontSize=11).encode(
        x="epoch:Q", y=alt.value(8), text="label")
    return rule + text


def curves_with_lr(frame: pd.DataFrame, changes, batches: int) -> None:
    """Accuracy and loss side by side, with the learning-rate changes as vertical rules."""
    rules = lr_rules(changes, batches)
    left, right = st.columns(2)
    for column, metric in ((left, "accuracy"), (right, "loss")):
        if (frame["metric"] == metric).any():
            chart = curves_chart(frame, metric)
            column.altair_chart(chart + rules if rules is not None else chart, width="stretch",
                                height=CURVES_HEIGHT)


def range_test_chart(details: dict) -> alt.Chart:
    """Loss against learning rate (log axis): raw per batch, smoothed, and the suggestion."""
    frame = pd.DataFrame({"learning rate": details["rates"] * 2,
                          "loss": details["losses"] + details["smoothed"],
                          "series": ["per batch"] * len(details["rates"]) + ["smoothed"] * len(details["rates"])})
    x = alt.X("learning rate:Q", scale=alt.Scale(type="log"), axis=alt.Axis(format="~e"))
    top = float(np.nanpercentile(details["smoothed"], 95)) * 1.5 if details["smoothed"] else 1.0
    chart = alt.Chart(frame).mark_line(clip=True).encode(
        x=x, y=alt.Y("loss:Q", scale=alt.Scale(domain=[0, top], clamp=True)),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("learning rate:Q", format=".2e"), alt.Tooltip("loss:Q", format=".3f")])
    if details.get("suggestion"):
        mark = pd.DataFrame({"learning rate": [details["suggestion"]],
                             "label": [f"suggested {details['suggestion']:.2g}"]})
        chart += alt.Chart(mark).mark_rule(color="#d62728", strokeWidth=2).encode(x=x)
        chart += alt.Chart(mark).mark_text(align="left", dx=4, y=10, color="#d62728").encode(x=x, text="label")
    return chart.properties(height=260, title="Loss while the learning rate grows")
