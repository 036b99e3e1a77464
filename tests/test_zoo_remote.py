"""Presets from elsewhere: archive URLs with their sha256, hf:// handles, the catalog, upload.

No test touches the network: URLs are file:// or an http.server on 127.0.0.1, and the Hub's
`snapshot_download` / `HfApi` are replaced by functions that copy local folders.
"""

import functools
import hashlib
import http.server
import shutil
import tarfile
import threading

import numpy as np
import pytest

from das_keras import zoo

huggingface_hub = pytest.importorskip("huggingface_hub")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A small preset folder and its model's predictions on a fixed batch."""
    from das_keras.models import build_classifier

    root = tmp_path_factory.mktemp("tiny")
    model = build_classifier((8, 16, 16, 1), 2, sampler="das", k=4, backbone="small_cnn")
    metadata = {
        "name": "tiny",
        "dataset": "synthetic",
        "input_shape": [8, 16, 16, 1],
        "sampler": "das",
        "test_metrics": {},
        "license": "Apache-2.0",
    }
    zoo.save(model, root / "tiny", metadata)
    x = np.random.default_rng(0).random((2, 8, 16, 16, 1)).astype("float32")
    return root / "tiny", x, model.predict(x, verbose=0)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DAS_KERAS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _archive(folder, path):
    with tarfile.open(path, "w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_url_preset_loads_with_its_sha256_and_is_cached(tiny, tmp_path, cache):
    folder, x, expected = tiny
    sha = _archive(folder, tmp_path / "tiny.tar.gz")
    url = f"{(tmp_path / 'tiny.tar.gz').as_uri()}#sha256={sha}"
    model = zoo.load(url, compile=False)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-6)
    assert zoo.preset_dir(url).is_relative_to(cache / "das_keras_presets")
    assert zoo.load_metadata(url)["name"] == "tiny"


def test_url_preset_with_a_wrong_or_missing_sha256_is_refused(tiny, tmp_path, cache):
    folder, _, _ = tiny
    sha = _archive(folder, tmp_path / "tiny.tar.gz")
    uri = (tmp_path / "tiny.tar.gz").as_uri()
    wrong = ("0" if sha[0] != "0" else "1") + sha[1:]
    with pytest.raises(zoo.PresetError, match="hash does not match"):
        zoo.load(f"{uri}#sha256={wrong}")
    with pytest.raises(zoo.PresetError, match="needs the archive's sha256"):
        zoo.load(uri)


def test_url_preset_over_http_from_localhost(tiny, tmp_path, cache):
    folder, x, expected = tiny
    served = tmp_path / "served"
    served.mkdir()
    sha = _archive(folder, served / "tiny.tar.gz")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/tiny.tar.gz#sha256={sha}"
        model = zoo.load(url, compile=False)
        missing = f"http://127.0.0.1:{server.server_port}/none.tar.gz#sha256={sha}"
        with pytest.raises(zoo.PresetError, match="could not be downloaded.*404"):
            zoo.load(missing)
    finally:
        server.shutdown()
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-6)


def _fake_hub(monkeypatch, repos):
    """snapshot_download serving local folders: repos maps repo_id -> folder."""
    calls = []

    def snapshot_download(repo_id, allow_patterns=None, **kwargs):
        calls.append((repo_id, allow_patterns))
        if repo_id not in repos:
            raise huggingface_hub.errors.RepositoryNotFoundError(f"{repo_id} not found")
        return str(repos[repo_id])

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    return calls


def test_hub_handle_loads_through_snapshot_download(tiny, tmp_path, monkeypatch):
    folder, x, expected = tiny
    repo = tmp_path / "repo"
    shutil.copytree(folder, repo / "presets" / "tiny")
    calls = _fake_hub(monkeypatch, {"me/tiny": repo / "presets" / "tiny", "me/all": repo})
    model = zoo.load("hf://me/tiny", compile=False)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-6)
    assert zoo.preset_dir("hf://me/all/presets/tiny") == repo / "presets" / "tiny"
    assert calls[0][0] == "me/tiny" and "model.weights.h5" in calls[0][1]
    assert calls[1] == (
        "me/all",
        [f"presets/tiny/{f}" for f in (*zoo.CHECKED_FILES, "manifest.json")],
    )
    with pytest.raises(zoo.PresetError, match="hf://me/other could not be downloaded"):
        zoo.load("hf://me/other")
    with pytest.raises(zoo.PresetError, match="not of the form 'hf://owner/repo"):
        zoo.load("hf://only-owner")


def test_hub_handle_without_huggingface_hub_says_what_to_install(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "huggingface_hub", None)
    with pytest.raises(zoo.PresetError, match=r"pip install 'das-keras\[hub\]'"):
        zoo.load("hf://me/tiny")


def test_catalog_preset_without_a_checkout_loads_from_its_handle(tmp_path, monkeypatch):
    """As after `pip install` of the wheel: no zoo/ folder, the POCUS presets by handle only."""
    catalog = zoo.catalog()
    if "full_pocus" not in catalog or not (zoo.resolve.SOURCE_ZOO_DIR / "full_pocus").is_dir():
        pytest.skip("needs the full_pocus preset of a das-keras checkout (zoo/full_pocus)")
    published = tmp_path / "full_pocus"
    shutil.copytree(zoo.resolve.SOURCE_ZOO_DIR / "full_pocus", published)
    monkeypatch.setattr(zoo.resolve, "SOURCE_ZOO_DIR", tmp_path / "no_checkout")
    monkeypatch.delenv("DAS_KERAS_ZOO", raising=False)
    assert "full_pocus" in zoo.list_presets()
    assert "Non-commercial" in zoo.load_metadata("full_pocus")["license"]
    assert zoo.source_of("full_pocus") == "hf://das-keras/full_pocus"
    with pytest.raises(zoo.PresetError, match="not shipped with the package.*DAS_KERAS_ZOO"):
        _fake_hub(monkeypatch, {})
        zoo.load("full_pocus")
    _fake_hub(monkeypatch, {"das-keras/full_pocus": published})
    assert zoo.load("full_pocus", compile=False).output_shape == (None, 3)
    config = published / zoo.CONFIG_FILE
    config.write_text(config.read_text().replace('"softmax"', '"linear"'))
    zoo.write_manifest(published)  # consistent with itself, but not with the catalog
    with pytest.raises(zoo.PresetError, match="differs from the one in das-keras's catalog"):
        zoo.load("full_pocus")


def test_zoo_upload_command_publishes_a_loadable_preset(tiny, tmp_path, monkeypatch, capsys):
    from das_keras.cli import main

    folder, x, expected = tiny
    uploads = []

    class FakeApi:
        def __init__(self, token=None):
            self.token = token

        def create_repo(self, repo_id, repo_type=None, private=None, exist_ok=False):
            assert exist_ok and repo_type == "model"

        def upload_folder(self, repo_id, folder_path, path_in_repo=None, **kwargs):
            target = tmp_path / "hub" / repo_id / (path_in_repo or "")
            shutil.copytree(folder_path, target, dirs_exist_ok=True)
            uploads.append((repo_id, path_in_repo, sorted(kwargs["allow_patterns"])))

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    assert main(["zoo", "upload", str(folder), "hf://me/tiny"]) == 0
    assert "uploaded" in capsys.readouterr().out
    assert uploads == [("me/tiny", None, sorted([*zoo.CHECKED_FILES, "manifest.json"]))]
    _fake_hub(monkeypatch, {"me/tiny": tmp_path / "hub" / "me" / "tiny"})
    model = zoo.load("hf://me/tiny", compile=False)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-6)
    tampered = shutil.copytree(folder, tmp_path / "tampered")
    (tampered / zoo.CONFIG_FILE).write_text((tampered / zoo.CONFIG_FILE).read_text() + " ")
    with pytest.raises(zoo.PresetError, match=r"config\.json does not match its checksum"):
        zoo.upload(tampered, "hf://me/tampered")
    assert len(uploads) == 1  # nothing published
