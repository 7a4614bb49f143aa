"""colcon verb `bundle`: a relocatable archive of a built workspace and its Python dependencies.

`colcon bundle` in a workspace writes `bundle/output.tar` (see `layers` for what
is inside, `archive` for how rebuilds stay fast). Installed for Debian's colcon
by `install_plugin.py`.
"""

__version__ = "0.1.0"
