"""Checkpoints: save/load/inspect round trips, shared tensors, errors."""

import json
import os
import struct

import numpy as np
import pytest

import fft_tensor as ft
from conftest import rel_error


def tensors(rng):
    t = np.linspace(0, 1, 64 * 48, dtype=np.float32).reshape(64, 48)
    return {
        "smooth": np.sin(7 * t) + np.cos(3 * t * t),
        "weights": rng.standard_normal((32, 40)).astype(np.float32),
        "half": rng.standard_normal(100).astype(np.float16),
        "bias": np.zeros(5, np.float32),
        "steps": np.arange(10, dtype=np.int64),
        "mask": np.array([True, False, True]),
        "scalar": np.array(3.5, dtype=np.float32),
        "double": rng.standard_normal(9),
    }


def test_dict_round_trip(tmp_path, backend, rng):
    src = tensors(rng)
    path = tmp_path / "model.fftt"
    report = ft.save(src, path, max_error=0.01)
    assert [r["name"] for r in report] == list(src)
    back = ft.load(path)
    assert list(back) == list(src)
    for name, a in src.items():
        b = back[name]
        assert b.dtype == a.dtype and b.shape == a.shape, name
        if a.dtype.kind == "f" and a.dtype != np.float64:
            assert rel_error(b, a) <= 0.0101, name
        else:
            assert np.array_equal(a, b), name
    rows = ft.inspect(path)
    assert [r["name"] for r in rows] == list(src)
    assert all(r["error"] <= 0.0101 for r in rows)
    assert rows[0]["ratio"] > 2  # smooth data compresses
    assert os.listdir(tmp_path) == ["model.fftt"]  # no staging files left


def test_empty_tensors(tmp_path):
    src = {"none": np.zeros((0, 4), np.float32), "ids": np.zeros(0, np.int64)}
    ft.save(src, tmp_path / "e.fftt")
    back = ft.load(tmp_path / "e.fftt")
    assert back["none"].shape == (0, 4) and back["ids"].dtype == np.int64


def test_codec_choice_and_exact(tmp_path, rng):
    src = {"w": rng.standard_normal((16, 16)).astype(np.float32)}
    ft.save(src, tmp_path / "raw.fftt", codec="raw")
    assert np.array_equal(ft.load(tmp_path / "raw.fftt")["w"], src["w"])
    rows = ft.save(src, tmp_path / "q.fftt", max_error=0.05, codec="int8")
    assert rows[0]["codec"].startswith("int8")
    with pytest.raises(ValueError, match="codec"):
        ft.save(src, tmp_path / "x.fftt", codec="zip")
    with pytest.raises(ValueError):
        ft.save(src, tmp_path / "x.fftt", max_error=-1)


def test_shared_tensors_stored_once(tmp_path, rng):
    w = rng.standard_normal((8, 8)).astype(np.float32)
    rows = ft.save({"embed": w, "head": w, "other": w.copy()}, tmp_path / "tied.fftt", codec="raw")
    assert [r["name"] for r in rows] == ["embed", "other"]
    back = ft.load(tmp_path / "tied.fftt")
    assert list(back) == ["embed", "other", "head"]
    assert back["head"] is back["embed"]
    assert np.array_equal(back["head"], w)


def test_nonfinite(tmp_path):
    x = np.ones(10, np.float32)
    x[4] = np.nan
    with pytest.raises(ValueError, match="element 4"):
        ft.save({"x": x}, tmp_path / "n.fftt")
    assert not (tmp_path / "n.fftt").exists()
    ft.save({"x": x}, tmp_path / "n.fftt", allow_nonfinite=True)
    assert np.array_equal(ft.load(tmp_path / "n.fftt")["x"], x, equal_nan=True)


def write_safetensors(path, arrays, metadata=None):
    """A minimal safetensors writer (header length, JSON header, data)."""
    names = {"float32": "F32", "int32": "I32", "uint16": "BF16"}
    header, blobs, offset = {}, [], 0
    for name, a in arrays.items():
        raw = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": names[a.dtype.name], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def test_safetensors_paths(tmp_path, rng):
    x = np.sin(np.linspace(0, 20, 4096, dtype=np.float32)).reshape(64, 64)
    bits = (x.view(np.uint32) >> 16).astype(np.uint16)  # bf16 by truncation
    st = tmp_path / "in.safetensors"
    write_safetensors(st, {"x": x, "ids": np.arange(6, dtype=np.int32), "b": bits})
    plain = ft.load(st)
    assert np.array_equal(plain["x"], x) and plain["ids"].dtype == np.int32
    assert plain["b"].dtype == np.float32  # bf16 widened exactly
    assert np.array_equal(plain["b"].view(np.uint32) >> 16, bits)
    assert [r["codec"] for r in ft.inspect(st)] == ["safetensors"] * 3
    rows = ft.save(st, tmp_path / "out.fftt", max_error=0.001)
    assert {r["name"] for r in rows} == {"x", "ids", "b"}
    back = ft.load(tmp_path / "out.fftt")
    assert rel_error(back["x"], x) <= 0.00101
    assert rel_error(back["b"], plain["b"]) <= 0.00101
    with pytest.raises(ValueError, match="input"):
        ft.compress_file(st, st)
    out = tmp_path / "back.safetensors"
    assert ft.decompress_file(tmp_path / "out.fftt", out) > 0
    again = ft.load(out)
    assert again["ids"].dtype == np.int32 and np.array_equal(again["ids"], np.arange(6))
    assert np.array_equal(again["x"], back["x"])


def test_file_errors(tmp_path, rng):
    with pytest.raises(FileNotFoundError):
        ft.load(tmp_path / "missing.fftt")
    with pytest.raises(OSError):
        ft.inspect(tmp_path / "missing.fftt")
    path = tmp_path / "m.fftt"
    ft.save({"w": rng.standard_normal(1000).astype(np.float32)}, path, codec="raw")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "bad.fftt").write_bytes(bytes(data))
    with pytest.raises(ft.CorruptFileError):
        ft.load(tmp_path / "bad.fftt")
    with pytest.raises(ft.CorruptFileError):
        ft.inspect(tmp_path / "bad.fftt")
    (tmp_path / "short.fftt").write_bytes(bytes(data[:40]))
    with pytest.raises(ft.CorruptFileError):
        ft.load(tmp_path / "short.fftt")
    (tmp_path / "junk").write_bytes(b"\x00" * 3)
    with pytest.raises(ft.CorruptFileError):
        ft.load(tmp_path / "junk")
    with pytest.raises(ValueError, match="directory"):
        ft.save({"w": np.ones(3, np.float32)}, tmp_path / "nodir" / "x.fftt")
    with pytest.raises(TypeError):
        ft.save([np.ones(3)], tmp_path / "x.fftt")
    assert issubclass(ft.CorruptFileError, ft.FftTensorError)
    assert issubclass(ft.DeviceError, ft.FftTensorError)


def test_numpy_file_paths(tmp_path, rng):
    x = np.sin(np.linspace(0, 30, 96 * 80, dtype=np.float32)).reshape(96, 80)
    ids = np.arange(7, dtype=np.int32)
    np.save(tmp_path / "x.npy", x)
    np.savez(tmp_path / "pair.npz", x=x, ids=ids)
    rows = ft.compress_file(tmp_path / "x.npy", tmp_path / "x.fftt", max_error=0.001)
    assert len(rows) == 1
    back = ft.load(tmp_path / "x.fftt")
    (only,) = back.values()
    assert rel_error(only, x) <= 0.00101
    ft.compress_file(tmp_path / "pair.npz", tmp_path / "pair.fftt", max_error=0.001)
    pair = ft.load(tmp_path / "pair.fftt")
    assert set(pair) == {"x", "ids"} and np.array_equal(pair["ids"], ids)
    assert rel_error(pair["x"], x) <= 0.00101
    # Back to numpy files.
    assert ft.decompress_file(tmp_path / "x.fftt", tmp_path / "back.npy") > 0
    assert np.array_equal(np.load(tmp_path / "back.npy"), only)
    ft.decompress_file(tmp_path / "pair.fftt", tmp_path / "back.npz")
    with np.load(tmp_path / "back.npz") as z:
        assert np.array_equal(z["ids"], ids) and np.array_equal(z["x"], pair["x"])
    with pytest.raises(ValueError, match="npz"):
        ft.decompress_file(tmp_path / "pair.fftt", tmp_path / "two.npy")


@pytest.mark.parametrize("mode", ["abs-max", "abs-rms", "rel-l2"])
def test_error_modes(tmp_path, rng, mode):
    x = {"w": (3.0 * rng.standard_normal((64, 64))).astype(np.float32)}
    bound = 0.05
    rows = ft.save(x, tmp_path / "m.fftt", max_error=bound, error_mode=mode)
    got = ft.load(tmp_path / "m.fftt")["w"].astype(np.float64)
    diff = got - x["w"]
    measured = {"abs-max": np.abs(diff).max(), "abs-rms": np.sqrt((diff ** 2).mean()),
                "rel-l2": np.linalg.norm(diff) / np.linalg.norm(x["w"])}[mode]
    assert measured <= bound * (1 + 1e-6), (mode, rows[0]["codec"], measured)
    assert rows[0]["error"] <= bound * (1 + 1e-6)


def test_error_mode_errors(tmp_path):
    with pytest.raises(ValueError, match="error_mode|abs-max"):
        ft.save({"w": np.ones(4, np.float32)}, tmp_path / "m.fftt", error_mode="linf")
