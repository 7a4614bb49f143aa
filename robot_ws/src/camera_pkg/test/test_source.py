"""Camera sources: image folders and video files at 160x120 BGR, looping, and clear errors."""
import cv2
import numpy as np
import pytest

from deepracer_camera import CameraError, FrameSource, fit_frame, parse_source
from deepracer_camera.synthetic import road_frame, road_frames


def write_folder(folder, frames):
    folder.mkdir()
    for i, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"frame_{i:03d}.png"), frame)
    return folder


def test_parse_source():
    assert parse_source("0") == 0 and parse_source(2) == 2
    assert parse_source(" rtsp://car/stream ") == "rtsp://car/stream"
    with pytest.raises(CameraError, match="empty camera source"):
        parse_source("  ")


def test_fit_frame_resizes_and_converts():
    frame = fit_frame(np.full((480, 640), 77, np.uint8))
    assert frame.shape == (120, 160, 3) and frame.dtype == np.uint8 and np.all(frame == 77)
    bgra = np.zeros((120, 160, 4), np.uint8)
    assert fit_frame(bgra).shape == (120, 160, 3)


def test_folder_is_read_in_name_order_and_loops(tmp_path):
    frames = [np.full((240, 320, 3), v, np.uint8) for v in (10, 20, 30)]
    source = FrameSource(write_folder(tmp_path / "frames", frames))
    assert source.is_file
    values = [int(source.read()[0, 0, 0]) for _ in range(5)]
    assert values == [10, 20, 30, 10, 20]


def test_folder_without_loop_ends(tmp_path):
    source = FrameSource(write_folder(tmp_path / "frames", road_frames(2)), loop=False)
    first = source.read()
    assert first.shape == (120, 160, 3)
    source.read()
    with pytest.raises(CameraError, match="no more frames"):
        source.read()


def test_video_file_loops(tmp_path):
    path = tmp_path / "drive.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15, (320, 240))
    for i in range(4):
        writer.write(road_frame(curve=0.5 * (i - 2), width=320, height=240, seed=i))
    writer.release()
    source = FrameSource(path)
    frames = [source.read() for _ in range(6)]
    assert all(f.shape == (120, 160, 3) for f in frames)
    assert np.array_equal(frames[4], frames[0]) and not np.array_equal(frames[1], frames[0])
    source.close()


def test_bad_sources_are_named(tmp_path):
    with pytest.raises(CameraError, match=rf"{tmp_path / 'nope.mp4'}: no such file"):
        FrameSource(tmp_path / "nope.mp4")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CameraError, match=rf"{tmp_path / 'empty'}: no .png/.jpg/.jpeg/.bmp images"):
        FrameSource(tmp_path / "empty")
    not_video = tmp_path / "notes.txt"
    not_video.write_text("hello")
    with pytest.raises(CameraError, match=rf"{not_video}: OpenCV cannot open it"):
        FrameSource(not_video)
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"not a png")
    with pytest.raises(CameraError, match=rf"{folder / 'a.png'}: not a readable image"):
        FrameSource(folder).read()


def test_road_frames_look_like_a_road():
    frame = road_frame()
    assert frame.shape == (120, 160, 3)
    bottom = frame[-5:, 75:85].mean(axis=(0, 1))  # road surface under the car: grey
    assert abs(bottom[0] - bottom[1]) < 10 and 70 < bottom.mean() < 110
    assert frame[55:60, :5, 1].mean() > frame[55:60, :5, 2].mean() + 40  # grass beside it: green
    assert not np.array_equal(road_frame(curve=-1), road_frame(curve=1))
