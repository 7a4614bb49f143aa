"""catkin_python_setup() hook: installs the `model_optimizer` library from src/."""
from catkin_pkg.python_setup import generate_distutils_setup
from setuptools import setup

setup(**generate_distutils_setup(packages=["model_optimizer"], package_dir={"": "src"}))
