"""catkin_python_setup() hook: installs the `deepracer_camera` library from src/."""
from catkin_pkg.python_setup import generate_distutils_setup
from setuptools import setup

setup(**generate_distutils_setup(packages=["deepracer_camera"], package_dir={"": "src"},
                                 package_data={"deepracer_camera": ["data/*.json"]}))
