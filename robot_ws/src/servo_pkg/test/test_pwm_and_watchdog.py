"""sysfs PWM files in a temporary tree, and the controller's watchdog and error fallbacks."""
import threading
import time

import pytest

from deepracer_servo import (PERIOD_NS, Calibration, ChannelCalibration, PwmError, ServoController,
                             SysfsPwm)

CALIBRATION = Calibration(servo=ChannelCalibration(1_000_000, 1_500_000, 2_000_000, -1),
                          motor=ChannelCalibration(1_200_000, 1_500_000, 1_800_000, 1))


def fake_sysfs(root, channels=(0, 1)):
    chip = root / "pwmchip0"
    chip.mkdir(parents=True)
    for channel in channels:
        (chip / f"pwm{channel}").mkdir(parents=True)
    (chip / "export").write_text("")
    return chip


def read(chip, channel, name):
    return (chip / f"pwm{channel}" / name).read_text()


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_start_writes_period_neutral_and_enable(tmp_path):
    chip = fake_sysfs(tmp_path)
    ServoController(CALIBRATION, SysfsPwm(tmp_path)).start()
    for channel in (0, 1):
        assert read(chip, channel, "period") == str(PERIOD_NS) == "20000000"
        assert read(chip, channel, "duty_cycle") == "1500000"
        assert read(chip, channel, "enable") == "1"


def test_commands_write_duty_cycles_servo_on_pwm1_motor_on_pwm0(tmp_path):
    chip = fake_sysfs(tmp_path)
    controller = ServoController(CALIBRATION, SysfsPwm(tmp_path))
    controller.start()
    assert controller.command(0.5, 0.25) == (1_250_000, 1_575_000)  # servo polarity -1
    assert (read(chip, 1, "duty_cycle"), read(chip, 0, "duty_cycle")) == ("1250000", "1575000")
    controller.stop()
    assert (read(chip, 1, "duty_cycle"), read(chip, 0, "duty_cycle")) == ("1500000", "1500000")
    assert read(chip, 0, "enable") == read(chip, 1, "enable") == "0"


def test_channels_are_exported_when_missing(tmp_path):
    chip = fake_sysfs(tmp_path, channels=())
    exported = []

    def kernel():  # what the kernel does on a write to export: create pwm<N>/
        while len(exported) < 2:
            text = (chip / "export").read_text()
            if text and text not in exported:
                exported.append(text)
                (chip / f"pwm{text}").mkdir()
            time.sleep(0.001)

    thread = threading.Thread(target=kernel, daemon=True)
    thread.start()
    SysfsPwm(tmp_path).open(1_500_000, 1_500_000)
    thread.join(timeout=5)
    assert exported == ["0", "1"] and read(chip, 1, "enable") == "1"


def test_export_that_creates_nothing_is_an_error(tmp_path):
    chip = fake_sysfs(tmp_path, channels=())
    pwm = SysfsPwm(tmp_path)
    pwm.motor.export_timeout = 0.05
    with pytest.raises(PwmError, match=rf"{chip / 'pwm0'}: not created after writing 0 to {chip / 'export'}"):
        pwm.open(1_500_000, 1_500_000)


def test_missing_chip_names_the_file(tmp_path):
    with pytest.raises(PwmError, match=rf"{tmp_path / 'pwmchip0' / 'export'}: cannot write 0"):
        SysfsPwm(tmp_path).open(1_500_000, 1_500_000)


def test_same_channel_for_both_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="different PWM channels"):
        SysfsPwm(tmp_path, servo_channel=0, motor_channel=0)


def test_watchdog_goes_neutral_after_the_timeout(tmp_path):
    chip, clock = fake_sysfs(tmp_path), FakeClock()
    controller = ServoController(CALIBRATION, SysfsPwm(tmp_path), timeout=0.5, clock=clock)
    controller.start()
    controller.command(-1.0, 1.0)
    clock.now += 0.5
    assert not controller.check() and read(chip, 0, "duty_cycle") == "1800000"
    clock.now += 0.01
    assert controller.check() and controller.is_neutral
    assert (read(chip, 1, "duty_cycle"), read(chip, 0, "duty_cycle")) == ("1500000", "1500000")
    assert not controller.check()  # already neutral: nothing to do
    controller.command(0.0, 0.5)
    assert read(chip, 0, "duty_cycle") == "1650000"


def test_non_finite_command_goes_neutral_and_raises(tmp_path):
    chip = fake_sysfs(tmp_path)
    controller = ServoController(CALIBRATION, SysfsPwm(tmp_path))
    controller.start()
    controller.command(1.0, 1.0)
    with pytest.raises(ValueError, match="non-finite servo command"):
        controller.command(float("nan"), 0.5)
    assert controller.is_neutral and read(chip, 0, "duty_cycle") == "1500000"


class FlakyWriter:
    """Fails to write anything but the neutral pulses."""

    def __init__(self):
        self.written = []

    def open(self, servo_ns, motor_ns):
        self.written.append((servo_ns, motor_ns))

    def write(self, servo_ns, motor_ns):
        if (servo_ns, motor_ns) != (1_500_000, 1_500_000):
            raise PwmError(5, "pwm0/duty_cycle: cannot write (Input/output error)")
        self.written.append((servo_ns, motor_ns))

    def close(self):
        pass


def test_write_error_falls_back_to_neutral_and_raises():
    writer = FlakyWriter()
    controller = ServoController(CALIBRATION, writer)
    controller.start()
    with pytest.raises(PwmError, match="Input/output error"):
        controller.command(0.2, 0.2)
    assert writer.written == [(1_500_000, 1_500_000)] * 2 and controller.is_neutral


def test_timeout_must_be_positive():
    with pytest.raises(ValueError, match="watchdog timeout"):
        ServoController(CALIBRATION, FlakyWriter(), timeout=0)
