#!/usr/bin/env python3
"""rostest helper, run by car_wiring.test at launch time: writes the files the car nodes read.

    make_car_fixture.py DIR   ->  DIR/model.tar.gz (a small random 5-action policy),
                                  DIR/frames/*.png (320x240 road frames), DIR/calibration.json
                                  (servo polarity -1), DIR/sysfs/pwmchip0/{export,pwm0/,pwm1/}
Prints DIR (roslaunch stores it as a parameter).
"""
import json
import sys
from pathlib import Path

import cv2

from deepracer_camera.synthetic import road_frames
from deepracer_servo import ChannelCalibration, Calibration, save_calibration
from model_optimizer import pack_model
from model_optimizer.sample_model import write_sample_model

ACTIONS = [(-30, 0.8), (-15, 1.2), (0, 2.0), (15, 1.2), (30, 0.8)]  # (steering deg, speed m/s)


def main(out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    metadata = out / "model_metadata.json"
    metadata.write_text(json.dumps({
        "action_space": [{"steering_angle": s, "speed": v, "index": i} for i, (s, v) in enumerate(ACTIONS)],
        "sensor": ["FRONT_FACING_CAMERA"], "neural_network": "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW",
        "training_algorithm": "clipped_ppo", "action_space_type": "discrete", "version": "5"}))
    pack_model(write_sample_model(out / "agent" / "model.pb", len(ACTIONS), seed=3), metadata,
               out / "model.tar.gz")
    (out / "frames").mkdir(exist_ok=True)
    for i, frame in enumerate(road_frames(3, 320, 240, seed=7)):
        cv2.imwrite(str(out / "frames" / f"frame_{i:03d}.png"), frame)
    save_calibration(Calibration(servo=ChannelCalibration(1_000_000, 1_450_000, 2_000_000, -1),
                                 motor=ChannelCalibration(1_200_000, 1_500_000, 1_800_000, 1)),
                     out / "calibration.json")
    chip = out / "sysfs" / "pwmchip0"
    for channel in ("pwm0", "pwm1"):
        (chip / channel).mkdir(parents=True, exist_ok=True)
    (chip / "export").write_text("")
    print(out)


if __name__ == "__main__":
    main(sys.argv[1])
