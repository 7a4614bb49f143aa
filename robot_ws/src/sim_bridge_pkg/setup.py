"""catkin_python_setup() hook: installs the `deepracer_sim_bridge` library from src/."""
from catkin_pkg.python_setup import generate_distutils_setup
from setuptools import setup

setup(**generate_distutils_setup(packages=["deepracer_sim_bridge"], package_dir={"": "src"}))
