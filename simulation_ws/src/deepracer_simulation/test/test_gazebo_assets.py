"""Gazebo worlds, models and meshes generated from the routes."""
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from deepracer_simulation import gazebo_assets, routes
from deepracer_simulation.paths import share_dir

SHARE = share_dir()
NAMES = routes.list_worlds()


def _model_file(uri: str) -> Path:
    assert uri.startswith("model://"), uri
    return SHARE / "models" / uri[len("model://"):]


def _read_obj(path: Path):
    """Vertices (V, 3), faces {material: (F, 3) 0-based}, mtllib name."""
    vertices, faces, material, mtllib = [], {}, None, None
    for line in path.read_text().splitlines():
        word, _, rest = line.partition(" ")
        if word == "v":
            vertices.append(rest)
        elif word == "f":
            faces.setdefault(material, []).append([int(p.split("/")[0]) - 1 for p in rest.split()])
        elif word == "usemtl":
            material = rest
        elif word == "mtllib":
            mtllib = rest
    array = np.array(" ".join(vertices).split(), dtype=float).reshape(-1, 3)
    return array, {k: np.array(v) for k, v in faces.items()}, mtllib


def test_every_route_has_a_world_and_a_model():
    assert len(NAMES) == 130
    assert sorted(p.stem for p in (SHARE / "worlds").glob("*.world")) == NAMES
    assert sorted(p.name for p in (SHARE / "models").iterdir() if p.is_dir()) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_xml_parses_and_references_resolve(name):
    world = ET.parse(SHARE / "worlds" / f"{name}.world").getroot()
    assert world.get("version") == "1.6"
    assert world.findtext("world/physics/max_step_size") == "0.001"
    uris = [e.text for e in world.iter("uri")]
    assert uris == [f"model://{name}"]
    model_dir = _model_file(uris[0])
    config = ET.parse(model_dir / "model.config").getroot()
    assert config.findtext("name") == name
    model = ET.parse(model_dir / config.findtext("sdf")).getroot()
    assert model.find("model").get("name") == name
    assert model.findtext("model/static") == "true"
    mesh_uris = {e.text for e in model.iter("uri")}
    assert len(mesh_uris) == 1 and len(list(model.iter("mesh"))) == 2  # visual + collision
    obj = _model_file(mesh_uris.pop())
    assert obj.is_file()
    assert (obj.parent / _read_obj(obj)[2]).is_file()


@pytest.mark.parametrize("name", NAMES)
def test_mesh_matches_the_route(name):
    route = routes.load_route(name)
    obj = SHARE / "models" / name / "meshes" / f"{name}.obj"
    vertices, faces, mtllib = _read_obj(obj)
    borders = np.concatenate([route[:, 2:4], route[:, 4:6]])
    np.testing.assert_allclose(vertices[:, :2].min(axis=0), borders.min(axis=0), atol=0.01)
    np.testing.assert_allclose(vertices[:, :2].max(axis=0), borders.max(axis=0), atol=0.01)
    mtl = (obj.parent / mtllib).read_text()
    assert set(faces) == {"road", "border_line", "centre_line"}
    for material, tris in faces.items():
        assert f"newmtl {material}\n" in mtl
        assert tris.min() >= 0 and tris.max() < len(vertices)
        a, b, c = (vertices[tris[:, k], :2] for k in range(3))
        ab, ac = b - a, c - a
        cross = ab[:, 0] * ac[:, 1] - ab[:, 1] * ac[:, 0]
        assert np.all(cross > 0), f"{material} has triangles not facing up"
    length = routes.route_stats(route).length
    assert len(faces["centre_line"]) // 4 == pytest.approx(length / 0.3, abs=1.5)


def test_regenerating_gives_identical_bytes(tmp_path):
    names = ["reinvent_base", "hard_track", "Straight_track", "Albert"]
    written = gazebo_assets.generate_all(None, tmp_path, names)
    assert len(written) == 5 * len(names)
    for path in written:
        relative = path.relative_to(tmp_path)
        assert path.read_bytes() == (SHARE / relative).read_bytes(), relative


def test_models_stay_small():
    total = sum(p.stat().st_size for p in (SHARE / "models").rglob("*") if p.is_file())
    assert total < 25e6


def test_straight_route_mesh_golden_values():
    x = np.array([0.0, 0.5, 1.0])
    route = np.column_stack([x, 0 * x, x, 0 * x + 0.5, x, 0 * x - 0.5])
    parts = gazebo_assets.mesh_parts(route)
    (left, right, z), = parts["road"]
    assert z == 0.001
    np.testing.assert_allclose(left, route[:, 2:4])
    inner_line, outer_line = parts["border_line"]
    np.testing.assert_allclose(inner_line[1][:, 1], 0.45)
    np.testing.assert_allclose(outer_line[1][:, 1], -0.45)
    dashes = parts["centre_line"]
    assert len(dashes) == 3  # dashes start at 0.0, 0.3 and 0.6 m; the last ends at 0.75 m
    np.testing.assert_allclose(dashes[2][0], [[0.6, 0.025], [0.675, 0.025], [0.75, 0.025]])
    np.testing.assert_allclose(dashes[2][1][:, 1], -0.025)
    text = gazebo_assets.mesh_obj("line", route)
    assert text.count("\nv ") == 6 + 12 + 18 and "v 1.0000 -0.5000 0.0010\n" in text
    assert text.count("\nf ") == 4 + 8 + 12


@pytest.mark.parametrize("bad", ["", "../up", "a b", "x<y"])
def test_unsafe_names_are_rejected(bad):
    with pytest.raises(gazebo_assets.AssetNameError):
        gazebo_assets.asset_texts(bad, np.zeros((3, 6)))
