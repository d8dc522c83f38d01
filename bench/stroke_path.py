"""Where a stroke's time goes on the server: the Draw page's pieces, one by one.

A stroke reruns the Draw page's fragment (views/draw.py). This times, over --repeats drawn
digits (MNIST test digits redrawn from their skeletons on the 280×280 canvas, as
bench/drawn_digits.py draws them), each piece the rerun does for the answer:

  preprocess     digitstudio.drawing.preprocess: crop, stroke normalisation, 20 px box,
                 centre of mass (ui.drawing.read_drawing)
  predict        the shipped model on the 28×28 (Predictor.probabilities, one traced call)
  28×28 picture  enlarged without smoothing and PNG-encoded, as st.image sends it
  whole rerun    the page's script with a new drawing, in Streamlit's AppTest (the same
                 script, widgets and caches; no browser, no websocket)

and reports median and p95 in ms. "Whole rerun" minus the pieces is Streamlit's own work
(building and serialising the page's elements). The rest of what a person waits for is
the canvas component's 200 ms debounce and the browser's rendering (bench/e2e_latency.py
measures the whole: app minus its bare page is the app's share).

    python bench/stroke_path.py --repeats 40
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def stats(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--data", help="MNIST .npz (default: $MNIST_NPZ, else Keras's download)")
    args = parser.parse_args(argv)
    if args.data:
        os.environ["MNIST_NPZ"] = args.data
    tmp = tempfile.mkdtemp(prefix="digit-studio-stroke-")
    os.environ.update(DIGIT_STUDIO_RUNS=os.path.join(tmp, "runs"), DIGIT_STUDIO_DATA=os.path.join(tmp, "data"),
                      DIGIT_STUDIO_TRAINING_WORKERS="thread")

    from digitstudio.data.mnist import load_mnist
    from digitstudio.storage.model_files import load_predictor
    from testkit.apptest import new_app, set_drawing
    from testkit.canvas import canvas_from_digit

    data = load_mnist()
    canvases = [canvas_from_digit(data.x_test[i]) for i in range(args.repeats)]
    from ui.drawing import read_drawing
    from ui.pictures import model_view_image

    predictor = load_predictor(str(ROOT / "model" / "digit_cnn.keras"))
    pieces: dict[str, list[float]] = {"preprocess": [], "predict": [], "28×28 picture": [], "whole rerun": []}
    for canvas in canvases:
        start = time.perf_counter()
        pre = read_drawing(canvas)
        pieces["preprocess"].append(time.perf_counter() - start)
        start = time.perf_counter()
        predictor.probabilities(pre.image)
        pieces["predict"].append(time.perf_counter() - start)
        start = time.perf_counter()
        model_view_image(pre.image, 140).save(io.BytesIO(), format="PNG")
        pieces["28×28 picture"].append(time.perf_counter() - start)

    at = new_app().run()  # the first run loads the model and the page
    for canvas in [canvases[0]] * 3 + canvases:  # three warm-up reruns
        set_drawing(at, canvas)
        start = time.perf_counter()
        at.run()
        pieces["whole rerun"].append(time.perf_counter() - start)
    pieces["whole rerun"] = pieces["whole rerun"][3:]
    assert not at.exception, [e.value for e in at.exception]

    print(f"Server time per stroke, {args.repeats} drawn MNIST test digits (ms):\n")
    print("| piece | median | p95 |\n|---|---:|---:|")
    for name, values in pieces.items():
        median, p95 = stats([v * 1000 for v in values])
        print(f"| {name} | {median:.1f} | {p95:.1f} |")
    parts = sum(statistics.median(pieces[k]) for k in ("preprocess", "predict", "28×28 picture"))
    own = (statistics.median(pieces["whole rerun"]) - parts) * 1000
    print(f"| Streamlit's own work (whole rerun − pieces) | {own:.1f} | |")
    print(f"\n{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}. The whole rerun is AppTest's full "
          "script run (every page element); in the app a stroke reruns only the Draw page's fragment.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
