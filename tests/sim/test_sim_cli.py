"""``fenn run-asm``: assembles, runs, prints registers and statistics; faults exit 1."""

from fenn.cli import main


def test_run_asm_prints_registers_and_cycles(tmp_path, capsys):
    source = tmp_path / "loop.s"
    source.write_text("li t0, 10\nloop:\n addi t0, t0, -1\n addi a0, a0, 3\n bnez t0, loop\n ecall\n")
    assert main(["run-asm", str(source)]) == 0
    out = capsys.readouterr().out
    assert "x10   a0 = 0x0000001e (30)" in out
    assert "ecall at pc 0x00000010: 31 instructions, 50 cycles" in out
    assert "stall cycles: branch 18" in out
    assert "addi 21" in out


def test_run_asm_trace_and_fault(tmp_path, capsys):
    source = tmp_path / "bad.s"
    source.write_text("addi x1, x0, 5\nlw x2, 2(x0)\necall\n")
    assert main(["run-asm", "--trace", str(source)]) == 1
    captured = capsys.readouterr()
    assert "addi x1, x0, 5" in captured.out and "x1=0x5" in captured.out
    assert "x1    ra = 0x00000005 (5)" in captured.out
    assert "misaligned lw from DMEM address 0x00000002 at pc 0x00000004" in captured.err
