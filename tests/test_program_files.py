"""Program files say what they are and refuse to run once modified; check=True says where
a device first left the reference model."""

import json
import re

import numpy as np
import pytest

import fenn
from fenn.errors import FennError, ProgramFileError, ReferenceMismatch
from fenn.program import FILE_FORMAT, FILE_VERSION, Program

T = 12


@pytest.fixture(scope="module")
def program():
    net = fenn.Network(dt=1.0)
    inp = net.input(8, name="inp")
    hid = net.population(40, fenn.models.LIF(tau_mem=20.0, v_thresh=1.0), name="hid")
    out = net.population(5, fenn.models.LI(tau_mem=10.0), name="out")
    net.connect(inp, hid, weights=np.linspace(0.2, 2.5, 8 * 40).reshape(8, 40))
    net.connect(hid, out, weights=np.full((40, 5), 0.1))
    net.record(hid.spikes)
    net.record(out.v)
    return fenn.compile(net, T)


def spikes_at(*steps):
    raster = np.zeros((T, 8), dtype=bool)
    raster[list(steps), :] = True
    return raster


def arrays_of(path) -> dict:
    with np.load(path) as data:
        return {name: data[name].copy() for name in data.files}


def test_the_file_names_its_format_version_and_checksums(program, tmp_path):
    program.save(tmp_path / "p.npz")
    header = json.loads(bytes(arrays_of(tmp_path / "p.npz")["header"]).decode())
    assert header["format"] == FILE_FORMAT and header["version"] == FILE_VERSION
    assert {"text", "image.vmem", "header"} <= set(header["checksums"])
    loaded = Program.load(tmp_path / "p.npz")
    assert np.array_equal(loaded.text, program.text)


@pytest.mark.parametrize("change, named", [
    (lambda a: a["image.vmem"].__setitem__(200, a["image.vmem"][200] ^ 1), "image.vmem"),
    (lambda a: a["text"].__setitem__(3, a["text"][3] ^ 0x100), "text"),
    (lambda a: a.__setitem__("image.vmem", a["image.vmem"][:-64]), "image.vmem"),
    (lambda a: a.__setitem__("extra", np.zeros(4)), "extra"),
])
def test_a_modified_image_is_refused_on_load_naming_it(program, tmp_path, change, named):
    program.save(tmp_path / "p.npz")
    arrays = arrays_of(tmp_path / "p.npz")
    change(arrays)
    np.savez_compressed(tmp_path / "modified.npz", **arrays)
    with pytest.raises(ProgramFileError, match=rf"modified after it was saved.*{named}"):
        Program.load(tmp_path / "modified.npz")


def test_a_modified_header_is_refused_too(program, tmp_path):
    program.save(tmp_path / "p.npz")
    arrays = arrays_of(tmp_path / "p.npz")
    header = json.loads(bytes(arrays["header"]).decode())
    header["symbols"]["step"] = 4
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez_compressed(tmp_path / "modified.npz", **arrays)
    with pytest.raises(ProgramFileError, match="modified after it was saved.*header"):
        Program.load(tmp_path / "modified.npz")


@pytest.mark.parametrize("version, message", [
    (None, "no file format version"), (FILE_VERSION + 1, f"version {FILE_VERSION + 1}")])
def test_another_version_is_refused_naming_both(program, tmp_path, version, message):
    program.save(tmp_path / "p.npz")
    arrays = arrays_of(tmp_path / "p.npz")
    header = json.loads(bytes(arrays["header"]).decode())
    del header["version"]
    if version is not None:
        header["version"] = version
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez_compressed(tmp_path / "other.npz", **arrays)
    with pytest.raises(ProgramFileError, match=message):
        Program.load(tmp_path / "other.npz")


def test_check_names_the_recording_sample_and_step_that_first_differ(program):
    inputs = np.stack([spikes_at(), spikes_at(7, 9)])       # sample 1 spikes from step 7
    device = fenn.run(program, inputs, progress=False)
    assert not device["hid.spikes"][0].any()
    first_step = int(np.argmax(device["hid.spikes"][1].any(axis=1)))
    neuron = int(np.argmax(device["hid.spikes"][1, first_step]))
    changed = Program(**{f: getattr(program, f) for f in
                         ("text", "soc", "images", "symbols", "io", "dma_schedule", "meta")})
    changed.lowered = _without_input_weights(program.lowered)
    with pytest.raises(ReferenceMismatch) as info:
        fenn.run(changed, inputs, check=True, progress=False)
    message = str(info.value)
    assert isinstance(info.value, FennError) and isinstance(info.value, AssertionError)
    assert re.search(rf"first differ in recording 'hid.spikes', sample 1, step {first_step}, "
                     rf"neuron {neuron}: sim gives True, the reference False", message), message


def _without_input_weights(lowered):
    import copy
    lowered = copy.deepcopy(lowered)
    lowered.conns[0].weights[:] = 0
    return lowered
