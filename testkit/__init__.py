"""What the tests and the benchmarks share: drawings, photos, a browser, AppTest helpers.

Imported as `testkit.…` by tests/ (pytest.ini puts the repository on sys.path) and by
bench/ (each script puts the repository on sys.path to import digitstudio). App code never
imports it. Not named `tests`: the Hershey-Fonts package installs a top-level `tests`.

    style_strokes     writing styles MNIST lacks, non-digits, issue 10's inputs (pen strokes)
    personal_styles   one writer's quirky style per digit, repeated with small variations
    photo_samples     synthetic phone photos of digits on paper, good and bad
    browser_support   the app on a free port, headless Chromium, drawing with the mouse
    canvas            MNIST digits and dots on the app's 280×280 RGBA canvas
    apptest           the app in Streamlit's AppTest: start it, draw, read a metric, label
    waiting           wait_until(condition)
    model_files       model files declaring a huge Dense layer (no weights), for upload limits
    memory            this process's resident memory
"""
