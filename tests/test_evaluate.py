"""fenn.evaluate: the same predictions, scores and cycles whatever the sharding (in process,
local processes, a Dask LocalCluster), equal to one unsharded fenn.run; the CLI."""

from __future__ import annotations

import numpy as np
import pytest

import fenn
from fenn.evaluation import EvaluationError, evaluate
from fenn.inputs import SpikeBatch, write_synthetic_shd

SAMPLES, STEPS, INPUTS, CLASSES = 12, 30, 24, 4


@pytest.fixture(scope="module")
def program():
    rng = np.random.default_rng(3)
    net = fenn.Network(dt=1.0)
    inp = net.input(INPUTS, name="input")
    hid = net.population(16, fenn.models.LIF(tau_mem=10.0, v_thresh=1.0), name="hidden")
    out = net.population(CLASSES, fenn.models.LI(tau_mem=10.0), name="output")
    net.connect(inp, hid, weights=rng.normal(0.1, 0.4, (INPUTS, 16)))
    net.connect(hid, out, weights=rng.normal(0, 0.2, (16, CLASSES)))
    net.record(hid.spikes)
    net.record(out.v)
    # stochastic rounding: every sample's result depends on its RNG seed, so a shard that
    # seeded its samples from 0 instead of from its first sample would give other results
    return fenn.compile(net, STEPS, rounding="stochastic")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(4)
    rasters = rng.random((SAMPLES, STEPS, INPUTS)) < 0.15
    return rasters, rng.integers(0, CLASSES, SAMPLES)


@pytest.fixture(scope="module")
def unsharded(program, data):
    rasters, labels = data
    results = fenn.run(program, rasters, progress=False)
    return results["output.v"].max(axis=1), np.asarray(results.stats.cycles_per_sample)


def assert_same(evaluation, unsharded, labels):
    scores, cycles = unsharded
    np.testing.assert_array_equal(evaluation.scores, scores)
    np.testing.assert_array_equal(evaluation.cycles_per_sample, cycles)
    np.testing.assert_array_equal(evaluation.predictions, scores.argmax(axis=1))
    np.testing.assert_array_equal(evaluation.labels, labels)
    assert evaluation.accuracy == np.mean(scores.argmax(axis=1) == labels)


@pytest.mark.parametrize("shard_size", [1, 5, SAMPLES])
def test_in_process_shards_equal_one_run(program, data, unsharded, shard_size):
    rasters, labels = data
    evaluation = evaluate(program, rasters, labels, shard_size=shard_size, progress=False)
    assert_same(evaluation, unsharded, labels)


@pytest.mark.parametrize("samples, parallel", [(1, 1), (3, 2), (1024, 2), (1000, 3), (70, 1)])
def test_default_shards_cover_the_samples_and_shrink_towards_the_end(samples, parallel):
    from fenn.evaluation import _shards
    shards = _shards(samples, parallel)
    assert shards[0][0] == 0 and shards[-1][1] == samples
    assert all(a[1] == b[0] for a, b in zip(shards, shards[1:]))
    sizes = [stop - start for start, stop in shards]
    assert sizes == sorted(sizes, reverse=True) and max(sizes) <= 64
    assert all(size >= 4 for size in sizes[:-1])
    if samples >= 1024:                     # the last shards are small beside the first ones
        assert sizes[0] == 64 and sizes[-1] <= 8
    assert _shards(10, 2, size=3) == [(0, 3), (3, 6), (6, 9), (9, 10)]


def test_a_dataset_split_and_a_spike_batch_are_read_with_their_labels(program, data, unsharded):
    rasters, labels = data
    from fenn.datasets import Split
    split = Split("test", labels, lambda indices: rasters[indices], INPUTS, STEPS)
    assert_same(evaluate(program, split, shard_size=5, progress=False), unsharded, labels)
    batch = SpikeBatch(rasters, labels=labels)
    assert_same(evaluate(program, batch, progress=False), unsharded, labels)


def test_confusion_matrix_counts_every_sample(program, data):
    rasters, labels = data
    evaluation = evaluate(program, rasters, labels, progress=False)
    confusion = evaluation.confusion
    assert confusion.sum() == SAMPLES
    assert np.trace(confusion) == np.sum(evaluation.predictions == labels)
    for true, predicted in zip(labels, evaluation.predictions):
        assert confusion[true, predicted] >= 1
    assert "accuracy" in evaluation.summary()


def test_readouts(program, data):
    rasters, labels = data
    results = fenn.run(program, rasters, progress=False)
    by_mean = evaluate(program, rasters, labels, readout=("output.v", "mean"), progress=False)
    np.testing.assert_allclose(by_mean.scores, results["output.v"].mean(axis=1))
    spikes = evaluate(program, rasters, labels, readout="hidden.spikes", progress=False)
    np.testing.assert_array_equal(spikes.scores, results["hidden.spikes"].sum(axis=1))
    custom = evaluate(program, rasters, labels, readout=_last_step, progress=False)
    np.testing.assert_array_equal(custom.scores, results["output.v"][:, -1])


def _last_step(results):
    return results["output.v"][:, -1]


@pytest.mark.parametrize("call, message", [
    (lambda p, r, l: evaluate(p, r), "needs labels"),
    (lambda p, r, l: evaluate(p, r, l[:3]), "12 input samples but 3 labels"),
    (lambda p, r, l: evaluate(p, r, l, readout="output.u"), "'output.u' is not recorded"),
    (lambda p, r, l: evaluate(p, r, l, readout=("output.v", "median")), "choose one of"),
    (lambda p, r, l: evaluate(p, r, l, workers=0), "workers must be at least 1"),
])
def test_bad_arguments_are_refused_with_the_reason(program, data, call, message):
    rasters, labels = data
    with pytest.raises(EvaluationError, match=message):
        call(program, rasters, labels)


def shd_program_and_file(tmp_path):
    rng = np.random.default_rng(5)
    path = write_synthetic_shd(tmp_path / "shd.h5", 6, rng=rng)
    net = fenn.Network(dt=1.0)
    inp = net.input(700, name="input")
    out = net.population(20, fenn.models.LI(tau_mem=20.0), name="output")
    net.connect(inp, out, weights=rng.normal(0, 0.3, (700, 20)))
    net.record(out.v)
    program = fenn.compile(net, 50)
    return program, path, fenn.run(program, str(path), progress=False)


def test_an_shd_file_is_binned_at_the_programs_dt(tmp_path):
    program, path, direct = shd_program_and_file(tmp_path)
    evaluation = evaluate(program, path, progress=False)
    np.testing.assert_array_equal(evaluation.scores, direct["output.v"].max(axis=1))
    assert evaluation.samples == 6


@pytest.mark.slow
def test_workers_read_their_shards_of_an_shd_file_themselves(tmp_path):
    from fenn.evaluation import _FileShard, _Source
    program, path, direct = shd_program_and_file(tmp_path)
    source = _Source.of(program, path, None)
    shard = source.shard(2, 5, local=True)                  # what a local worker receives
    assert isinstance(shard, _FileShard) and (shard.start, shard.stop) == (2, 5)
    np.testing.assert_array_equal(shard.read()["input"], source.rasters(2, 5)["input"])
    evaluation = evaluate(program, path, workers=2, shard_size=2, progress=False)
    np.testing.assert_array_equal(evaluation.scores, direct["output.v"].max(axis=1))
    np.testing.assert_array_equal(evaluation.cycles_per_sample, direct.stats.cycles_per_sample)


@pytest.mark.slow
def test_local_processes_give_identical_results(program, data, unsharded):
    rasters, labels = data
    evaluation = evaluate(program, rasters, labels, workers=2, shard_size=3, progress=False)
    assert evaluation.workers == 2
    assert_same(evaluation, unsharded, labels)


@pytest.mark.slow
def test_a_dask_local_cluster_gives_identical_results(program, data, unsharded):
    distributed = pytest.importorskip("distributed")
    rasters, labels = data
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        evaluation = evaluate(program, rasters, labels, scheduler=cluster.scheduler_address,
                              shard_size=4, progress=False)
    assert evaluation.workers == 2
    assert_same(evaluation, unsharded, labels)


def test_the_command_line_prints_accuracy_and_saves_the_results(program, data, unsharded,
                                                                tmp_path, capsys):
    from fenn.cli import main
    rasters, labels = data
    program.save(tmp_path / "net.npz")
    np.savez(tmp_path / "data.npz", inputs=rasters, labels=labels)
    status = main(["evaluate", str(tmp_path / "net.npz"), str(tmp_path / "data.npz"),
                   "--readout", "output.v:max", "--save", str(tmp_path / "out.npz")])
    assert status == 0
    printed = capsys.readouterr().out
    accuracy = 100 * np.mean(unsharded[0].argmax(axis=1) == labels)
    assert f"accuracy {accuracy:.2f} %" in printed
    assert "confusion matrix" in printed
    with np.load(tmp_path / "out.npz") as saved:
        np.testing.assert_array_equal(saved["scores"], unsharded[0])
        np.testing.assert_array_equal(saved["labels"], labels)
        np.testing.assert_array_equal(saved["predicted"], unsharded[0].argmax(axis=1))


def test_the_command_line_names_a_data_file_without_labels(program, tmp_path, capsys):
    from fenn.cli import main
    program.save(tmp_path / "net.npz")
    np.savez(tmp_path / "data.npz", inputs=np.zeros((2, STEPS, INPUTS), bool))
    assert main(["evaluate", str(tmp_path / "net.npz"), str(tmp_path / "data.npz")]) == 1
    assert "needs arrays `inputs` and `labels`" in capsys.readouterr().err


@pytest.mark.slow
def test_a_reused_process_pool_gives_identical_results(program, data, unsharded):
    import concurrent.futures
    import multiprocessing
    rasters, labels = data
    with concurrent.futures.ProcessPoolExecutor(
            2, mp_context=multiprocessing.get_context("spawn")) as pool:
        for shard_size in (4, 7):
            evaluation = evaluate(program, rasters, labels, workers=pool,
                                  shard_size=shard_size, progress=False)
            assert evaluation.workers == 2
            assert_same(evaluation, unsharded, labels)
        # another Program on the same workers (they keep the Programs they loaded)
        other = _other_program()
        results = fenn.run(other, rasters, progress=False)
        expected = (results["output.v"].max(axis=1), np.asarray(results.stats.cycles_per_sample))
        assert not np.array_equal(expected[0], unsharded[0])
        assert_same(evaluate(other, rasters, labels, workers=pool, shard_size=5, progress=False),
                    expected, labels)


def _other_program():
    rng = np.random.default_rng(5)
    net = fenn.Network(dt=1.0)
    inp = net.input(INPUTS, name="input")
    out = net.population(CLASSES, fenn.models.LI(tau_mem=5.0), name="output")
    net.connect(inp, out, weights=rng.normal(0, 0.5, (INPUTS, CLASSES)))
    net.record(out.v)
    return fenn.compile(net, STEPS, rounding="stochastic")
