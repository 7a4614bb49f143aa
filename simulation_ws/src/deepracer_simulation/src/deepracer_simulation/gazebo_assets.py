"""Gazebo world, model and mesh of a track, generated from its route.

For a WORLD_NAME `W` this writes, under a package data folder:
`worlds/W.world` (SDF 1.6 world: sun, ground plane, `model://W`),
`models/W/model.config`, `models/W/model.sdf` (a static model) and
`models/W/meshes/W.obj` + `W.mtl` (road surface, white border lines, dashed
yellow centre line). The output depends only on the route, byte for byte.
"""
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

from .routes import is_closed, list_worlds, load_route

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
TANGENT_STEP = 0.05  # m, half the baseline of the centre-line direction estimate


class AssetNameError(ValueError):
    """A WORLD_NAME cannot be used as a Gazebo model name or file name."""


@dataclass(frozen=True)
class MeshStyle:
    """How a track mesh is drawn."""

    road_z: float = 0.001  # m, height of the road surface above the ground plane
    line_z: float = 0.002  # m, height of the painted lines
    border_line_width: float = 0.05  # m, white line just inside each border
    centre_line_width: float = 0.05  # m, yellow dashed centre line
    dash_length: float = 0.15  # m, painted part of a centre-line dash
    dash_gap: float = 0.15  # m, gap between dashes
    road_rgb: Tuple[float, float, float] = (0.2, 0.2, 0.2)  # dark grey
    border_rgb: Tuple[float, float, float] = (1.0, 1.0, 1.0)  # white
    centre_rgb: Tuple[float, float, float] = (1.0, 0.8, 0.0)  # yellow


STYLE = MeshStyle()


def check_name(world_name: str) -> str:
    """Return `world_name` if it is safe as a model name and file stem."""
    if not NAME_PATTERN.match(world_name):
        raise AssetNameError(f"WORLD_NAME {world_name!r} must match {NAME_PATTERN.pattern}")
    return world_name


# ---------------------------------------------------------------- geometry
def _strip_triangles(left: np.ndarray, right: np.ndarray, base: int) -> np.ndarray:
    """Triangles (1-based OBJ indices) of a strip whose vertices are stored as
    left[0..n), right[0..n) from index `base`, facing +z; slivers dropped."""
    n = len(left)
    i = np.arange(n - 1)
    li, ri = base + i, base + n + i
    tris = np.stack([np.column_stack([li, ri, ri + 1]),
                     np.column_stack([li, ri + 1, li + 1])], axis=1).reshape(-1, 3)
    points = np.concatenate([left, right])
    a, b, c = (points[tris[:, k] - base] for k in range(3))
    cross = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    keep = np.abs(cross) > 1e-8
    tris, cross = tris[keep], cross[keep]
    flip = cross < 0
    tris[flip] = tris[flip][:, [0, 2, 1]]
    return tris + 1


def _border_strips(route: np.ndarray, width: float):
    """(border, border moved `width` m towards the other border) for both borders."""
    inner, outer = route[:, 2:4], route[:, 4:6]
    across = outer - inner
    unit = across / np.linalg.norm(across, axis=1, keepdims=True)
    return [(inner, inner + unit * width), (outer, outer - unit * width)]


def _dedupe(points: np.ndarray) -> np.ndarray:
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    return points[np.concatenate([[True], steps > 1e-9])]


def _centre_dashes(route: np.ndarray, style: MeshStyle):
    """(left edge, right edge) point triples (start, middle, end) of each dash."""
    centre = _dedupe(route[:, 0:2])
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(centre, axis=0), axis=1))])
    period = style.dash_length + style.dash_gap
    if s[-1] < style.dash_length:
        return []
    starts = np.arange(int((s[-1] - style.dash_length) // period) + 1) * period
    at = (starts[:, None] + np.array([0.0, 0.5, 1.0]) * style.dash_length).ravel()
    ahead, behind = at + TANGENT_STEP, at - TANGENT_STEP
    if is_closed(route):
        ahead, behind = ahead % s[-1], behind % s[-1]
    else:
        ahead, behind = np.minimum(ahead, s[-1]), np.maximum(behind, 0.0)
    tangent = _interp(centre, s, ahead) - _interp(centre, s, behind)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    offset = np.column_stack([-tangent[:, 1], tangent[:, 0]]) * (style.centre_line_width / 2)
    pos = _interp(centre, s, at)
    left, right = (pos + offset).reshape(-1, 3, 2), (pos - offset).reshape(-1, 3, 2)
    return list(zip(left, right))


def _interp(points: np.ndarray, s: np.ndarray, at: np.ndarray) -> np.ndarray:
    return np.column_stack([np.interp(at, s, points[:, 0]), np.interp(at, s, points[:, 1])])


def mesh_parts(route: np.ndarray, style: MeshStyle = STYLE) -> Dict[str, List[tuple]]:
    """Strips per material: {material: [(left points, right points, z), ...]}."""
    border = [(a, b, style.line_z) for a, b in _border_strips(route, style.border_line_width)]
    centre = [(a, b, style.line_z) for a, b in _centre_dashes(route, style)]
    return {"road": [(route[:, 2:4], route[:, 4:6], style.road_z)],
            "border_line": border, "centre_line": centre}


# ---------------------------------------------------------------- text
def _fmt_rows(fmt: str, rows: np.ndarray) -> str:
    if len(rows) == 0:
        return ""
    flat = np.asarray(rows).ravel().tolist()
    line = fmt + "\n"
    return (line * len(rows)) % tuple(flat)


def mesh_obj(world_name: str, route: np.ndarray, style: MeshStyle = STYLE) -> str:
    """Wavefront OBJ text of the track mesh (uses `<world_name>.mtl`)."""
    out = [f"# {world_name} track mesh, generated from routes/{world_name}.npy\n"
           f"mtllib {world_name}.mtl\nvn 0 0 1\n"]
    count = 0
    for material, strips in mesh_parts(route, style).items():
        if not strips:
            continue
        out.append(f"o {material}\n")
        faces = []
        for left, right, z in strips:
            left, right = np.round(left, 4), np.round(right, 4)  # as printed
            xyz = np.column_stack([np.concatenate([left, right]), np.full(2 * len(left), z)])
            out.append(_fmt_rows("v %.4f %.4f %.4f", xyz + 0.0))  # + 0.0: no "-0.0000"
            faces.append(_strip_triangles(left, right, count))
            count += len(xyz)
        out.append(f"usemtl {material}\n")
        out.append(_fmt_rows("f %d//1 %d//1 %d//1", np.concatenate(faces)))
    return "".join(out)


def mesh_mtl(style: MeshStyle = STYLE) -> str:
    """Wavefront MTL text with the road, border_line and centre_line materials."""
    out = []
    for name, rgb in (("road", style.road_rgb), ("border_line", style.border_rgb),
                      ("centre_line", style.centre_rgb)):
        colour = "%.3f %.3f %.3f" % rgb
        out.append(f"newmtl {name}\nKa {colour}\nKd {colour}\nKs 0.000 0.000 0.000\n"
                   f"d 1.0\nillum 1\n")
    return "\n".join(out)


WORLD_TEMPLATE = """<?xml version="1.0"?>
<!-- Generated from routes/{name}.npy by scripts/generate_gazebo_assets; do not edit. -->
<sdf version="1.6">
  <world name="default">
    <gravity>0 0 -9.8</gravity>
    <physics name="default_physics" default="true" type="ode">
      <max_step_size>0.001</max_step_size>
      <real_time_factor>1</real_time_factor>
      <real_time_update_rate>1000</real_time_update_rate>
      <ode>
        <solver><type>quick</type><iters>50</iters><sor>1.3</sor></solver>
        <constraints>
          <cfm>0</cfm><erp>0.2</erp>
          <contact_max_correcting_vel>100</contact_max_correcting_vel>
          <contact_surface_layer>0.001</contact_surface_layer>
        </constraints>
      </ode>
    </physics>
    <scene>
      <ambient>0.6 0.6 0.6 1</ambient>
      <background>0.7 0.8 0.9 1</background>
      <shadows>false</shadows>
    </scene>
    <light name="sun" type="directional">
      <cast_shadows>false</cast_shadows>
      <pose>0 0 10 0 0 0</pose>
      <diffuse>0.8 0.8 0.8 1</diffuse>
      <specular>0.1 0.1 0.1 1</specular>
      <direction>-0.5 0.1 -0.9</direction>
      <attenuation>
        <range>1000</range><constant>0.9</constant><linear>0.01</linear><quadratic>0.001</quadratic>
      </attenuation>
    </light>
    <model name="ground_plane">
      <static>true</static>
      <link name="link">
        <collision name="collision">
          <geometry><plane><normal>0 0 1</normal><size>{ground} {ground}</size></plane></geometry>
          <surface><friction><ode><mu>1</mu><mu2>1</mu2></ode></friction></surface>
        </collision>
        <visual name="visual">
          <cast_shadows>false</cast_shadows>
          <geometry><plane><normal>0 0 1</normal><size>{ground} {ground}</size></plane></geometry>
          <material>
            <ambient>0.35 0.45 0.3 1</ambient><diffuse>0.35 0.45 0.3 1</diffuse>
            <specular>0 0 0 1</specular>
          </material>
        </visual>
      </link>
    </model>
    <include>
      <uri>model://{name}</uri>
      <name>{name}</name>
      <pose>0 0 0 0 0 0</pose>
    </include>
  </world>
</sdf>
"""

MODEL_TEMPLATE = """<?xml version="1.0"?>
<sdf version="1.6">
  <model name="{name}">
    <static>true</static>
    <link name="track">
      <collision name="collision">
        <geometry><mesh><uri>model://{name}/meshes/{name}.obj</uri></mesh></geometry>
      </collision>
      <visual name="visual">
        <cast_shadows>false</cast_shadows>
        <geometry><mesh><uri>model://{name}/meshes/{name}.obj</uri></mesh></geometry>
      </visual>
    </link>
  </model>
</sdf>
"""

CONFIG_TEMPLATE = """<?xml version="1.0"?>
<model>
  <name>{name}</name>
  <version>1.0</version>
  <sdf version="1.6">model.sdf</sdf>
  <author><name>DeepRacer workspace (generated)</name><email></email></author>
  <description>
    Track {name}: road, border lines and centre line generated from routes/{name}.npy.
  </description>
</model>
"""


def ground_size(route: np.ndarray, margin: float = 20.0) -> int:
    """Side (m) of the square ground plane centred on the origin: covers the
    track plus `margin`, rounded up to 10 m."""
    extent = float(np.abs(route).max()) * 2 + margin
    return int(np.ceil(extent / 10.0) * 10)


def asset_texts(world_name: str, route: np.ndarray, style: MeshStyle = STYLE) -> Dict[str, str]:
    """{relative path: file text} of every asset of one track."""
    name = check_name(world_name)
    return {
        f"worlds/{name}.world": WORLD_TEMPLATE.format(name=name, ground=ground_size(route)),
        f"models/{name}/model.config": CONFIG_TEMPLATE.format(name=name),
        f"models/{name}/model.sdf": MODEL_TEMPLATE.format(name=name),
        f"models/{name}/meshes/{name}.obj": mesh_obj(name, route, style),
        f"models/{name}/meshes/{name}.mtl": mesh_mtl(style),
    }


def write_assets(world_name: str, route: np.ndarray, out_dir: Path,
                 style: MeshStyle = STYLE) -> List[Path]:
    """Write the assets of one track under `out_dir`; return the paths written."""
    paths = []
    for relative, text in asset_texts(world_name, route, style).items():
        path = Path(out_dir) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


def generate_all(routes_directory: Optional[Path], out_dir: Path,
                 names: Optional[List[str]] = None) -> List[Path]:
    """Write the assets of `names` (default: every route) under `out_dir`."""
    paths = []
    for name in names if names is not None else list_worlds(routes_directory):
        paths += write_assets(name, load_route(name, routes_directory), out_dir)
    return paths
