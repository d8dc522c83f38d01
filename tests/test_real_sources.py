"""Rebuilding real_handwriting.npz from its public sources (data/real_sources.py), offline:
each conversion on small inputs shaped like the real files, the downloads mocked (one-line
DataErrors), a whole build from synthetic sources read back by real.load_npz, and the
expected digests checked against the shared file when it is there."""

from __future__ import annotations

import io
import os
import pickle
import urllib.error
import zipfile
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from digitstudio.data import real
from digitstudio.data import real_sources as R
from digitstudio.data.mnist import DataError

SHARED_REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / real.FILE_NAME

# The second line of iamb2/Semion-Digits's semeion.data (its first readable record, a 0),
# pixels row by row: 256 values, then the one-hot label and the label's 10-digit code.
SEMEION_ZERO_ROWS = (
    "0000011111111000", "0001111000001100", "0011111000001110", "0111000000000111",
    "1110000000000011", "1110000000000011", "1100000000000011", "1100000000000011",
    "1100000000000011", "1100000000000011", "1100000000000111", "1100000000000110",
    "1110000000001110", "0111000000001100", "0011000000011000", "0001111111100000",
)

# A Python 2 style pickle (protocol 2, numpy.core.multiarray names, the data as a str) of
# int16 [[1, -2, 300]], written opcode by opcode: what omniglot.npz's drawings look like.
PY2_INT16 = np.array([[1, -2, 300]], dtype="<i2")
PY2_INT16_PICKLE = (
    b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R(K\x01K\x01K\x03\x86"
    b"cnumpy\ndtype\nU\x02i2K\x00K\x01\x87R(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89U"
    + bytes([PY2_INT16.nbytes]) + PY2_INT16.tobytes() + b"tb."
)


def one_line(exc_info) -> str:
    message = str(exc_info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# --- synthetic sources, shaped like the real files -------------------------------------------

def semeion_line(pixels: np.ndarray, digit: int, style: str = "iamb2") -> str:
    """One record: iamb2's copy (tab-separated 0/1 and the 10-digit code) or UCI's
    (space-separated 1.0000/0.0000, one-hot only)."""
    one_hot = ["1" if d == digit else "0" for d in range(10)]
    if style == "uci":
        return " ".join([*(f"{v:.4f}" for v in pixels.ravel()), *one_hot]) + " "
    return "\t".join([*map(str, pixels.ravel()), *one_hot, "".join(one_hot)])


def wrapped_record(pixels: np.ndarray, digit: int) -> str:
    """A record wrapped over 17 lines, as the first of iamb2's copy."""
    one_hot = ["1" if d == digit else "0" for d in range(10)]
    rows = ["\t".join(map(str, row)) + "\t" for row in pixels]
    return "\n".join([*rows, "\t".join([*one_hot, "".join(one_hot)])])


def stroke3(rng: np.random.Generator, n: int) -> np.ndarray:
    points = rng.integers(-50, 50, size=(n, 3)).astype(np.int16)
    points[:, 2] = rng.integers(0, 2, size=n)
    points[-1, 2] = 1
    return points


def object_array(items) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        array[i] = item
    return array


def sketchrnn_npz(train, valid, test, protocol: int = 2, as_list: bool = False) -> bytes:
    """An .npz of object arrays as sketch-rnn's files: each member a .npy header, then a pickle
    (of the object array, or with `as_list` of a plain list of drawings)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as npz:
        for key, items in (("train", train), ("valid", valid), ("test", test)):
            array = object_array(items)
            member = io.BytesIO()
            np.lib.format.write_array_header_1_0(member, np.lib.format.header_data_from_array_1_0(array))
            pickle.dump(list(items) if as_list else array, member, protocol=protocol)
            npz.writestr(f"{key}.npy", member.getvalue())
    return out.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return out.getvalue()


def fake_sources(count: int, seed: int = 0) -> dict[R.Source, bytes]:
    """Every source's bytes in its real format: elicorrales's raw .bin, HR-Shekhar's .npy,
    sketch-rnn's pickled .npz and iamb2's semeion.data (its wrapped first record included)."""
    rng = np.random.default_rng(seed)
    files = {}
    for part in R.QUICKDRAW_PARTS:
        drawings = rng.integers(0, 256, size=(count + 2, 784), dtype=np.uint8)
        files[part.source] = drawings.tobytes() if part.source.path.endswith(".bin") else npy_bytes(drawings)
    files[R.OMNIGLOT_SOURCE] = sketchrnn_npz([stroke3(rng, 4), stroke3(rng, 2)], [stroke3(rng, 3)], [stroke3(rng, 1)])
    digits = rng.integers(0, 2, size=(5, 16, 16))
    lines = [wrapped_record(digits[0], 0), *(semeion_line(d, k) for k, d in enumerate(digits[1:], start=1))]
    files[R.SEMEION_SOURCE] = ("\n".join(lines) + "\n").encode()
    return files


@pytest.fixture
def offline_sources(monkeypatch):
    """real_sources.download answering from fake_sources (3 drawings a Quick, Draw! class)."""
    monkeypatch.setattr(R, "QUICKDRAW_PARTS", tuple(replace(part, count=3) for part in R.QUICKDRAW_PARTS))
    files = fake_sources(3)
    asked = []

    def download(source, cache_dir, **kwargs):
        asked.append(source)
        return files[source]

    monkeypatch.setattr(R, "download", download)
    return asked


# --- Semeion ---------------------------------------------------------------------------------

def test_semeion_reads_both_formats_and_drops_a_wrapped_record():
    rng = np.random.default_rng(1)
    digits = rng.integers(0, 2, size=(3, 16, 16))
    text = "\n".join([wrapped_record(digits[0], 4), semeion_line(digits[1], 7), semeion_line(digits[2], 2, "uci"), ""])

    result = R.semeion_from_text(text)

    assert result.dropped == 1
    assert result.images.dtype == np.uint8 and result.images.shape == (2, 16, 16)
    assert set(np.unique(result.images)) <= {0, 255}
    np.testing.assert_array_equal(result.images, digits[1:] * 255)
    assert result.labels.dtype == np.int8 and result.labels.tolist() == [7, 2]


def test_semeion_real_record_is_the_published_first_digit():
    pixels = np.array([[int(c) for c in row] for row in SEMEION_ZERO_ROWS])
    line = "\t".join([*map(str, pixels.ravel()), "1", *["0"] * 9, "1000000000"])
    assert len(line.split("\t")) == 267  # as in iamb2's file

    result = R.semeion_from_text(line + "\n")

    assert result.dropped == 0 and result.labels.tolist() == [0]
    np.testing.assert_array_equal(result.images[0], pixels * 255)
    if SHARED_REAL_DATA.is_file():
        with np.load(SHARED_REAL_DATA) as npz:
            np.testing.assert_array_equal(result.images[0], npz["semeion_images"][0])


@pytest.mark.parametrize("bad", [
    lambda f: f[:-1] + ["0100000000"],  # the code disagrees with the one-hot
    lambda f: f[:256] + ["1", "1"] + ["0"] * 8 + ["1100000000"],  # two labels
    lambda f: ["2"] + f[1:],  # a pixel that is not 0/1
    lambda f: ["x"] + f[1:],  # not a number
    lambda f: f[:200],  # cut short
])
def test_semeion_malformed_lines_are_dropped_one_record_per_run(bad):
    good = semeion_line(np.ones((16, 16), int), 3).split("\t")
    text = "\n".join(["\t".join(good), "\t".join(bad(list(good))), "\t".join(good), "\t".join(bad(list(good)))])

    result = R.semeion_from_text(text)

    assert result.labels.tolist() == [3, 3] and result.dropped == 2


def test_semeion_without_a_record_is_a_one_line_error():
    with pytest.raises(DataError, match="No Semeion record") as info:
        R.semeion_from_text("<html>404: Not Found</html>\n")
    one_line(info)


# --- Quick, Draw! ----------------------------------------------------------------------------

def test_quickdraw_raw_bin_rows_become_28x28_first_count():
    drawings = np.arange(3 * 784, dtype=np.int64).astype(np.uint8).reshape(3, 784)

    images = R.quickdraw_bitmaps(drawings.tobytes(), 2)

    assert images.dtype == np.uint8 and images.shape == (2, 28, 28)
    np.testing.assert_array_equal(images, drawings[:2].reshape(2, 28, 28))
    assert images.flags.writeable  # a copy, not a view of the downloaded bytes


@pytest.mark.parametrize("shape", [(4, 784), (4, 28, 28)])
def test_quickdraw_npy_flat_or_square(shape):
    drawings = np.random.default_rng(2).integers(0, 256, size=shape, dtype=np.uint8)

    images = R.quickdraw_bitmaps(npy_bytes(drawings), 4)

    np.testing.assert_array_equal(images, drawings.reshape(4, 28, 28))


@pytest.mark.parametrize(("data", "match"), [
    (b"\x00" * 785, "neither a .npy file nor raw 784-byte"),
    (np.zeros((2, 784), np.uint8).tobytes(), "holds 2 drawings, fewer than the 3"),
    (npy_bytes(np.zeros((5, 784), np.float32)), "must hold uint8"),
    (npy_bytes(np.zeros((5, 10, 10), np.uint8)), "must hold uint8"),
    (npy_bytes(np.zeros((5, 784), np.uint8))[:100], "not a readable .npy"),
])
def test_quickdraw_bad_file_is_a_one_line_error(data, match):
    with pytest.raises(DataError, match=match) as info:
        R.quickdraw_bitmaps(data, 3, "Quick, Draw! cat")
    assert one_line(info).startswith("Quick, Draw! cat")


def test_quickdraw_from_arrays_labels_classes_in_order():
    a = np.full((2, 784), 7, np.uint8)
    b = np.full((3, 28, 28), 9, np.uint8)

    images, labels, classes = R.quickdraw_from_arrays([("circle", a), ("airplane_2", b)])

    assert images.dtype == np.uint8 and images.shape == (5, 28, 28)
    assert labels.dtype == np.int16 and labels.tolist() == [0, 0, 1, 1, 1]
    assert classes.dtype.kind == "U" and classes.tolist() == ["circle", "airplane_2"]
    assert (images[:2] == 7).all() and (images[2:] == 9).all()


def test_quickdraw_classes_are_the_readmes():
    assert R.QUICKDRAW_CLASSES == ("airplane", "banana", "bird", "book", "cat", "clock", "dog", "flower", "house",
                                   "rainbow", "circle", "square", "star", "smiley_face", "skull", "crown", "airplane_2")
    assert [part.count for part in R.QUICKDRAW_PARTS] == [4000] * 10 + [5000] * 7
    assert R.QUICKDRAW_PARTS[-1].source.path == "airplane.npy"
    assert set(real.QUICKDRAW_HELD_OUT) | set(real.QUICKDRAW_DIGITS) <= set(R.QUICKDRAW_CLASSES)


# --- Omniglot --------------------------------------------------------------------------------

def test_omniglot_offsets_points_and_split():
    rng = np.random.default_rng(3)
    train = [stroke3(rng, 4), stroke3(rng, 2)]
    valid = [stroke3(rng, 3)]
    test = [stroke3(rng, 1), stroke3(rng, 5)]

    points, offsets, split = R.omniglot_from_sketchrnn(train, valid, test)

    assert points.dtype == np.int16 and points.shape == (15, 3)
    assert offsets.dtype == np.int64 and offsets.tolist() == [0, 4, 6, 9, 10, 15]
    assert split.dtype == np.int8 and split.tolist() == [0, 0, 1, 2, 2]
    for i, drawing in enumerate([*train, *valid, *test]):
        np.testing.assert_array_equal(points[offsets[i]:offsets[i + 1]], drawing)


@pytest.mark.parametrize(("drawing", "match"), [
    (np.array([[1, 2, 2]], np.int16), "valid drawing 0"),  # pen state 2
    (np.zeros((0, 3), np.int16), "valid drawing 0"),  # empty
    (np.zeros((3, 2), np.int16), "valid drawing 0"),  # stroke-2
    (np.array([[40000, 0, 1]]), "valid drawing 0"),  # does not fit int16
    (np.array([[0.5, 0, 1]]), "valid drawing 0"),  # not integers
])
def test_omniglot_bad_drawing_is_a_one_line_error(drawing, match):
    with pytest.raises(DataError, match=match) as info:
        R.omniglot_from_sketchrnn([np.zeros((1, 3), np.int16)], [drawing], [])
    one_line(info)


def test_sketchrnn_npz_object_arrays_read_without_numpy_pickle_loading():
    rng = np.random.default_rng(4)
    train, valid, test = [stroke3(rng, 4), stroke3(rng, 2)], [stroke3(rng, 3)], [stroke3(rng, 1)]

    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        got = R.read_sketchrnn_npz(sketchrnn_npz(train, valid, test, protocol))
        for want, have in zip((train, valid, test), got, strict=True):
            assert have.dtype == object and len(have) == len(want)
            for a, b in zip(want, have, strict=True):
                assert b.dtype == np.int16
                np.testing.assert_array_equal(a, b)


def test_sketchrnn_npz_pickled_list_of_equal_drawings_stays_one_drawing_each():
    drawings = [np.zeros((4, 3), np.int16), np.ones((4, 3), np.int16)]

    train, valid, test = R.read_sketchrnn_npz(sketchrnn_npz(drawings, drawings[:1], [], as_list=True))

    assert train.shape == (2,) and valid.shape == (1,) and test.shape == (0,)
    points, offsets, split = R.omniglot_from_sketchrnn(train, valid, test)
    assert offsets.tolist() == [0, 4, 8, 12] and split.tolist() == [0, 0, 1]


def test_python2_pickled_drawing_unpickles():
    assert pickle.loads(PY2_INT16_PICKLE, encoding="latin1").tolist() == PY2_INT16.tolist()  # the fixture is right
    drawing = R._ArraysOnlyUnpickler(io.BytesIO(PY2_INT16_PICKLE), encoding="latin1").load()
    assert drawing.dtype == np.int16
    np.testing.assert_array_equal(drawing, PY2_INT16)


def test_sketchrnn_npz_refuses_anything_but_arrays():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as npz:
        member = io.BytesIO()
        np.lib.format.write_array_header_1_0(member, {"descr": "|O", "fortran_order": False, "shape": (1,)})
        pickle.dump(OrderedDict(a=1), member, protocol=2)  # harmless, but not an array: as os.system would be
        for key in ("train", "valid", "test"):
            npz.writestr(f"{key}.npy", member.getvalue())

    with pytest.raises(DataError, match="refused to load collections.OrderedDict") as info:
        R.read_sketchrnn_npz(out.getvalue(), "Omniglot strokes")
    one_line(info)


@pytest.mark.parametrize(("data", "match"), [
    (b"not a zip", "not a readable sketch-rnn .npz"),
    (sketchrnn_npz([], [], [])[:50], "not a readable sketch-rnn .npz"),
])
def test_sketchrnn_npz_damaged_is_a_one_line_error(data, match):
    with pytest.raises(DataError, match=match) as info:
        R.read_sketchrnn_npz(data)
    one_line(info)


def test_sketchrnn_npz_without_a_split_is_a_one_line_error():
    out = io.BytesIO()
    np.savez(out, train=np.zeros(2), valid=np.zeros(2))
    with pytest.raises(DataError, match="has no 'test' array") as info:
        R.read_sketchrnn_npz(out.getvalue(), "Omniglot strokes")
    one_line(info)


# --- downloads (urllib mocked: no network) ---------------------------------------------------

def test_source_urls_are_pinned_then_default_branch():
    pinned, head = R.SEMEION_SOURCE.urls
    assert pinned == ("https://raw.githubusercontent.com/iamb2/Semion-Digits/"
                      "23352dc16ae265f0e5ba613df8cdecc106f2c369/semeion.data")
    assert head == "https://raw.githubusercontent.com/iamb2/Semion-Digits/HEAD/semeion.data"
    sources = [part.source for part in R.QUICKDRAW_PARTS] + [R.OMNIGLOT_SOURCE, R.SEMEION_SOURCE]
    assert len({source.cache_name for source in sources}) == len(sources)


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def fake_urlopen(answers: dict[str, object], seen: list[tuple[str, float]]):
    def urlopen(request, timeout):
        seen.append((request.full_url, timeout))
        answer = answers.get(request.full_url, urllib.error.HTTPError(request.full_url, 404, "Not Found", {}, None))
        if isinstance(answer, BaseException):
            raise answer
        return FakeResponse(answer)
    return urlopen


def test_download_uses_a_deadline_and_keeps_the_file(monkeypatch, tmp_path):
    seen = []
    pinned, _ = R.SEMEION_SOURCE.urls
    monkeypatch.setattr(R.urllib.request, "urlopen", fake_urlopen({pinned: b"data"}, seen))

    assert R.download(R.SEMEION_SOURCE, tmp_path) == b"data"
    assert seen == [(pinned, R.TIMEOUT_S)]
    assert R.download(R.SEMEION_SOURCE, tmp_path) == b"data"  # from the cache: no second request
    assert len(seen) == 1


def test_download_falls_back_to_the_default_branch_on_404(monkeypatch, tmp_path):
    seen = []
    pinned, head = R.OMNIGLOT_SOURCE.urls
    monkeypatch.setattr(R.urllib.request, "urlopen", fake_urlopen({head: b"from head"}, seen))

    assert R.download(R.OMNIGLOT_SOURCE, tmp_path) == b"from head"
    assert [url for url, _ in seen] == [pinned, head]


@pytest.mark.parametrize(("answer", "cause"), [
    (urllib.error.URLError(OSError("[Errno -3] Temporary failure in name resolution")), "name resolution"),
    (TimeoutError("timed out"), "no answer within 60 s"),
    (urllib.error.URLError(TimeoutError("timed out")), "no answer within 60 s"),
    (urllib.error.HTTPError("u", 500, "Server Error", {}, None), "HTTP 500 Server Error"),
    (None, "HTTP 404 Not Found; at HEAD: HTTP 404 Not Found"),
    (b"version https://git-lfs.github.com/spec/v1\noid sha256:...", "Git LFS pointer"),
])
def test_download_failure_is_one_line_naming_what_and_where(monkeypatch, tmp_path, answer, cause):
    pinned, head = R.QUICKDRAW_PARTS[4].source.urls
    answers = {} if answer is None else {pinned: answer, head: answer}
    monkeypatch.setattr(R.urllib.request, "urlopen", fake_urlopen(answers, []))

    with pytest.raises(DataError) as info:
        R.download(R.QUICKDRAW_PARTS[4].source, tmp_path)

    message = one_line(info)
    assert message.startswith(f"Could not download Quick, Draw! cat from {pinned} (")
    assert cause in message and "python -m digitstudio.data.real_sources" in message
    assert not any(tmp_path.iterdir())  # nothing cached


def test_download_stops_at_its_deadline(monkeypatch, tmp_path):
    clock = iter(range(0, 10_000, 400))
    monkeypatch.setattr(R.time, "monotonic", lambda: next(clock))
    pinned, _ = R.SEMEION_SOURCE.urls
    monkeypatch.setattr(R.urllib.request, "urlopen", fake_urlopen({pinned: b"x" * (3 << 20)}, []))

    with pytest.raises(DataError, match=r"not complete after 600 s") as info:
        R.download(R.SEMEION_SOURCE, tmp_path)
    one_line(info)


# --- build -----------------------------------------------------------------------------------

def test_build_when_a_download_fails_is_one_line_and_writes_nothing(monkeypatch, tmp_path):
    def offline(source, cache_dir, **kwargs):
        raise DataError(f"Could not download {source.what} from {source.urls[0]} (URLError: no network); "
                        "check the internet connection and run python -m digitstudio.data.real_sources again.")

    monkeypatch.setattr(R, "download", offline)
    out = tmp_path / "real_handwriting.npz"

    with pytest.raises(DataError, match="Could not download Quick, Draw! airplane from https://") as info:
        R.build(out, cache_dir=tmp_path / "sources")
    one_line(info)
    assert not out.exists()


def test_load_real_without_a_file_or_network_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.delenv(real.ENV_VAR, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    def no_network(request, timeout):
        raise urllib.error.URLError(OSError("[Errno 101] Network is unreachable"))

    monkeypatch.setattr(R.urllib.request, "urlopen", no_network)

    with pytest.raises(DataError, match="Could not download Quick, Draw! airplane") as info:
        real.load_real()
    message = one_line(info)
    assert f"Offline? Set {real.ENV_VAR}" in message
    assert not real.cache_path().exists()


def test_build_from_synthetic_sources_loads_with_load_npz(offline_sources, tmp_path):
    out = tmp_path / "sub" / "real_handwriting.npz"
    lines = []

    assert R.build(out, cache_dir=tmp_path / "sources", verify=False, log=lines.append) == out

    data = real.load_npz(out)
    assert data.quickdraw_classes == R.QUICKDRAW_CLASSES
    assert np.bincount(data.quickdraw_labels).tolist() == [3] * 17
    assert data.omniglot_offsets.tolist() == [0, 4, 6, 9, 10] and data.omniglot_split.tolist() == [0, 0, 1, 2]
    assert data.semeion_images.shape == (4, 16, 16) and data.semeion_labels.tolist() == [1, 2, 3, 4]
    with np.load(out, allow_pickle=False) as npz:  # no pickles in our output
        assert npz.files == list(real.KEYS)
        assert npz["quickdraw_labels"].dtype == np.int16 and npz["semeion_labels"].dtype == np.int8
        assert npz["omniglot_points"].dtype == np.int16 and npz["omniglot_offsets"].dtype == np.int64
    assert len(offline_sources) == 19
    assert any("1 malformed record(s) dropped" in line for line in lines)
    assert not list(out.parent.glob("*.part"))


def test_build_verifies_against_the_published_arrays(offline_sources, tmp_path):
    out = tmp_path / "real_handwriting.npz"

    with pytest.raises(DataError, match="differ from the published real_handwriting.npz") as info:
        R.build(out, cache_dir=tmp_path / "sources")

    message = one_line(info)
    assert "quickdraw/airplane" in message and "semeion_images" in message
    assert not out.exists()


def test_write_npz_refuses_object_arrays(tmp_path):
    with pytest.raises(DataError, match="object arrays"):
        R.write_npz({"a": object_array([np.zeros(2)])}, tmp_path / "x.npz")
    assert not list(tmp_path.iterdir())


def test_expected_digests_are_the_shared_files():
    path = Path(os.environ.get(real.ENV_VAR, "").strip() or SHARED_REAL_DATA).expanduser()
    if not path.is_file():
        pytest.skip(f"no published {real.FILE_NAME} here to check the digests against")
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in real.KEYS}

    assert R.mismatches(arrays) == []
    assert tuple(arrays["quickdraw_classes"]) == R.QUICKDRAW_CLASSES


# --- the command line ------------------------------------------------------------------------

def test_cli_help(capsys):
    with pytest.raises(SystemExit) as info:
        R.main(["--help"])
    assert info.value.code == 0
    assert "python -m digitstudio.data.real_sources" in capsys.readouterr().out


def test_cli_builds_and_says_what_it_did(offline_sources, tmp_path, capsys):
    out = tmp_path / "out.npz"

    assert R.main([str(out), "--no-verify", "--cache-dir", str(tmp_path / "sources")]) == 0

    printed = capsys.readouterr().out
    assert "Quick, Draw! airplane_2 (airplane.npy): 3 drawings" in printed
    assert "Semeion digits: 4 digits" in printed and f"wrote {out}" in printed and "sha256" in printed
    real.load_npz(out)


def test_cli_failure_is_one_line_on_stderr(monkeypatch, tmp_path, capsys):
    def offline(source, cache_dir, **kwargs):
        raise DataError(f"Could not download {source.what} from {source.urls[0]} (no network); try again.")

    monkeypatch.setattr(R, "download", offline)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    assert R.main([str(tmp_path / "out.npz")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Could not download Quick, Draw! airplane") and err.count("\n") == 1
