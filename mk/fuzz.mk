# libFuzzer harnesses for Kindling's parsers and writers: Fuzz/ (see Fuzz/README.md).
#   make fuzz                     the long runs: every harness to FUZZ_RUNS executions or FUZZ_TIME
#                                 seconds, whichever comes first, FUZZ_JOBS harnesses at a time
#   make fuzz-FuzzCpioReader      one harness (FUZZ_TIME=0 FUZZ_RUNS=-1: until stopped or a crash)
#   make fuzz-regression          every harness once over its seeds and Fuzz/Regressions
#   make fuzz-findings            replays the open findings in Fuzz/Findings (they crash until fixed)
#   make fuzz-corpus              writes the committed seed corpus, Tests/fuzz-corpus, anew
# Builds with the toolchain's libFuzzer and AddressSanitizer into FUZZ_BUILD, apart from .build.
FUZZ_BUILD ?= .build-fuzz
FUZZ_CONFIG ?= release
# A long run: 10 million executions or 30 minutes.
FUZZ_TIME ?= 1800
FUZZ_RUNS ?= 10000000
FUZZ_JOBS ?= 2
FUZZ_LOGS ?= $(FUZZ_BUILD)/logs
# The committed seeds, one folder per harness; Fuzz/make-corpus.sh writes them.
FUZZ_SEEDS ?= Tests/fuzz-corpus
# make test: every seed and regression once, then this many seconds of fuzzing per harness.
FUZZ_SMOKE_TIME ?= 10
# A fixed seed, so that what make test fuzzes is the same on every run; make fuzz draws its own.
FUZZ_SMOKE_SEED ?= 1
# Extra libFuzzer flags, e.g. FUZZ_ARGS='-jobs=2 -workers=2' or '-max_len=65536'.
FUZZ_ARGS ?=

FUZZ_HARNESSES := $(filter-out FuzzKit,$(notdir $(wildcard Fuzz/Sources/Fuzz*)))
FUZZ_BIN = $(FUZZ_BUILD)/$(FUZZ_CONFIG)
# -sanitize=fuzzer,address in one flag: with two -sanitize= flags only the last reaches the
# compiler. --sanitize fuzzer tells SwiftPM that libFuzzer supplies main. lld keeps the
# coverage sections that gold drops.
FUZZ_SWIFTFLAGS = -c $(FUZZ_CONFIG) --package-path Fuzz --scratch-path $(FUZZ_BUILD) --sanitize fuzzer \
	-Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing -Xswiftc -use-ld=lld
# Swift's own crash backtracer would take the signals libFuzzer and ASan report crashes with.
FUZZ_ENV = SWIFT_BACKTRACE=enable=no
FUZZ_FLAGS = -timeout=25 -print_final_stats=1

# Dictionaries by input format.
fuzz_dict_FuzzCpioReader = cpio
fuzz_dict_FuzzCpioRoundTrip = cpio
fuzz_dict_FuzzInitramfsImage = cpio
fuzz_dict_FuzzArchiveExtractor = cpio
fuzz_dict_FuzzUnpackConfinement = cpio
fuzz_dict_FuzzELFParser = elf
fuzz_dict_FuzzModuleELF = elf
fuzz_dict_FuzzStripProbe = elf
fuzz_dict_FuzzLoaderCache = ldcache
fuzz_dict_FuzzShellMessages = shim
fuzz_dict_FuzzConfigRecords = shim
fuzz_dict_FuzzCommandLine = options
fuzz_dict_FuzzTextFormats = text
fuzz_dict_FuzzKdumpConfig = kdump
fuzz_dict_FuzzPEImage = pe
fuzz_dict = $(if $(fuzz_dict_$(1)),-dict=Fuzz/Dictionaries/$(fuzz_dict_$(1)).dict)

# `make test` (and so CI) replays the seeds and regressions: a build of a few minutes, then seconds.
test: fuzz-regression

.PHONY: fuzz fuzz-build fuzz-corpus fuzz-regression fuzz-findings fuzz-list fuzz-clean $(addprefix fuzz-,$(FUZZ_HARNESSES))

fuzz-build:
	$(SWIFT) build $(FUZZ_SWIFTFLAGS)

fuzz-corpus:
	Fuzz/make-corpus.sh $(FUZZ_SEEDS)

fuzz-list:
	@printf '%s\n' $(FUZZ_HARNESSES)

# Each harness grows its own corpus under FUZZ_BUILD/corpus and writes what it finds to
# FUZZ_BUILD/crashes (not artifacts/, a folder SwiftPM manages: a build was seen to empty it);
# the seeds and committed regressions are read, never written.
define fuzz_harness_rule
fuzz-$(1): $(if $(FUZZ_PREPARED),,fuzz-build)
	mkdir -p $(FUZZ_BUILD)/corpus/$(1) $(FUZZ_BUILD)/crashes/$(1)
	$(FUZZ_ENV) $(FUZZ_BIN)/$(1) $(FUZZ_FLAGS) -max_total_time=$(FUZZ_TIME) -runs=$(FUZZ_RUNS) \
		-artifact_prefix=$(FUZZ_BUILD)/crashes/$(1)/ $(call fuzz_dict,$(1)) $(FUZZ_ARGS) \
		$(FUZZ_BUILD)/corpus/$(1) $(FUZZ_SEEDS)/$(1) $(wildcard Fuzz/Regressions/$(1))
endef
$(foreach harness,$(FUZZ_HARNESSES),$(eval $(call fuzz_harness_rule,$(harness))))

# Each harness's output goes to FUZZ_LOGS/HARNESS.log; then a line each: executions, seconds.
# Goes on past a harness that finds something, then fails naming them all.
fuzz: fuzz-build
	@mkdir -p $(FUZZ_LOGS); \
	echo "fuzz: $(words $(FUZZ_HARNESSES)) harnesses, $(FUZZ_JOBS) at a time, each to $(FUZZ_RUNS) executions or $(FUZZ_TIME) s"; \
	printf '%s\n' $(FUZZ_HARNESSES) | xargs -P $(FUZZ_JOBS) -I{} sh -c \
		'$(MAKE) --no-print-directory FUZZ_PREPARED=1 fuzz-{} > $(FUZZ_LOGS)/{}.log 2>&1 || touch $(FUZZ_LOGS)/{}.failed'; \
	failed=; for harness in $(FUZZ_HARNESSES); do \
		echo "$$harness: $$(grep -a '^Done' $(FUZZ_LOGS)/$$harness.log || echo 'no result')"; \
		[ ! -e $(FUZZ_LOGS)/$$harness.failed ] || { failed="$$failed $$harness"; rm -f $(FUZZ_LOGS)/$$harness.failed; }; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: found crashes in:$$failed (inputs in $(FUZZ_BUILD)/crashes, logs in $(FUZZ_LOGS))"; exit 1; fi

# Every seed and committed regression input once, then FUZZ_SMOKE_TIME seconds of fuzzing each:
# quick enough for CI.
fuzz-regression: fuzz-build
	@passed=0; failed=0; for harness in $(FUZZ_HARNESSES); do \
		inputs="$(FUZZ_SEEDS)/$$harness"; [ -d Fuzz/Regressions/$$harness ] && inputs="$$inputs Fuzz/Regressions/$$harness"; \
		mkdir -p $(FUZZ_BUILD)/smoke/$$harness; \
		if $(FUZZ_ENV) $(FUZZ_BIN)/$$harness -runs=0 $$inputs > $(FUZZ_BUILD)/regression-$$harness.log 2>&1 && \
			$(FUZZ_ENV) $(FUZZ_BIN)/$$harness $(FUZZ_FLAGS) -seed=$(FUZZ_SMOKE_SEED) -max_total_time=$(FUZZ_SMOKE_TIME) \
				-artifact_prefix=$(FUZZ_BUILD)/smoke/$$harness- $(FUZZ_BUILD)/smoke/$$harness $$inputs \
				>> $(FUZZ_BUILD)/regression-$$harness.log 2>&1; \
		then passed=$$((passed + 1)); echo "ok   $$harness"; \
		else failed=$$((failed + 1)); echo "FAIL $$harness: see $(FUZZ_BUILD)/regression-$$harness.log"; fi; \
	done; echo "$$passed passed, $$failed failed"; [ $$failed -eq 0 ]

# Each open finding on its own: every one is expected to crash until its bug is fixed. (Findings
# in a folder not named after a harness are replayed by hand; Fuzz/README.md says how.)
fuzz-findings: fuzz-build
	@for input in $(wildcard $(addsuffix /*,$(addprefix Fuzz/Findings/,$(FUZZ_HARNESSES)))); do \
		harness=$$(basename $$(dirname $$input)); \
		if $(FUZZ_ENV) $(FUZZ_BIN)/$$harness $$input > $(FUZZ_BUILD)/finding.log 2>&1; \
		then echo "fixed  $$input (move it to Fuzz/Regressions/$$harness)"; \
		else echo "open   $$input: $$(grep -m1 -E 'invariant failed|ERROR:|Fatal error' $(FUZZ_BUILD)/finding.log)"; fi; \
	done

fuzz-clean:
	rm -rf $(FUZZ_BUILD)
