"""Models in, in a real browser: a tutorial-style model trained on raw 0–255 pixels and
saved as legacy .h5 is uploaded on the Runs page, scored on MNIST with its convention
found, becomes the session's model, and reads a drawn digit right."""

from __future__ import annotations

import pytest

from testkit.browser_support import draw_digit, go_to, open_app, wait_idle, wait_prediction

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def raw_pixel_h5(tmp_path_factory, small_mnist):
    """The deep-sigmoid tutorial's shape: BatchNormalization on raw pixels, sigmoid layers."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.BatchNormalization(),
                              keras.layers.Dense(100, activation="sigmoid"), keras.layers.Dense(10, "softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(small_mnist.x_train[..., None].astype("float32"), small_mnist.y_train, epochs=8, batch_size=32,
              verbose=0)  # raw 0–255, as the tutorial does
    path = tmp_path_factory.mktemp("models") / "mnist_dnn_v1.h5"
    model.save(path)
    return path


def test_a_raw_pixel_tutorial_h5_is_scored_made_active_and_reads_a_drawing(chrome, server, raw_pixel_h5, tmp_path):
    page = open_app(chrome, server)
    go_to(page, "Runs", "**/runs")
    page.get_by_text("Upload a model (.keras or .h5)").click()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(raw_pixel_h5))
    wait_idle(page, timeout=180_000)  # scored on the 10,000 MNIST test digits
    message = page.locator('[data-testid="stAlert"]', has_text="passed the checks")
    message.wait_for(timeout=120_000)
    assert "raw 0–255 pixels" in message.inner_text()
    card = page.locator('[data-testid="stVerticalBlock"]', has_text="upload-mnist-dnn-v1").filter(
        has_text="test accuracy").last  # the run's card: its title line, then "Run <id>"
    summary = card.locator('[data-testid="stMarkdownContainer"]', has_text="test accuracy").first
    accuracy = float(summary.inner_text().split("%")[0].split("·")[-1])
    assert accuracy > 80, summary.inner_text()  # read at chance (~10%) if fed 0–1 pixels
    page.screenshot(path=str(tmp_path / "runs_upload.png"), full_page=True)
    go_to(page, "Draw")
    model = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text()
    assert "Uploaded model" in model  # short names in headers; the id stays in Runs
    draw_digit(page, 1)
    assert wait_prediction(page, previous="–") == "1"
