"""Does fine-tuning on one person's handwriting help, and does the model forget MNIST?

One person's handwriting (testkit/personal_styles.py: one quirky style per digit; the
shipped model misreads their 6s and 9s) is drawn like the app's canvas (280×280, round
18-px brush), made MNIST-like by digitstudio.drawing.preprocess, read by the shipped
model and labelled through the app's code path (DrawingStore.add into a fresh SQLite
database), `--per-style` per style. `finetune()` then teaches a copy of the model,
and 50 fresh drawings per style (another seed) are read before and after.
Also prints the fine-tune's own hold-out report and MNIST test before → after.

    python bench/finetune_benefit.py              # 10 labelled + 50 fresh per style
    python bench/finetune_benefit.py --steps 120  # try other settings
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
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from digitstudio.data.mnist import load_npz  # noqa: E402
from digitstudio.drawing.predict import Predictor  # noqa: E402
from digitstudio.drawing.preprocess import preprocess  # noqa: E402
from digitstudio.storage.drawings import DrawingStore, Scope  # noqa: E402
from digitstudio.storage.model_files import load_predictor  # noqa: E402
from digitstudio.training.finetune import FinetuneSettings, finetune  # noqa: E402
from testkit.personal_styles import STYLES, draw_style  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    defaults = FinetuneSettings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-style", type=int, default=10, help="labelled drawings per style (default 10)")
    parser.add_argument("--fresh", type=int, default=50, help="fresh test drawings per style (default 50)")
    parser.add_argument("--steps", type=int, default=defaults.steps)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.learning_rate)
    parser.add_argument("--seed", type=int, default=defaults.seed, help="fine-tune seed (hold-out, mix, augmentation)")
    parser.add_argument("--measure-parent", action="store_true",
                        help="recompute the parent's MNIST test accuracy instead of taking it from its .json "
                        "(as the app does from the parent run's record)")
    parser.add_argument("--model", default=str(ROOT / "model" / "digit_cnn.keras"))
    parser.add_argument("--data", default=os.environ.get("MNIST_NPZ") or str(ROOT.parent / "shared/data/mnist.npz"))
    parser.add_argument("--json", help="also write the numbers to this file")
    return parser.parse_args(argv)


def canvases(per_style: int, seed: int) -> tuple[list[np.ndarray], list[int], list[str]]:
    images, labels, names = [], [], []
    for k, (name, (digit, _, _)) in enumerate(STYLES.items()):
        for canvas in draw_style(name, per_style, seed * 100 + k):
            images.append(canvas)
            labels.append(digit)
            names.append(name)
    return images, labels, names


def by_style(predicted: np.ndarray, labels: list[int], names: list[str]) -> dict[str, float]:
    right = np.asarray(predicted) == np.asarray(labels)
    return {name: float(right[[n == name for n in names]].mean()) for name in STYLES}


def main(argv=None) -> int:
    args = parse_args(argv)
    mnist = load_npz(args.data)
    predictor = load_predictor(args.model)

    # Label through the app's code path: canvas → preprocess → predict → DrawingStore.add.
    folder = tempfile.mkdtemp(prefix="finetune-bench-")
    store = DrawingStore(data_dir=folder)
    train_canvases, train_labels, _ = canvases(args.per_style, seed=1)
    for canvas, label in zip(train_canvases, train_labels):
        seen = preprocess(canvas)
        reading = predictor.predict(seen.image)
        store.add(label=label, image=seen.image, canvas=canvas, session_id="bench", nickname="bench writer",
                  predicted=reading.digit, confidence=reading.confidence, model_id="digit_cnn")
    x, y, ids = store.arrays(Scope.person("bench", "bench writer"))
    labelled_before = float(np.mean(predictor.probabilities(x.astype(np.float32) / 255).argmax(1) == y))

    fresh_canvases, fresh_labels, fresh_names = canvases(args.fresh, seed=2)
    fresh = np.stack([preprocess(canvas).image for canvas in fresh_canvases])
    before = predictor.probabilities(fresh).argmax(1)

    settings = FinetuneSettings(steps=args.steps, batch_size=args.batch_size, learning_rate=args.lr, seed=args.seed)
    record = json.loads(Path(args.model).with_suffix(".json").read_text())
    spec = record.get("spec")
    known = None if args.measure_parent else record.get("test_accuracy")
    started = time.perf_counter()
    result = finetune(predictor.model, x, y, mnist, parent_id="digit-cnn", parent_spec=spec, drawing_ids=ids,
                      mnist_before=known, settings=settings)
    seconds = time.perf_counter() - started
    after = Predictor(result.model).probabilities(fresh).argmax(1)

    report = result.comparison()
    style_before, style_after = by_style(before, fresh_labels, fresh_names), by_style(after, fresh_labels, fresh_names)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"labelled: {len(y)} drawings ({args.per_style} per style), shipped model read {labelled_before:.0%} of them")
    print(f"fine-tune: {result.status}, {settings.steps} steps of {settings.batch_size} (half yours, half MNIST), "
          f"lr {settings.learning_rate:g}, seed {settings.seed}; train {result.train_seconds:.1f} s, "
          f"whole call {seconds:.1f} s")
    print(f"\nfresh drawings ({args.fresh} per style)   before → after")
    for name, (digit, description, _) in STYLES.items():
        print(f"  {name:11s} ({digit})  {style_before[name]:6.0%} → {style_after[name]:6.0%}   {description}")
    overall_before = float(np.mean(before == np.asarray(fresh_labels)))
    overall_after = float(np.mean(after == np.asarray(fresh_labels)))
    misread = [name for name in STYLES if style_before[name] < 0.5]
    mis_before = np.mean([style_before[n] for n in misread]) if misread else float("nan")
    mis_after = np.mean([style_after[n] for n in misread]) if misread else float("nan")
    print(f"  all styles       {overall_before:6.1%} → {overall_after:6.1%}")
    print(f"  misread styles   {mis_before:6.1%} → {mis_after:6.1%}   ({', '.join(misread)})")
    print(f"hold-out of the labelled digits ({sum(report['holdout']['counts'].values())}, drawing ids "
          f"{report['holdout']['drawing_ids']}): "
          f"{report['user_before']:.0%} → {report['user_after']:.0%}")
    print(f"MNIST test: {report['mnist_before']:.2%} ({'measured' if known is None else 'from the parent record'})"
          f" → {report['mnist_after']:.2%}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "per_style": args.per_style, "fresh": args.fresh, "settings": settings.__dict__,
            "fresh_before": style_before, "fresh_after": style_after, "overall_before": overall_before,
            "overall_after": overall_after, "misread_before": mis_before, "misread_after": mis_after,
            "finetune": report, "train_seconds": result.train_seconds, "call_seconds": seconds}, indent=2))
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
