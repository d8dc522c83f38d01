"""Does "Not a digit" + "Teach the model" teach the model to say "not sure" to a class's doodles?

A class draws non-digits the shipped model names as digits. `--non-digits` of the 160
hand-made non-digits it never saw in training (testkit/style_strokes.py NON_DIGITS_UNSEEN,
a random pick of templates, each drawn once at a random size, place and brush of
bench/drawn_digits.py) are saved as "Not a digit", and `--digits` drawn digits (MNIST test
digits 300 on, pen paths as the drawn-digit bench makes them) through "It was a", both
through the app's code path (preprocess → DrawingStore.add). `finetune()` then teaches a
copy of the model with the app's settings (FinetuneSettings()), and a control fine-tune
on the same digits without the non-digits shows what the non-digits themselves did.

Read before → after (each model with its own recorded "not sure" threshold):
- the taught templates at all 18 sizes × places × brushes (other strokes than taught),
- the templates not taught (the rest of the set), and the other set (NON_DIGITS),
- MNIST test accuracy and its digits called "not sure", and 300 drawn digits × 18.

    python bench/teach_not_a_digit.py                   # 40 non-digits, 40 digits
    python bench/teach_not_a_digit.py --non-digits 80
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from drawn_digits import CONDITIONS, draw_canvas, drawing_canvas, pen_paths  # noqa: E402

from digitstudio.data.extra import NOT_A_DIGIT  # noqa: E402
from digitstudio.data.mnist import load_npz  # noqa: E402
from digitstudio.drawing.predict import Predictor  # noqa: E402
from digitstudio.drawing.preprocess import preprocess  # noqa: E402
from digitstudio.storage.drawings import DrawingStore, Scope  # noqa: E402
from digitstudio.storage.model_files import load_predictor, threshold_for_model  # noqa: E402
from digitstudio.training.finetune import FinetuneSettings, finetune  # noqa: E402
from testkit.style_strokes import NON_DIGITS, NON_DIGITS_UNSEEN  # noqa: E402

TEST_DIGITS = 300  # drawn digits read for "not sure" (MNIST test 0–299, as bench/drawn_digits.py)


def parse_args(argv=None) -> argparse.Namespace:
    defaults = FinetuneSettings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--non-digits", type=int, default=40, help="non-digits saved as Not a digit (default 40)")
    parser.add_argument("--digits", type=int, default=40, help="drawn digits saved with It was a (default 40)")
    parser.add_argument("--steps", type=int, default=defaults.steps)
    parser.add_argument("--seed", type=int, default=0, help="which templates and conditions are taught")
    parser.add_argument("--model", default=str(ROOT / "model" / "digit_cnn.keras"))
    parser.add_argument("--data", default=os.environ.get("MNIST_NPZ") or str(ROOT.parent / "shared/data/mnist.npz"))
    parser.add_argument("--json", help="also write the numbers to this file")
    return parser.parse_args(argv)


def read_all(drawings: list) -> tuple[np.ndarray, np.ndarray]:
    """Each drawing at every condition → (answered mask (k,), images (k, 28, 28) float)."""
    readings = [preprocess(drawing_canvas(drawing, condition)) for drawing in drawings for condition in CONDITIONS]
    return np.array([r.status == "ok" for r in readings]), np.stack([r.image for r in readings])


def not_sure_share(predictor: Predictor, answered: np.ndarray, images: np.ndarray, threshold: float) -> float:
    """Refused by the app, or answered "not sure": the share of canvases naming no digit."""
    top = predictor.probabilities(images).max(axis=1)
    return float(np.mean(~answered | (top < threshold)))


def main(argv=None) -> int:
    args = parse_args(argv)
    rng = np.random.default_rng(args.seed)
    mnist = load_npz(args.data)
    parent = load_predictor(args.model)
    record = json.loads(Path(args.model).with_suffix(".json").read_text())

    templates = [drawing for drawings in NON_DIGITS_UNSEEN.values() for drawing in drawings]
    taught = sorted(rng.choice(len(templates), args.non_digits, replace=False).tolist())
    folder = tempfile.mkdtemp(prefix="teach-not-a-digit-")
    store = DrawingStore(data_dir=folder, rate_limit=10**6)  # a whole class, faster than any one person
    scope = Scope.person("bench", "bench class")

    def save(canvas: np.ndarray, label: int) -> None:
        seen = preprocess(canvas)
        if seen.status != "ok":  # the app refuses it (too small for its brush): nothing to label
            return
        reading = parent.predict(seen.image)
        store.add(label=label, image=seen.image, canvas=canvas, session_id="bench", nickname="bench class",
                  predicted=reading.digit, confidence=reading.confidence, model_id="digit_cnn")

    for index in taught:
        save(drawing_canvas(templates[index], CONDITIONS[rng.integers(len(CONDITIONS))]), NOT_A_DIGIT)
    digits = mnist.y_test[TEST_DIGITS:TEST_DIGITS + args.digits]
    for path, digit in zip(pen_paths(mnist.x_test[TEST_DIGITS:TEST_DIGITS + args.digits]), digits):
        save(draw_canvas(path, CONDITIONS[rng.integers(len(CONDITIONS))]), int(digit))
    x, y, ids = store.arrays(scope)
    others, _, other_ids = store.arrays(scope, not_digits=True)

    sets = {
        "taught templates, all 18 conditions": read_all([templates[i] for i in taught]),
        "templates not taught": read_all([t for i, t in enumerate(templates) if i not in set(taught)]),
        "the other hand-made set (NON_DIGITS)": read_all([d for ds in NON_DIGITS.values() for d in ds]),
    }
    drawn = [preprocess(draw_canvas(path, condition)) for path in pen_paths(mnist.x_test[:TEST_DIGITS])
             for condition in CONDITIONS]
    drawn_images = np.stack([r.image for r in drawn if r.status == "ok"])
    settings = FinetuneSettings(steps=args.steps)
    threshold = threshold_for_model(args.model)

    def teach(with_others: bool):
        started = time.perf_counter()
        result = finetune(parent.model, x, y, mnist, not_digits=others if with_others else None,
                          parent_threshold=threshold, parent_id="digit-cnn", parent_spec=record.get("spec"),
                          mnist_before=record.get("test_accuracy"),
                          drawing_ids=ids + (other_ids if with_others else []), settings=settings)
        return result, time.perf_counter() - started

    models = {"shipped": (parent, threshold, record.get("test_accuracy"), None)}
    for name, with_others in (("control: digits only", False), ("digits + not a digit", True)):
        result, seconds = teach(with_others)
        models[name] = (Predictor(result.model), result.not_sure["threshold"], result.test_accuracy, (result, seconds))

    rows: dict[str, dict[str, float]] = {}
    for name, (predictor, cut, mnist_accuracy, _) in models.items():
        test_top = predictor.probabilities(mnist.x_test / 255.0).max(axis=1)
        rows[name] = {
            **{title: not_sure_share(predictor, *readings, cut) for title, readings in sets.items()},
            "MNIST test accuracy": mnist_accuracy,
            "MNIST test digits not sure": float(np.mean(test_top < cut)),
            f"drawn digits not sure ({TEST_DIGITS} × 18)": float(np.mean(
                predictor.probabilities(drawn_images).max(axis=1) < cut)),
            "threshold": cut,
        }

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"saved: {len(others)} of {args.non_digits} non-digits as Not a digit (of {len(templates)} templates; "
          f"the app refused {args.non_digits - len(others)}), {len(y)} of {args.digits} drawn digits with It was a")
    for name, (_, _, _, extra) in models.items():
        if extra:
            result, seconds = extra
            report = result.comparison()["not_digits"]
            before, after = (f"{v:.0%}" if v is not None else "–" for v in (report["before"], report["after"]))
            print(f"{name}: {result.status}, {settings.steps} steps, train {result.train_seconds:.1f} s, "
                  f"whole call {seconds:.1f} s; its own held-out non-digits ({report['n']}) not sure "
                  f"{before} → {after}")
    names = list(models)
    print("\n" + f"{'named no digit (not sure or refused)':44s}" + "".join(f"{n:>24s}" for n in names))
    for measure in rows["shipped"]:
        cells = "".join(f"{rows[n][measure]:>24.3f}" if measure == "threshold" else f"{rows[n][measure]:>24.2%}"
                        for n in names)
        print(f"{measure:44s}{cells}")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "taught": taught, "rows": rows}, indent=2))
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
