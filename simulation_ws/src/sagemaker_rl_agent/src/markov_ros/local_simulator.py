"""A private ROS master and simulator_node as subprocesses, for tests and benchmarks.

rospy joins one ROS master per process: point ROS_MASTER_URI at
`LocalSimulator.master_uri` before the process builds its first `RosBackend`.
"""
import os
import socket
import subprocess
import tempfile
import time

import rosgraph

from .backend import RosBackendError


class LocalSimulator:
    """A private ROS master and simulator_node as subprocesses, for tests and benchmarks.

    `params` are the node's private parameters (`~name` -> value). Use as a
    context manager; `master_uri` is the master to join (rospy joins one master
    per process: set ROS_MASTER_URI to it before the first RosBackend). The
    workspace must be built and sourced (simulator_node installed).
    """

    def __init__(self, params=None, port=None, timeout=30.0):
        self.params, self.timeout = dict(params or {}), timeout
        self.port = port or _free_port()
        self.master_uri = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, ROS_MASTER_URI=self.master_uri, ROS_IP="127.0.0.1")
        self.env.pop("ROS_HOSTNAME", None)
        self.log = tempfile.NamedTemporaryFile(prefix="simulator_node.", suffix=".log", delete=False)
        self.master = self.node = None

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc):
        self.stop()

    def start(self):
        """Start the master, then the node; return once the node's services are up."""
        from roslib.packages import find_node

        self.master = subprocess.Popen(["rosmaster", "--core", "-p", str(self.port)], env=self.env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        master = rosgraph.Master("/local_simulator", master_uri=self.master_uri)
        self._wait(master.is_online, "the ROS master")
        found = find_node("deepracer_simulator", "simulator_node")
        if not found:
            raise RosBackendError("simulator_node not found: build and source simulation_ws")
        args = [f"_{name}:={value}" for name, value in self.params.items()]
        self.node = subprocess.Popen([found[0], *args], env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self._wait(lambda: self._service_up(master), "simulator_node's services")

    def _service_up(self, master):
        try:
            return bool(master.lookupService("/deepracer_simulator/advance_frame"))
        except (rosgraph.MasterException, OSError):  # not registered (yet)
            return False

    def _wait(self, ready, what):
        deadline = time.monotonic() + self.timeout
        while not ready():
            if self.node is not None and self.node.poll() is not None:
                raise RosBackendError(f"simulator_node exited with {self.node.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise RosBackendError(f"{what} not up after {self.timeout} s:\n{self.output()}")
            time.sleep(0.05)

    def output(self) -> str:
        """What the node printed so far."""
        with open(self.log.name, encoding="utf-8", errors="replace") as log:
            return log.read()

    def stop(self):
        """Stop the node, then the master (SIGINT, then SIGKILL after 10 s); delete the log."""
        for process in (self.node, self.master):
            if process is not None and process.poll() is None:
                process.send_signal(2)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.log.close()
        if os.path.exists(self.log.name):
            os.unlink(self.log.name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
