"""Refused uploads and setups cost the server nothing: RSS and time per refusal.

    python bench/upload_memory.py                  # 20 attempts of each kind
    python bench/upload_memory.py --unguarded      # also: what Keras alone allocates for the .keras

An 896-byte .keras whose config declares Dense(400000) used to make the server allocate
4.6 GB before it was refused. Now model_files.check_upload reads the config as JSON and
counts parameters before Keras builds anything; spec.validate does the same for a
?spec= link and a pasted spec. Each kind of bad input is refused `--attempts` times in
this process (Keras and TensorFlow already imported, as in the server) and the process's
RSS is read from /proc before and after. Goal: within +20 MB.

--unguarded loads the same .keras with keras.saving.load_model directly (no config
check) in a child process and reports that child's peak RSS, for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402

from digitstudio.export.share import spec_from_query, spec_to_query  # noqa: E402
from digitstudio.modeling.layers import OUTPUT  # noqa: E402
from digitstudio.modeling.spec import ModelSpec, SpecError, validate  # noqa: E402
from digitstudio.storage.model_files import ModelFileError, load_uploaded_model  # noqa: E402
from testkit.memory import rss_mb  # noqa: E402
from testkit.model_files import h5_with_dense, keras_with_dense  # noqa: E402

DENSE = OUTPUT.name  # the layer catalogue's Dense kind

GOAL_MB = 20


def attempts(kinds: dict, count: int) -> list[str]:
    lines = []
    for name, (refuse, error) in kinds.items():
        try:  # once first, so lazy imports are not what is measured
            refuse()
            raise SystemExit(f"{name}: was not refused")
        except error as exc:
            message = str(exc)
        before, times = rss_mb(), []
        for _ in range(count):
            started = time.perf_counter()
            try:
                refuse()
            except error:
                times.append(time.perf_counter() - started)
        after = rss_mb()
        verdict = "ok" if after - before <= GOAL_MB else f"over the +{GOAL_MB} MB goal"
        lines.append(f"{name:<40} refused in {statistics.median(times) * 1000:6.2f} ms (median of {count}, max "
                     f"{max(times) * 1000:.2f} ms); RSS {before:.0f} → {after:.0f} MB ({after - before:+.1f} MB, "
                     f"{verdict})\n{'':<40} message: {message[:150]}")
    return lines


def unguarded(data: bytes) -> str:
    """Peak RSS of a child that loads the .keras with Keras alone (no config check)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.keras"
        path.write_bytes(data)
        code = ("import resource, keras, sys\n"
                "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
                "try:\n    keras.saving.load_model(sys.argv[1], compile=False, safe_mode=True)\n"
                "except Exception as exc:\n    print('keras refused it:', str(exc).splitlines()[0][:100])\n"
                "print(f'peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
                "(after imports {base:.0f} MB)')\n")
        proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=600)
        return (proc.stdout.strip() or proc.stderr.strip()[-300:]).replace("\n", "; ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=20, help="refusals of each kind (default 20)")
    parser.add_argument("--units", type=int, default=400_000, help="Dense units the bad files declare")
    parser.add_argument("--unguarded", action="store_true",
                        help="also load the .keras with Keras alone in a child process (allocates GBs)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        big_keras, big_h5 = keras_with_dense(args.units), h5_with_dense(Path(folder), args.units)
    wide = ModelSpec(layers=[{"type": DENSE, "units": args.units}])
    deep = ModelSpec(layers=[{"type": DENSE, "units": 4096}] * 5)  # every layer in range, 70M parameters
    link = {"spec": spec_to_query(ModelSpec(layers=[{"type": DENSE, "units": 8}]))["spec"]}
    import base64

    def link_for(spec: ModelSpec) -> dict:
        text = json.dumps({"layers": spec.layers}, separators=(",", ":"))
        return {"spec": base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")}

    assert spec_from_query(link)  # a good link passes
    kinds = {
        f".keras upload, Dense({args.units:,}) [{len(big_keras)} B]":
            (lambda: load_uploaded_model("big.keras", big_keras), ModelFileError),
        f".h5 upload, Dense({args.units:,}) [{len(big_h5)} B]":
            (lambda: load_uploaded_model("big.h5", big_h5), ModelFileError),
        f"?spec= link, {DENSE}:{args.units}": (lambda: spec_from_query(link_for(wide)), SpecError),
        f"?spec= link, 5 × {DENSE}:4096": (lambda: spec_from_query(link_for(deep)), SpecError),
        f"pasted spec JSON, 5 × {DENSE}:4096": (lambda: validate(ModelSpec.from_json(json.dumps(
            {"layers": deep.layers}))), SpecError),
    }
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}; Keras {keras.__version__}; "
          f"RSS with Keras imported {rss_mb():.0f} MB (peak so far "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")
    print("\n".join(attempts(kinds, args.attempts)))
    if args.unguarded:
        print(f"unguarded keras.saving.load_model of the .keras: {unguarded(big_keras)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
