"""Charts shared by the pages: probabilities, training curves, per-digit accuracy,
the confusion matrix and activation strips (Altair / plain Vega-Lite)."""

from __future__ import annotations

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


def show_prediction(guess, model_label: str) -> None:
    """The Prediction metric and its confidence: the digit, or "?" when the model is not
    sure the input is a digit at all (top probability under its threshold), with the top
    guesses in words unless no digit stands out (`guess.flat`)."""
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
                    axis=alt.Axis(format="%" if metric == "accuracy" else ".3")),
            # A legend beside or below the plot squeezes it to a sliver in a half-width column.
            color=alt.Color(f"{color_field}:N", title=None,
                            legend=alt.Legend(orient="top", direction="horizontal", symbolSize=50,
                                              labelLimit=240, columnPadding=8)),
            tooltip=[color_field, alt.Tooltip("epoch:Q", format=".2f"), alt.Tooltip("value:Q", format=".4f")],
        )
        .properties(height=240, title=title.capitalize())
    )


def runs_frame(runs: list[dict]) -> pd.DataFrame:
    rows = []
    for run in runs:
        history = run.get("history") or {}
        for metric in ("accuracy", "loss"):
            for series, key in (("train", metric), ("validation", f"val_{metric}")):
                for epoch, value in enumerate(history.get(key, []), start=1):
                    rows.append({"epoch": epoch, "metric": metric, "run": f"{run['id']} · {series}",
                                 "value": value})
    return pd.DataFrame(rows, columns=["epoch", "metric", "run", "value"])


def per_class_chart(ev: Evaluation) -> alt.Chart:
    """Accuracy per true digit; digits with no examples get no bar, and the hardest digit is
    red only when it has mistakes."""
    counts = ev.confusion.sum(axis=1)
    acc = np.where(counts > 0, np.nan_to_num(ev.per_class_accuracy, nan=0.0), np.nan)
    worst = int(np.nanargmin(ev.per_class_accuracy)) if np.nanmin(ev.per_class_accuracy) < 1 else -1
    frame = pd.DataFrame({
        "digit": [str(d) for d in range(10)], "accuracy": acc, "images": counts,
        "correct": np.diag(ev.confusion), "hardest": [d == worst for d in range(10)],
    }).dropna(subset=["accuracy"])
    # zoomed in for a test set (MNIST's digits all read 97–100%); from 0 for a handful of drawings
    low = max(0.0, float(np.floor((np.nanmin(acc) - 0.02) * 20) / 20)) if counts.sum() >= 500 else 0.0
    base = alt.Chart(frame).encode(
        x=alt.X("digit:N", title="true digit", sort=DIGITS, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("accuracy:Q", title="accuracy (% correct)", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[low, 1], clamp=True)),
    )
    bars = base.mark_bar(clip=True).encode(
        color=alt.condition(alt.datum.hardest, alt.value("#d62728"), alt.value("#4c78a8")),
        tooltip=[alt.Tooltip("digit:N", title="digit"), alt.Tooltip("accuracy:Q", format=".2%"),
                 alt.Tooltip("correct:Q", title="correct"), alt.Tooltip("images:Q", title="images")],
    )
    labels = base.mark_text(dy=-7, fontSize=12).encode(text=alt.Text("accuracy:Q", format=".1%"))
    return (bars + labels).properties(height=300)


def confusion_chart(ev: Evaluation) -> alt.Chart:
    rows = [{"true": str(t), "predicted": str(p), "count": int(ev.confusion[t, p]), "correct": t == p}
            for t in range(10) for p in range(10)]
    frame = pd.DataFrame(rows)
    totals = ev.confusion.sum(axis=1)
    frame["share"] = [r["count"] / max(1, totals[int(r["true"])]) for r in rows]
    mistakes = frame[~frame["correct"]]
    top = max(1, int(mistakes["count"].max()) if len(mistakes) else 1)
    # An explicit order: with the layers below, "data order" would put column 0 last.
    x = alt.X("predicted:N", title="predicted digit", sort=DIGITS, axis=alt.Axis(labelAngle=0, orient="top"))
    y = alt.Y("true:N", title="true digit", sort=DIGITS)
    tooltip = [alt.Tooltip("true:N", title="true digit"), alt.Tooltip("predicted:N", title="predicted"),
               alt.Tooltip("count:Q", title="test images"), alt.Tooltip("share:Q", title="share of row", format=".1%")]
    # Mistakes are coloured on their own scale (orange), correct answers in green, so a
    # handful of 4→9 mix-ups is visible next to a diagonal of ~1,000.
    wrong = alt.Chart(frame).transform_filter(~alt.datum.correct).mark_rect(stroke="white").encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("count:Q", title="mistakes", scale=alt.Scale(scheme="oranges", domain=[0, top]),
                        legend=alt.Legend(orient="bottom", gradientLength=200)),
    )
    # (a digit nobody drew has no green square: nothing there was read right)
    right = alt.Chart(frame).transform_filter(alt.datum.correct & (alt.datum.count > 0)).mark_rect(
        stroke="white", color="#2ca02c").encode(x=x, y=y, tooltip=tooltip)
    text = alt.Chart(frame).mark_text(fontSize=11).encode(
        x=x, y=y, text=alt.Text("count:Q"),
        color=alt.condition(alt.datum.correct | (alt.datum.count > top * 0.6), alt.value("white"), alt.value("black")),
    )
    return (wrong + right + text).properties(height=380)


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
