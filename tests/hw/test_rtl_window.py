"""The rtl backend honours a DDR window the host moved, as the sim backend does: a
DDR-streamed network run with its window in the middle of the modelled DDR gives the
same recordings and cycles on both, its DDR bytes land inside the window on the RTL, and
none outside it."""

import numpy as np
import pytest

pytest.importorskip("cocotb_tools")
import fenn  # noqa: E402
from fenn.hw.batch import icarus_available, verilator_available  # noqa: E402
from fenn.hw.parity import NETWORK_SOC, ddr_streamed_network  # noqa: E402
from fenn.sim import SimDevice  # noqa: E402

pytestmark = [pytest.mark.rtl, pytest.mark.slow,
              pytest.mark.skipif(not (icarus_available() or verilator_available()),
                                 reason="no RTL simulator (make tools)")]

T = 3
WINDOW = (NETWORK_SOC.ddr_bytes // 4, NETWORK_SOC.ddr_bytes // 2)


def test_a_moved_window_on_the_rtl_backend_equals_sim():
    rng = np.random.default_rng(2)
    net, options = ddr_streamed_network(rng)
    program = fenn.compile(net, T, soc=NETWORK_SOC, **options)
    assert "ddr" in program.images
    spikes = rng.random((1, T, 40)) < 0.3
    sim = SimDevice(NETWORK_SOC)
    sim.set_ddr_window(*WINDOW)
    want = fenn.run(program, spikes, device=sim, progress=False)
    with fenn.open_device("rtl", soc=NETWORK_SOC) as rtl:
        rtl.set_ddr_window(*WINDOW)
        got = fenn.run(program, spikes, device=rtl, progress=False)
        assert got.difference(want) is None
        assert got.stats.cycles_per_sample == want.stats.cycles_per_sample
        assert np.array_equal(rtl.read("ddr", 0, WINDOW[1]), sim.read("ddr", 0, WINDOW[1]))
        session = rtl._live()
        whole = session.read("ddr", 0, NETWORK_SOC.ddr_bytes)
        image = np.asarray(program.images["ddr"][1]).view(np.uint8).reshape(-1)
        at = WINDOW[0] + program.images["ddr"][0]
        assert np.array_equal(whole[at:at + image.size], image)
        assert not whole[:WINDOW[0]].any() and not whole[sum(WINDOW):].any()
