# Two entry points for a new machine; each does all of its own set-up.
#   make demo   train a classifier (torch, CPU), deploy it on the simulator, plot the results
#   make test   install everything the tests need and run them
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
TEST_EXTRAS := dev,hdl,torch,plot,dask
DEMO_EXTRAS := dev,torch,plot
# test files run in this many processes; --dist loadfile keeps each file (and the RTL session
# its tests share) in one of them
TEST_WORKERS ?= 2

.PHONY: demo test tools venv clean

# Debian packages: Icarus Verilog (RTL tests), GNU binutils for RISC-V (golden encoder) and
# Tcl (tclsh runs the generated Vivado scripts against stand-in Vivado commands)
tools:
	@missing=""; \
	command -v iverilog >/dev/null || missing="$$missing iverilog"; \
	command -v riscv64-unknown-elf-as >/dev/null || missing="$$missing binutils-riscv64-unknown-elf"; \
	command -v tclsh >/dev/null || missing="$$missing tcl"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	fi

$(VENV)/bin/activate:
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed-%: $(VENV)/bin/activate pyproject.toml
	$(PIP) install -q -e ".[$*]"
	touch $@

venv: $(VENV)/.installed-dev

demo: $(VENV)/.installed-$(DEMO_EXTRAS)
	$(PY) -m fenn.demo

test: tools $(VENV)/.installed-$(TEST_EXTRAS)
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=25 tests

clean:
	rm -rf $(VENV) build *.egg-info
