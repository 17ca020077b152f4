"""Results.difference names where two runs first part, earliest sample then earliest step."""

import numpy as np

from fenn.runtime import first_difference


def _raw():
    return {"a.spikes": np.zeros((3, 5, 4), bool), "b.v": np.zeros((3, 5, 2), np.int16),
            "c.count": np.zeros((3, 4), np.int32)}


def test_identical_runs_have_no_difference():
    assert first_difference(_raw(), _raw()) is None


def test_the_earliest_sample_then_step_is_named_whatever_the_recording():
    got = _raw()
    got["b.v"][2, 0, 1] = 7          # later sample
    got["b.v"][1, 3, 0] = 5          # earliest sample, later step
    got["a.spikes"][1, 2, 3] = True  # earliest sample and step
    got["a.spikes"][1, 4, 0] = True
    text = first_difference(got, _raw(), names=("rtl", "sim"))
    assert text == ("recording 'a.spikes', sample 1, step 2, neuron 3: rtl gives True, sim False "
                    "(2 entries of 'a.spikes' differ)")


def test_reductions_come_after_traces_of_the_same_sample_and_first_sample_offsets():
    got = _raw()
    got["c.count"][0, 1] = 3
    assert "'c.count', sample 4, neuron 1 (a reduction over the run): the first run gives 3" \
        in first_difference(got, _raw(), first_sample=4)
    got["b.v"][0, 4, 1] = -2
    assert first_difference(got, _raw()).startswith("recording 'b.v', sample 0, step 4, neuron 1")


def test_missing_recordings_and_shapes_are_named():
    got = _raw()
    del got["b.v"]
    assert "recordings:" in first_difference(got, _raw()) and "b.v" in first_difference(got, _raw())
    got = _raw()
    got["a.spikes"] = got["a.spikes"][:2]
    assert first_difference(got, _raw()) == "recording 'a.spikes': shape (2, 5, 4) in the first run, (3, 5, 4) in the second"
