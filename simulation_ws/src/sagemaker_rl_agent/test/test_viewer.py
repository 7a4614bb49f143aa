"""The live viewer in headless Chromium (Selenium) while a training runs in another process:
the camera image and the charts update, the screenshot shows a road and a moving car marker."""
import io
import json
import tempfile
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from markov.watch.feed import feed_dir
from markov.watch.viewer import make_server

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture
def training(tmp_path):
    """A training of the in-process backend running in a subprocess; yields its feed folder."""
    hyperparameters = tmp_path / "hyperparameters.json"
    hyperparameters.write_text(json.dumps({"num_episodes_between_training": 4, "num_epochs": 1,
                                           "term_cond_max_episodes": 100000}))
    env = dict(os.environ, WORLD_NAME="easy_track", LOCAL_MODEL_STORE=str(tmp_path / "store"),
               HYPERPARAMETERS_FILE=str(hyperparameters), MAX_TRAINING_MINUTES="3",
               PROGRESS_BAR="false", TRAINING_SEED="5", TMPDIR=str(tmp_path),
               CAMERA_CALIBRATION="pinhole", RANDOMIZATION_FILE="none")  # the flat road colours
    proc = subprocess.Popen([sys.executable, "-m", "markov.workers.training"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield feed_dir(str(tmp_path / "store"), "rl-deepracer-sagemaker")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'chromium'}",
                "--window-size=1300,1300"):
        options.add_argument(arg)
    # Chromium's singleton socket lives in TMPDIR and a socket path may not exceed 107 bytes:
    # pytest's tmp_path under test.sh's private TMPDIR is too long, so give it a short folder.
    short_tmp = tempfile.mkdtemp(prefix="chromium-", dir="/tmp")
    service = Service(DRIVER, env=dict(os.environ, TMPDIR=short_tmp))
    try:
        driver = webdriver.Chrome(service=service, options=options)
        try:
            yield driver
        finally:
            driver.quit()
    finally:
        shutil.rmtree(short_tmp, ignore_errors=True)


def _screenshot(driver):
    import matplotlib.image
    return (matplotlib.image.imread(io.BytesIO(driver.get_screenshot_as_png()), format="png")[..., :3]
            * 255).astype(np.uint8)


def _crop(image, element):
    r = element.rect
    return image[int(r["y"]):int(r["y"] + r["height"]), int(r["x"]):int(r["x"] + r["width"])]


def _marker(canvas):
    red = (canvas[..., 0] > 200) & (canvas[..., 1] < 40) & (canvas[..., 2] < 40)
    ys, xs = np.nonzero(red)
    return (xs.mean(), ys.mean(), red.sum()) if len(xs) else None


@pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver "
                    "(scripts/setup.sh installs them)")
def test_viewer_in_headless_chromium_shows_the_road_and_a_moving_car(training, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    server = make_server(training, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser.get(f"http://127.0.0.1:{server.server_address[1]}/")
        ready = ("return document.getElementById('camera').naturalWidth === 640 && "
                 "episodes.length >= 1 && track !== null")
        WebDriverWait(browser, 120, poll_frequency=0.5).until(lambda d: d.execute_script(ready))
        first_ep = browser.execute_script("return episodes.length")
        map_element = browser.find_element(By.ID, "map")
        shots, markers, deadline = [], [], time.monotonic() + 60
        while time.monotonic() < deadline:  # two screenshots with the marker at two places
            shot = _screenshot(browser)
            marker = _marker(_crop(shot, map_element))
            if marker is not None and marker[2] > 40 and (not markers or np.hypot(
                    marker[0] - markers[0][0], marker[1] - markers[0][1]) > 1.0):
                shots.append(shot)
                markers.append(marker)
                if len(markers) == 2:
                    break
            time.sleep(0.5)
        assert len(markers) == 2, f"the car marker did not show or move: {markers}"
        import matplotlib.image
        matplotlib.image.imsave(os.environ.get("VIEWER_SCREENSHOT", tmp_path / "v.png"), shots[1])
        camera = _crop(shots[1], browser.find_element(By.ID, "camera"))
        road = (np.abs(camera.astype(int) - [45, 45, 50]).max(axis=2) < 25).mean()
        assert road > 0.2, f"only {road:.0%} of the camera view is road-coloured"
        WebDriverWait(browser, 120, poll_frequency=0.5).until(
            lambda d: d.execute_script("return episodes.length") > first_ep)  # charts update
        chart = _crop(shots[1], browser.find_element(By.ID, "chart")).astype(int)
        green = ((chart[..., 1] > 100) & (chart[..., 0] < 80) & (chart[..., 2] < 80)).sum()
        assert green > 20  # the reward line is drawn
    finally:
        server.shutdown()
        server.server_close()


def test_feed_writes_nothing_without_a_viewer_and_frames_only_while_watched(tmp_path):
    from markov.sim_trace import SimTraceWriter
    from markov.watch.feed import WATCHING, LiveFeed

    clock = [0.0]
    folder = tmp_path / "feed"
    trace = SimTraceWriter()
    feed = LiveFeed(trace, folder, "easy_track", clock=lambda: clock[0])

    def step(steps, done=False):
        clock[0] += 1.1  # past the once-a-second check
        feed.log(0, steps, 1.0, 2.0, 0.0, 0.0, 1.5, 3, 0.5, done, True, 10.0, 4, 17.0,
                 steps / 15, "off_track" if done else "in_progress")

    step(1)
    step(2, done=True)
    assert not folder.exists() and len(trace) == 2  # no viewer: no folder, no files
    folder.mkdir()
    step(1)
    step(2, done=True)
    assert sorted(p.name for p in folder.iterdir()) == ["episodes.jsonl"]  # no browser: no frames
    assert json.loads((folder / "episodes.jsonl").read_text()) == {
        "episode": 0, "reward": 1.0, "progress": 10.0, "status": "off_track", "steps": 2}
    (folder / WATCHING).touch()
    step(1)
    state = json.loads((folder / "state.json").read_text())
    assert (state["x"], state["speed"], state["world"], state["steps"]) == (1.0, 1.5, "easy_track", 1)
    assert len(trace) == 5 and trace.lines[-1].startswith("0,1,1.0000,2.0000")
