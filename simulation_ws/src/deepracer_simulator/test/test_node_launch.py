"""racecar.launch and racetrack_with_racecar.launch resolve to the right nodes and params.

roslaunch --nodes / --dump-params only parse the files (no master, no Gazebo),
so the gazebo branch of racecar.launch is checked too. Needs the workspace built
and sourced.
"""
import os
import shutil
import subprocess

import pytest
import yaml

rospkg = pytest.importorskip("rospkg")


def _installed():
    try:
        rospkg.RosPack().get_path("deepracer_simulator")
        rospkg.RosPack().get_path("deepracer_simulation")
    except rospkg.ResourceNotFound:
        return False
    return shutil.which("roslaunch") is not None


pytestmark = pytest.mark.skipif(not _installed(),
                                reason="build and source simulation_ws (roslaunch packages)")


def roslaunch(option, launch_file, *args, world=None):
    env = dict(os.environ)
    env.pop("WORLD_NAME", None)
    if world:
        env["WORLD_NAME"] = world
    return subprocess.run(["roslaunch", option, "deepracer_simulation", launch_file, *args], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)


def nodes(launch_file, *args):
    result = roslaunch("--nodes", launch_file, *args)
    assert result.returncode == 0, result.stdout
    return set(result.stdout.split())


def params(launch_file, *args, world=None):
    result = roslaunch("--dump-params", launch_file, *args, world=world)
    assert result.returncode == 0, result.stdout
    return yaml.safe_load(result.stdout)


BUILTIN = {"/deepracer_simulator", "/servo_commands", "/robot_state_publisher"}


@pytest.mark.parametrize("launch_file", ["racecar.launch", "racetrack_with_racecar.launch"])
def test_builtin_lockstep(launch_file):
    assert nodes(launch_file) == BUILTIN
    values = params(launch_file, "world_name:=hard_track", "seed:=5")
    assert values["/use_sim_time"] is True
    assert values["/deepracer_simulator/world_name"] == "hard_track"
    assert values["/deepracer_simulator/mode"] == "lockstep"
    assert values["/deepracer_simulator/seed"] == "5"
    assert '<robot name="racecar">' in values["/robot_description"]


def test_world_name_defaults_to_the_environment():
    assert params("racecar.launch", world="easy_track")["/deepracer_simulator/world_name"] == "easy_track"
    assert params("racecar.launch")["/deepracer_simulator/world_name"] == "reinvent_base"


def test_realtime_uses_the_wall_clock():
    values = params("racecar.launch", "mode:=realtime", "image_width:=640", "image_height:=480")
    assert values["/use_sim_time"] is False
    size = values["/deepracer_simulator/image_width"], values["/deepracer_simulator/image_height"]
    assert size == (640, 480)


def test_gazebo_branch_of_racecar_launch():
    assert nodes("racecar.launch", "simulator:=gazebo") == {
        "/spawn_racecar", "/racecar/controller_spawner", "/servo_commands", "/robot_state_publisher"}
    values = params("racecar.launch", "simulator:=gazebo")
    assert values["/racecar/left_steering_hinge_position_controller/joint"] == "left_steering_hinge_joint"
    assert "/deepracer_simulator/world_name" not in values


def test_unknown_simulator_is_named():
    result = roslaunch("--nodes", "racecar.launch", "simulator:=webots")
    assert result.returncode != 0
    assert "simulator_must_be_builtin_or_gazebo" in result.stdout
