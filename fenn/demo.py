"""``make demo``: the whole workflow, from data to a deployed classifier, on a CPU.

1. Randman (Zenke & Vogels 2021; generated from a seed, nothing to download);
2. a recurrent ALIF network with a leaky-integrator readout, trained in torch by BPTT
   with surrogate gradients (:mod:`fenn.train`);
3. quantisation-aware fine-tuning in the fixed-point formats the compiler will use;
4. ``fenn.compile`` and the whole test set on the FeNN simulator, every recording checked
   bit for bit against the integer reference model;
5. float and fixed-point accuracy, cycles per timestep and the time on a 200 MHz board;
   PNG plots (spike raster, membrane traces, confusion matrix, training curves).

``benchmarks/demo.py`` times it and prints the bars (under 2 minutes on 2 cores,
fixed point within 1 percentage point of float).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np


@dataclasses.dataclass(frozen=True)
class Config:
    classes: int = 10
    units: int = 50
    timesteps: int = 50
    samples_per_class: int = 200
    hidden: int = 64
    epochs: int = 6
    qat_epochs: int = 2
    batch_size: int = 64
    lr: float = 3e-3
    qat_lr: float = 5e-4
    seed: int = 1


def build_network(config: Config, rng: np.random.Generator):
    """Input -> recurrent ALIF hidden layer -> LI readout (one neuron per class)."""
    import fenn
    net = fenn.Network(dt=1.0)
    inp = net.input(config.units, name="input")
    hid = net.population(config.hidden, fenn.models.ALIF(tau_mem=20.0, tau_adapt=200.0, beta=0.05,
                                                         v_thresh=1.0), name="hidden")
    out = net.population(config.classes, fenn.models.LI(tau_mem=20.0), name="output")
    net.connect(inp, hid, weights=rng.normal(0.0, 1.0 / np.sqrt(config.units), (config.units, config.hidden)))
    net.connect(hid, hid, weights=rng.normal(0.0, 0.5 / np.sqrt(config.hidden), (config.hidden, config.hidden)))
    net.connect(hid, out, weights=rng.normal(0.0, 1.0 / np.sqrt(config.hidden), (config.hidden, config.classes)))
    net.record(hid.spikes)
    net.record(out.v)                 # the readout: its mean over time, one value per class
    return net


def _float_accuracy(net, split, timesteps) -> float:
    from .floatmodel import simulate_float
    v = simulate_float(net, {"input": split.rasters}, timesteps)["output.v"]
    return float(np.mean(v.mean(axis=1).argmax(axis=1) == split.labels))


def run_demo(config: Config = Config(), out_dir="build/demo", log=print) -> dict:
    """Train, fine-tune, deploy and measure; returns the figures (and writes the plots)."""
    import torch

    import fenn
    from . import plot
    started = time.perf_counter()
    out_dir = Path(out_dir)
    torch.manual_seed(config.seed)
    data = fenn.datasets.Randman(classes=config.classes, units=config.units,
                                 timesteps=config.timesteps,
                                 samples_per_class=config.samples_per_class, seed=config.seed)
    log(f"data: {data}")
    net = build_network(config, np.random.default_rng(config.seed))
    log(f"network: {config.units} inputs -> {config.hidden} recurrent ALIF -> {config.classes} LI readout\n")

    model = fenn.train.Trainable(net)
    log(f"training in float (BPTT, fast-sigmoid surrogate, Adam lr {config.lr}):")
    history = fenn.train.fit(model, data.train, test=data.test, readout="output.v",
                             epochs=config.epochs, batch_size=config.batch_size, lr=config.lr,
                             seed=config.seed, log=log)
    model.write_back()
    float_before = _float_accuracy(net, data.test, config.timesteps)
    unaware = fenn.run(fenn.compile(net, config.timesteps), {"input": data.test.rasters},
                       backend="sim", progress=False)["output.v"].mean(axis=1).argmax(axis=1)
    fixed_before = float(np.mean(unaware == data.test.labels))

    formats = model.quantise()
    log(f"\nquantisation-aware fine-tuning in the compiler's formats {formats}:")
    history.extend(fenn.train.fit(model, data.train, test=data.test, readout="output.v",
                                  epochs=config.qat_epochs, batch_size=config.batch_size,
                                  lr=config.qat_lr, seed=config.seed + 1, log=log))
    model.write_back()
    float_accuracy = _float_accuracy(net, data.test, config.timesteps)
    train_seconds = time.perf_counter() - started

    program = fenn.compile(net, config.timesteps, formats=model.compile_formats)
    log(f"\ncompiled: {len(program.text)} FeNN instructions, formats {model.compile_formats}")
    deploy_started = time.perf_counter()
    result = fenn.run(program, {"input": data.test.rasters}, backend="sim", check=True,
                      progress=False)
    run_seconds = time.perf_counter() - deploy_started
    scores = result["output.v"].mean(axis=1)
    predicted = scores.argmax(axis=1)
    fixed_accuracy = float(np.mean(predicted == data.test.labels))
    cycles_per_step = result.stats.cycles / (len(data.test) * config.timesteps)
    clock = program.soc.clock_hz
    board_seconds = result.stats.cycles / clock

    sample = 0
    paths = [
        plot.save(plot.raster(result["hidden.spikes"][sample],
                              title=f"hidden spikes, test sample {sample} (class {data.test.labels[sample]})"),
                  out_dir / "raster.png"),
        plot.save(plot.traces(result["output.v"][sample], highlight=int(data.test.labels[sample]),
                              title=f"readout membranes, test sample {sample}"),
                  out_dir / "membranes.png"),
        plot.save(plot.confusion(data.test.labels, predicted, classes=config.classes,
                                 title="fixed point on FeNN"), out_dir / "confusion.png"),
        plot.save(plot.history(history, title=f"training ({config.epochs} float + "
                                              f"{config.qat_epochs} quantisation-aware epochs)"),
                  out_dir / "training.png"),
        plot.save_results(out_dir / "results.npz", result, labels=data.test.labels,
                          predicted=predicted),
    ]
    seconds = time.perf_counter() - started
    chance = 1.0 / config.classes
    log(f"\n{'test samples':34s} {len(data.test)} (chance {100 * chance:.0f}%)")
    log(f"{'float accuracy, float training':34s} {100 * float_before:.1f}%  (float64 model)")
    log(f"{'fixed point, no fine-tuning':34s} {100 * fixed_before:.1f}%  (the float-trained "
        f"weights compiled as they are)")
    log(f"{'float accuracy, after fine-tuning':34s} {100 * float_accuracy:.1f}%  (float64 model "
        f"of the deployed weights)")
    log(f"{'fixed-point accuracy (FeNN sim)':34s} {100 * fixed_accuracy:.1f}%  "
        f"({100 * (fixed_accuracy - float_accuracy):+.1f} points; every recording equal to "
        f"the reference model, bit for bit)")
    log(f"{'cycles per timestep':34s} {cycles_per_step:.1f}")
    log(f"{'on a ' + f'{clock / 1e6:.0f} MHz board':34s} {cycles_per_step / clock * 1e6:.2f} us per "
        f"timestep, {board_seconds * 1e3 / len(data.test):.3f} ms per sample, "
        f"{board_seconds * 1e3:.1f} ms for the test set")
    log(f"{'time':34s} {seconds:.1f} s ({train_seconds:.1f} s training, "
        f"{run_seconds:.1f} s simulating the test set)")
    log("\nplots and results (fenn plot " + str(paths[-1]) + " redraws them):")
    for path in paths:
        log(f"  {path}")
    return {"float_accuracy": float_accuracy, "float_accuracy_before_qat": float_before,
            "fixed_accuracy": fixed_accuracy, "fixed_accuracy_before_qat": fixed_before,
            "chance": chance,
            "cycles_per_timestep": cycles_per_step, "clock_hz": clock,
            "board_seconds_per_sample": board_seconds / len(data.test), "seconds": seconds,
            "train_seconds": train_seconds, "paths": [str(p) for p in paths]}


def main() -> int:
    run_demo()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
