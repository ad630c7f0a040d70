"""The data cache: folder resolution, checksum checks, offline errors, and a real (local) download."""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
from pathlib import Path

import pytest

from rnnkit.data import HashMismatchError, MissingDataFileError, data_home, fetch, verify_file
from rnnkit.data.download import KNOWN_FILES

PAYLOAD = b"some bytes that stand for a dataset\n" * 100


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_cache_folder_argument_beats_env_beats_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNKIT_DATA", str(tmp_path / "env"))
    assert data_home(tmp_path / "arg") == tmp_path / "arg"
    assert data_home() == tmp_path / "env"
    monkeypatch.delenv("RNNKIT_DATA")
    default = data_home()
    assert default.name == "rnnkit" and "cache" in str(default).lower()


def test_a_present_file_is_used_after_its_checksum_matches(tmp_path):
    (tmp_path / "d.bin").write_bytes(PAYLOAD)
    for spelling in (_sha256(PAYLOAD), "sha256:" + _sha256(PAYLOAD), "md5:" + hashlib.md5(PAYLOAD).hexdigest()):
        assert fetch("d.bin", data_dir=tmp_path, file_hash=spelling) == tmp_path / "d.bin"
    # Any one of several accepted checksums will do.
    assert fetch("d.bin", data_dir=tmp_path, file_hash=["sha256:" + "0" * 64, _sha256(PAYLOAD)])


def test_a_file_with_the_wrong_checksum_is_refused_in_one_line(tmp_path):
    (tmp_path / "imdb.npz").write_bytes(PAYLOAD)  # not Keras's imdb.npz
    with pytest.raises(HashMismatchError) as info:
        fetch("imdb.npz", data_dir=tmp_path)
    message = str(info.value)
    assert "\n" not in message
    assert _sha256(PAYLOAD) in message and KNOWN_FILES["imdb.npz"].hashes[0].split(":")[1] in message
    assert "delete it" in message and "file_hash=" in message
    assert isinstance(info.value, ValueError)


def test_a_missing_file_offline_names_the_file_its_url_and_where_to_put_it(tmp_path):
    with pytest.raises(MissingDataFileError) as info:
        fetch("aclImdb_v1.tar.gz", data_dir=tmp_path)  # RNNKIT_OFFLINE=1 is set by conftest
    message = str(info.value)
    assert "\n" not in message and isinstance(info.value, FileNotFoundError)
    assert "aclImdb_v1.tar.gz" in message
    assert "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz" in message
    assert str(tmp_path / "aclImdb_v1.tar.gz") in message and "RNNKIT_DATA" in message


def test_download_false_wins_over_a_network_being_allowed(tmp_path, monkeypatch):
    monkeypatch.delenv("RNNKIT_OFFLINE")
    with pytest.raises(MissingDataFileError, match="reuters21578.tar.gz"):
        fetch("reuters21578.tar.gz", data_dir=tmp_path, download=False)


def test_an_unknown_file_without_url_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv("RNNKIT_OFFLINE")
    with pytest.raises(MissingDataFileError, match="knows no URL"):
        fetch("mystery.bin", data_dir=tmp_path)


def test_a_path_with_a_folder_is_used_as_given(tmp_path):
    target = tmp_path / "elsewhere" / "file.txt"
    target.parent.mkdir()
    target.write_bytes(PAYLOAD)
    assert fetch(target, file_hash=_sha256(PAYLOAD)) == target
    with pytest.raises(ValueError, match="sha256:<hex>"):
        verify_file(target, "not-a-hash")


@pytest.fixture()
def local_server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/www: exercises the download path, no internet."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "data.bin").write_bytes(PAYLOAD)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_checks_the_file_then_moves_it_into_place(local_server, tmp_path, capsys):
    cache = tmp_path / "cache"
    path = fetch("data.bin", url=f"{local_server}/data.bin", file_hash=_sha256(PAYLOAD), data_dir=cache,
                 download=True)
    assert path == cache / "data.bin" and path.read_bytes() == PAYLOAD
    assert os.listdir(cache) == ["data.bin"]  # no temporary file left behind
    assert "data.bin" in capsys.readouterr().err  # a progress report was shown


def test_a_download_with_the_wrong_checksum_leaves_nothing_behind(local_server, tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(HashMismatchError):
        fetch("data.bin", url=f"{local_server}/data.bin", file_hash="sha256:" + "1" * 64, data_dir=cache,
              download=True)
    assert os.listdir(cache) == []


def test_a_failed_download_is_a_one_line_missing_file_error(local_server, tmp_path):
    with pytest.raises(MissingDataFileError) as info:
        fetch("nothere.bin", url=f"{local_server}/nothere.bin", data_dir=tmp_path / "c", download=True)
    message = str(info.value)
    assert "\n" not in message and "downloading failed" in message and "404" in message
    assert f"{local_server}/nothere.bin" in message
    assert os.listdir(tmp_path / "c") == []


def test_a_missing_imdb_npz_points_to_the_aclimdb_archive_beside_it(tmp_path):
    from rnnkit.datasets import imdb
    with pytest.raises(MissingDataFileError) as info:
        imdb.load_data(num_words=500, data_dir=tmp_path, download=False)
    assert "load_sequences" not in str(info.value)          # no archive: nothing to suggest
    (tmp_path / "aclImdb_v1.tar.gz").write_bytes(b"")
    with pytest.raises(MissingDataFileError) as info:
        imdb.load_data(num_words=500, data_dir=tmp_path, download=False)
    message = str(info.value)
    assert "imdb.npz is not in" in message and "\n" not in message
    assert "rnnkit.datasets.aclimdb.load_sequences(num_words=…, word_index=rnnkit.datasets.imdb." \
           "get_word_index())" in message
