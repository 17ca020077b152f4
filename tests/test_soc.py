import pytest

from fenn.soc import SocConfig, DEFAULT_SOC


def test_round_trip_and_id_are_stable():
    soc = SocConfig(dma_ports=2)
    assert SocConfig.from_dict(soc.to_dict()) == soc
    assert soc.soc_id == SocConfig(dma_ports=2).soc_id
    assert soc.soc_id != DEFAULT_SOC.soc_id
    assert hash(soc) == hash(SocConfig(dma_ports=2))


def test_derived_sizes():
    assert DEFAULT_SOC.vector_bytes == 64
    assert SocConfig(dma_ports=4).dma_bytes_per_cycle == 64


@pytest.mark.parametrize("kwargs, needle", [
    ({"vmem_bytes": 3000}, "vmem_bytes=3000 must be a power of two"),
    ({"lanes": 16}, "lanes must be 32"),
    ({"dma_ports": 0}, "dma_ports must be at least 1"),
])
def test_bad_configuration_names_the_problem(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        SocConfig(**kwargs)


def test_unknown_field_is_named():
    with pytest.raises(ValueError, match="unknown fields \\['vmem'\\]"):
        SocConfig.from_dict({"vmem": 1})
