"""network_run_differences finds what differs between two devices' runs of one program
(two simulator devices here, so it is fast; the RTL tests rely on it)."""

import numpy as np

import fenn
from fenn.device import open_device
from fenn.hw.parity import NETWORK_SOC, network_run_differences, recurrent_network


def _two_runs():
    rng = np.random.default_rng(3)
    net = recurrent_network(rng)
    program = fenn.compile(net, 4, soc=NETWORK_SOC)
    inputs = {"inp": rng.random((2, 4, 32)) < 0.3}
    devices = {name: open_device("sim", soc=NETWORK_SOC) for name in ("a", "b")}
    results = {name: fenn.run(program, inputs, device=dev, progress=False) for name, dev in devices.items()}
    return results, devices


def test_identical_runs_have_no_differences():
    results, devices = _two_runs()
    assert network_run_differences(results, devices, NETWORK_SOC) == []


def test_a_changed_recording_cycle_count_and_memory_are_each_reported():
    results, devices = _two_runs()
    results["b"].raw["hid.spikes"] = ~results["b"].raw["hid.spikes"]
    results["b"].stats.cycles_per_sample[0] += 1
    devices["b"].write("vmem", 64, np.array([0xAB], np.uint8) ^ devices["b"].read("vmem", 64, 1))
    diff = network_run_differences(results, devices, NETWORK_SOC)
    assert any("hid.spikes" in d for d in diff)
    assert any("cycles per sample" in d for d in diff)
    assert any(d.startswith("vmem differs first at byte 64") for d in diff)
