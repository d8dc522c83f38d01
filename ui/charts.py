"""Charts shared by the pages: probabilities, training curves, per-digit accuracy,
the confusion matrix and activation strips (Altair / plain Vega-Lite)."""

from __future__ import annotations

import html

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from digitstudio.explain.inspection import Evaluation
from ui.pictures import robust_scale

DIGITS = [str(d) for d in range(10)]  # category order for chart axes
# The element's own height: with only the chart's height, Streamlit's theme squeezes
# the plot to a sliver under the title and legend.
CURVES_HEIGHT = 300
HIGHLIGHT, MUTED = "#e4572e", "#7f8c9d"


# The bar chart as a plain Vega-Lite spec: building it through Altair (schema
# validation, to_dict) cost ~15 ms of server CPU on every stroke; this costs <1 ms.
_ENCODING = {
    "x": {"field": "digit", "type": "nominal", "sort": None, "title": "digit", "axis": {"labelAngle": 0}},
    "y": {"field": "probability", "type": "quantitative", "scale": {"domain": [0, 1]},
          "title": "probability", "axis": {"format": "%"}},
}
_CHART_SPEC = {
    "encoding": _ENCODING,
    "layer": [
        {"mark": {"type": "bar"},
         "encoding": {"color": {"field": "color", "type": "nominal", "scale": None, "legend": None},
                      "tooltip": [{"field": "digit", "type": "nominal"},
                                  {"field": "probability", "type": "quantitative", "format": ".1%"}]}},
        {"mark": {"type": "text", "dy": -7, "fontSize": 11},
         "encoding": {"text": {"field": "probability", "type": "quantitative", "format": ".0%"}}},
    ],
}


def probability_chart(probs: np.ndarray, predicted: int | None, height: int = 220) -> None:
    """Ten bars, the predicted digit highlighted (none when `predicted` is None), each
    labelled with its percentage."""
    values = [{"digit": str(d), "probability": float(p), "color": HIGHLIGHT if d == predicted else MUTED}
              for d, p in enumerate(np.asarray(probs, dtype=float))]
    st.vega_lite_chart({**_CHART_SPEC, "height": height, "data": {"values": values}}, width="stretch")


def a_digit(digit: int) -> str:
    """"a 4", "an 8": the article a digit takes when read aloud in English."""
    return f"an {digit}" if digit == 8 else f"a {digit}"


def highlighted(guess) -> int | None:
    """The bar `probability_chart` highlights for a prediction: its digit, none when no
    digit stands out (`guess.flat`)."""
    return None if guess.flat else guess.digit


# Visually hidden, still read: the usual "sr-only" recipe. The element container is taken out
# of the column's flow, so the region adds no gap on a phone's one-screen layout.
_ANNOUNCE = """<style>[data-testid="stElementContainer"]:has(.sr-status) {{ position: absolute; width: 1px;
height: 1px; overflow: hidden; clip-path: inset(50%); }}
.sr-status {{ position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden; clip-path: inset(50%);
white-space: nowrap; }}</style><div class="sr-status" role="status"
aria-live="polite" aria-atomic="true">{text}</div>"""


def announce(text: str) -> None:
    """A polite live region (role="status"): screen readers say `text` each time it changes,
    e.g. "Prediction: 7, 98% sure." after a stroke or Try a test digit. Call it at the same
    place on every run, so the region stays one element whose text changes."""
    st.html(_ANNOUNCE.format(text=html.escape(text)))


def spoken(guess) -> str:
    """What a screen reader says for an answer: the digit and how sure, or not sure and why."""
    if guess is None:
        return "No answer yet: draw a digit or use Try a test digit."
    if guess.not_sure:
        return f"Prediction: not sure this is a digit. Closest: {guess.digit}, {guess.confidence:.0%}."
    return f"Prediction: {guess.digit}, {guess.confidence:.0%} sure."


def show_prediction(guess, model_label: str) -> None:
    """The Prediction metric and its confidence: the digit, or "?" when the model is not
    sure the input is a digit at all (top probability under its threshold), with the top
    guesses in words unless no digit stands out (`guess.flat`). In a container keyed
    "prediction": presenter mode makes that digit the largest thing on the screen."""
    with st.container(key="prediction"):
        _show_prediction(guess, model_label)


def _show_prediction(guess, model_label: str) -> None:
    if guess.not_sure:
        st.metric("Prediction", "?", help=f"Model: {model_label}")
        if guess.flat:
            text = "Not sure this is a digit: the model spreads its probability evenly over all ten digits."
        else:
            text = (f"Not sure this is a digit. Closest: {a_digit(guess.digit)} ({guess.confidence:.0%}) or "
                    f"{a_digit(guess.runner_up)} ({guess.runner_up_probability:.0%}).")
        st.info(text, icon=":material/help:")
        return
    st.metric("Prediction", str(guess.digit), help=f"Model: {model_label}")
    st.progress(guess.confidence, text=f"Confidence {guess.confidence:.0%}")
    if guess.close:
        st.caption(f"Close call: it could also be {a_digit(guess.runner_up)} "
                   f"({guess.runner_up_probability:.0%}).")


def curves_frame(history: dict[str, list[float]], curve: list[dict[str, float]] = ()) -> pd.DataFrame:
    """Long-format curves: per-epoch train/validation points plus the running
    (intra-epoch) training values, so charts move several times per epoch."""
    rows = []
    for metric in ("accuracy", "loss"):
        for epoch, value in enumerate(history.get(metric, []), start=1):
            rows.append({"epoch": epoch, "metric": metric, "series": "train", "value": value})
        for epoch, value in enumerate(history.get(f"val_{metric}", []), start=1):
            rows.append({"epoch": epoch, "metric": metric, "series": "validation", "value": value})
        for point in curve:
            rows.append({"epoch": point["epoch"], "metric": metric, "series": "train, live",
                         "value": point.get(metric)})
    return pd.DataFrame(rows, columns=["epoch", "metric", "series", "value"]).dropna()


def curves_row(frame: pd.DataFrame, color_field: str = "series") -> None:
    """Accuracy and loss side by side (each only if it has points)."""
    left, right = st.columns(2)
    for column, metric in ((left, "accuracy"), (right, "loss")):
        if (frame["metric"] == metric).any():
            column.altair_chart(curves_chart(frame, metric, color_field), width="stretch", height=CURVES_HEIGHT)


def curves_chart(frame: pd.DataFrame, metric: str, color_field: str = "series"):
    data = frame[frame["metric"] == metric]
    title = "accuracy" if metric == "accuracy" else "loss (cross-entropy)"
    return (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=30))
        .encode(
            x=alt.X("epoch:Q", title="epoch", scale=alt.Scale(zero=False)),
            y=alt.Y("value:Q", title=title, scale=alt.Scale(zero=False),
                    axis=alt.Axis(format=".1%" if metric == "accuracy" else ".3")),
            # A legend beside or below the plot squeezes it to a sliver in a half-width column.
            color=alt.Color(f"{color_field}:N", title=None,
                            legend=alt.Legend(orient="top", direction="horizontal", symbolSize=50,
                                              labelLimit=240, columnPadding=8)),
            tooltip=[color_field, alt.Tooltip("epoch:Q", format=".2f"), alt.Tooltip("value:Q", format=".4f")],
        )
        .properties(height=240, title=title.capitalize())
    )


# Runs of one epoch are drawn from their per-batch points (the record's "curve": Keras's
# running values, reported every BATCH_REPORT_INTERVAL seconds), so a one-epoch run is a line,
# not a dot. Longer runs are drawn from their per-epoch values: the running values restart at
# every epoch, which would draw a sawtooth.
SHORT_RUN_EPOCHS = 1
COMPARE_PLOT_HEIGHT = 240  # the plot alone; the shared legend below adds a line per entry
# Tableau 10: neighbouring runs get colours that differ in hue, not only in shade
RUN_COLOURS = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d",
               "#79706e"]
SERIES_DASHES = {"train": [1, 0], "validation": [6, 3], "test set": [2, 2]}


def validation_series(run: dict) -> str | None:
    """What a run's val_* history measured: "validation" (the held-out split), "test set"
    (spec validate_on_test: Keras's validation_data was the test set), or None when the run
    held nothing out (Validation split 0), whatever keys its history has."""
    spec = run.get("spec") or {}
    if spec.get("validate_on_test"):
        return "test set"
    if "validation_split" in spec and not spec["validation_split"]:
        return None
    history = run.get("history") or {}
    return "validation" if any(key.startswith("val_") for key in history) else None


def runs_frame(runs: list[dict], names: list[str] | None = None) -> pd.DataFrame:
    """Long-format curves of saved runs for `compare_row`: one row per point with columns
    epoch (float: 1.0 = end of the first epoch), metric ("accuracy" or "loss"), run (its
    name in the legend: `names[i]`, else the run id), series ("train", "validation" or
    "test set", see validation_series), value (accuracy 0–1, cross-entropy loss) and end
    (True for a per-epoch value, drawn as a dot). A run of up to SHORT_RUN_EPOCHS epochs
    draws its train series from the record's per-batch "curve" points too."""
    rows = []
    for index, run in enumerate(runs):
        name = names[index] if names else run["id"]
        history = run.get("history") or {}
        epochs = len(history.get("loss", []))
        per_batch = (run.get("curve") or []) if epochs <= SHORT_RUN_EPOCHS else []
        held_out = validation_series(run)
        for metric in ("accuracy", "loss"):
            ends = {float(epoch): value for epoch, value in enumerate(history.get(metric, []), start=1)}
            points = {float(p["epoch"]): p.get(metric) for p in per_batch if float(p["epoch"]) not in ends}
            for epoch, value in sorted({**points, **ends}.items()):
                rows.append({"epoch": epoch, "metric": metric, "run": name, "series": "train", "value": value,
                             "end": epoch in ends})
            if held_out:
                for epoch, value in enumerate(history.get(f"val_{metric}", []), start=1):
                    rows.append({"epoch": float(epoch), "metric": metric, "run": name, "series": held_out,
                                 "value": value, "end": True})
    frame = pd.DataFrame(rows, columns=["epoch", "metric", "run", "series", "value", "end"])
    return frame.dropna(subset=["value"])


def _run_scale(runs: list[str]) -> alt.Scale:
    return alt.Scale(domain=runs, range=[RUN_COLOURS[i % len(RUN_COLOURS)] for i in range(len(runs))])


def _series_scale(series: list[str]) -> alt.Scale:
    return alt.Scale(domain=series, range=[SERIES_DASHES[s] for s in series])


def compare_chart(frame: pd.DataFrame, metric: str) -> alt.LayerChart:
    """One metric of `runs_frame` as lines, a colour per run (RUN_COLOURS, in the order the
    runs come) and a dash per series (train solid), dots at the per-epoch values; accuracy
    reads as percent with one decimal (".1%"). No legend of its own: `compare_legend` draws
    one for both metrics, full width, so no name is cut."""
    data = frame[frame["metric"] == metric]
    title = "accuracy" if metric == "accuracy" else "loss (cross-entropy)"
    runs = list(dict.fromkeys(frame["run"]))
    series = [s for s in SERIES_DASHES if s in set(frame["series"])]
    base = alt.Chart(data).encode(
        x=alt.X("epoch:Q", title="epoch", scale=alt.Scale(zero=False), axis=alt.Axis(format="~g", tickMinStep=0.5)),
        y=alt.Y("value:Q", title=title, scale=alt.Scale(zero=False),
                axis=alt.Axis(format=".1%" if metric == "accuracy" else ".3~f")),
        color=alt.Color("run:N", scale=_run_scale(runs), legend=None),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("series:N"), alt.Tooltip("epoch:Q", format=".2f"),
                 alt.Tooltip("value:Q", title=metric, format=".2%" if metric == "accuracy" else ".4f")],
    )
    lines = base.mark_line(strokeWidth=2).encode(
        strokeDash=alt.StrokeDash("series:N", scale=_series_scale(series), legend=None), detail="series:N")
    dots = base.transform_filter(alt.datum.end).mark_point(filled=True, size=36)
    return (lines + dots).properties(height=COMPARE_PLOT_HEIGHT, title=title.capitalize())


def compare_legend(frame: pd.DataFrame) -> alt.LayerChart:
    """The legend of `compare_chart`, as its own chart the page's full width: one line per
    run (its colour, its full name) and, when there is more than one, per series (its dash)."""
    runs = list(dict.fromkeys(frame["run"]))
    series = [s for s in SERIES_DASHES if s in set(frame["series"])]
    entries = pd.DataFrame([{"row": i, "label": run, "run": run, "series": "train"} for i, run in enumerate(runs)]
                           + ([{"row": len(runs) + i, "label": s, "run": None, "series": s}
                               for i, s in enumerate(series)] if len(series) > 1 else []))
    y = alt.Y("row:O", axis=None)
    swatch = alt.Chart(entries).mark_rule(strokeWidth=3).encode(
        x=alt.value(2), x2=alt.value(26), y=y,
        color=alt.condition(alt.datum.run != None, alt.Color("run:N", scale=_run_scale(runs), legend=None),  # noqa: E711
                            alt.value(MUTED)),
        strokeDash=alt.StrokeDash("series:N", scale=_series_scale(series), legend=None))
    text = alt.Chart(entries).mark_text(align="left", baseline="middle", fontSize=13).encode(
        x=alt.value(34), y=y, text="label:N")
    return (swatch + text).properties(height=legend_height(frame))


def legend_height(frame: pd.DataFrame) -> int:
    """Pixels for compare_legend's lines (20 each)."""
    series = frame["series"].nunique()
    return 20 * (frame["run"].nunique() + (series if series > 1 else 0))


def compare_row(frame: pd.DataFrame) -> None:
    """Accuracy and loss of the chosen runs side by side (`runs_frame`), and below them one
    legend for both, the full width, naming every run in full."""
    if frame.empty:
        st.caption("No curves to draw: these runs have no training history (uploads).")
        return
    left, right = st.columns(2)
    for column, metric in ((left, "accuracy"), (right, "loss")):
        if (frame["metric"] == metric).any():
            column.altair_chart(compare_chart(frame, metric), width="stretch", height=COMPARE_PLOT_HEIGHT + 90)
    st.altair_chart(compare_legend(frame), width="stretch", height=legend_height(frame) + 16)


def per_class_chart(ev: Evaluation) -> alt.Chart:
    """Accuracy per true digit, on an axis from 0 to 100% (a zoomed axis made 99.1% look
    half of 99.8%), each bar labelled; digits with no examples get no bar, and the hardest
    digit is red only when it has mistakes."""
    counts = ev.confusion.sum(axis=1)
    acc = np.where(counts > 0, np.nan_to_num(ev.per_class_accuracy, nan=0.0), np.nan)
    worst = int(np.nanargmin(ev.per_class_accuracy)) if np.nanmin(ev.per_class_accuracy) < 1 else -1
    frame = pd.DataFrame({
        "digit": [str(d) for d in range(10)], "accuracy": acc, "images": counts,
        "correct": np.diag(ev.confusion), "hardest": [d == worst for d in range(10)],
    }).dropna(subset=["accuracy"])
    base = alt.Chart(frame).encode(
        x=alt.X("digit:N", title="true digit", sort=DIGITS, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("accuracy:Q", title="accuracy (% correct)", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1.08], nice=False, clamp=True)),  # headroom for the labels
    )
    bars = base.mark_bar().encode(
        color=alt.condition(alt.datum.hardest, alt.value("#d62728"), alt.value("#4c78a8")),
        tooltip=[alt.Tooltip("digit:N", title="digit"), alt.Tooltip("accuracy:Q", format=".2%"),
                 alt.Tooltip("correct:Q", title="correct"), alt.Tooltip("images:Q", title="images")],
    )
    # a test set's digits differ in the first decimal; a person's handful in whole percent
    # (narrow bars on a phone: "100.0%" over each would run into its neighbours)
    label_format = ".1%" if counts.sum() >= 500 else ".0%"
    labels = base.mark_text(dy=-7, fontSize=11).encode(text=alt.Text("accuracy:Q", format=label_format))
    return (bars + labels).properties(height=300)


def confusion_chart(ev: Evaluation | np.ndarray, not_sure: np.ndarray | None = None,
                    height: int = 380) -> alt.Chart:
    """Rows: the true digit; columns: what the model answered. `ev` an Evaluation or a
    (10, 10) count matrix; `not_sure` (10,) the digits answered "?" per true digit, an
    eleventh column. Only cells with something in them are coloured and counted: green
    the right answers, orange the mistakes (light to dark), grey the "not sure"s; an
    empty cell stays white, so an almost perfect matrix reads as its diagonal."""
    matrix = np.asarray(ev.confusion if isinstance(ev, Evaluation) else ev, np.int64)
    columns = DIGITS + (["?"] if not_sure is not None else [])
    full = np.concatenate([matrix, np.asarray(not_sure, np.int64).reshape(10, 1)], axis=1) \
        if not_sure is not None else matrix
    totals = full.sum(axis=1)
    rows = [{"true": str(t), "predicted": columns[p], "count": int(full[t, p]),
             "kind": "right" if t == p else ("not sure" if columns[p] == "?" else "mistake"),
             "share": int(full[t, p]) / max(1, int(totals[t]))}
            for t in range(10) for p in range(len(columns))]
    frame = pd.DataFrame(rows)
    mistakes = frame[(frame["kind"] == "mistake") & (frame["count"] > 0)]
    top = max(1, int(mistakes["count"].max()) if len(mistakes) else 1)
    # An explicit order: with the layers below, "data order" would put column 0 last.
    x = alt.X("predicted:N", title="the model's answer", sort=columns, axis=alt.Axis(labelAngle=0, orient="top"))
    y = alt.Y("true:N", title="true digit", sort=DIGITS)
    tooltip = [alt.Tooltip("true:N", title="true digit"), alt.Tooltip("predicted:N", title="answered"),
               alt.Tooltip("count:Q", title="images"), alt.Tooltip("share:Q", title="share of row", format=".1%")]
    filled = alt.datum.count > 0
    grid = alt.Chart(frame).mark_rect(fill="white", stroke="#e6e6e6").encode(x=x, y=y, tooltip=tooltip)
    wrong = alt.Chart(frame).transform_filter((alt.datum.kind == "mistake") & filled).mark_rect(
        stroke="white").encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("count:Q", title="mistakes", scale=alt.Scale(domain=[1, max(2, top)],
                                                                    range=["#fdd0a2", "#d94801"]),
                        legend=alt.Legend(orient="bottom", gradientLength=160, tickMinStep=1)),
    )
    right = alt.Chart(frame).transform_filter((alt.datum.kind == "right") & filled).mark_rect(
        stroke="white", color="#2ca02c").encode(x=x, y=y, tooltip=tooltip)
    unsure = alt.Chart(frame).transform_filter((alt.datum.kind == "not sure") & filled).mark_rect(
        stroke="white", color="#bdbdbd").encode(x=x, y=y, tooltip=tooltip)
    # white on green and on the darker oranges (the scale runs from 1 to max(2, top))
    deep = 1 + 0.6 * (max(2, top) - 1)
    dark = (alt.datum.kind == "right") | ((alt.datum.kind == "mistake") & (alt.datum.count > deep))
    text = alt.Chart(frame).transform_filter(filled).mark_text(fontSize=11).encode(
        x=x, y=y, text=alt.Text("count:Q"), color=alt.condition(dark, alt.value("white"), alt.value("black")))
    return (grid + wrong + right + unsure + text).properties(height=height)


def strip_chart(values: np.ndarray) -> alt.Chart:
    n = len(values)
    per_row = 64 if n > 64 else n
    frame = pd.DataFrame({"neuron": np.arange(1, n + 1), "value": values.astype(float)})
    frame["column"] = (frame["neuron"] - 1) % per_row
    frame["row"] = (frame["neuron"] - 1) // per_row
    frame["column_end"], frame["row_end"] = frame["column"] + 1, frame["row"] + 1
    rows = int(frame["row"].max()) + 1
    if values.min() < 0:
        scale = robust_scale(values, 100)
        colours = alt.Scale(scheme="redblue", reverse=True, domain=[-scale, scale])
    else:
        colours = alt.Scale(scheme="viridis", domainMin=0)
    # Legend below: beside a one-row strip a vertical gradient would not fit.
    color = alt.Color("value:Q", title="value", scale=colours,
                      legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=200))
    # Cells placed on quantitative x/x2, y/y2: ordinal (band) axes collapse to zero height here.
    return alt.Chart(frame).mark_rect(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("column:Q", title=f"neurons 1–{n}" + (f", {per_row} per row" if rows > 1 else ""),
                scale=alt.Scale(domain=[0, per_row], nice=False),
                axis=alt.Axis(labels=False, ticks=False, grid=False, domain=False)),
        x2="column_end:Q",
        y=alt.Y("row:Q", scale=alt.Scale(domain=[rows, 0], nice=False), axis=None),
        y2="row_end:Q",
        color=color,
        tooltip=[alt.Tooltip("neuron:Q", title="neuron"), alt.Tooltip("value:Q", format=".3f")],
    ).properties(
        # "fit-x": stretch to the page width, but keep `height` for the cells alone (with the
        # default "fit" the axis title and legend are squeezed into it and the cells vanish).
        height=14 * rows, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
