# Lint: shellcheck on every shell file, swift-format on every Swift file. `make test` runs lint
# first; neither tool needs the network (shellcheck is Debian's package, swift-format comes with
# the Swift toolchain). The settings are .shellcheckrc and .swift-format at the top of the
# repository; Documentation/lint.md says why they differ from the tools' defaults.
#   make lint          both; each failure names the tool and the file
#   make lint-shell    shellcheck only
#   make lint-swift    swift-format lint --strict only
#   make format        rewrites the Swift files in swift-format's layout
SHELLCHECK ?= shellcheck
SWIFT_FORMAT ?= $(SWIFT) format

# Every Swift file: both packages (Kindling's and Fuzz/), the tests and the benchmark's helper.
SWIFT_FORMAT_PATHS = Package.swift Sources Tests Fuzz/Package.swift Fuzz/Sources bench

# The shell files are found, not listed: the shim's files (shim/*.bash), the bash completions,
# and every other file named *.sh or *.bash or whose first line is a sh or bash #! line.
# Not searched: build trees, the test cache, and the fuzzers' corpora and findings (inputs that
# may start like a script).
LINT_PRUNE = -name .git -o -name '.build*' -o -name .swiftpm -o -path ./cache \
	-o -path ./Tests/fuzz-corpus -o -path ./Fuzz/Regressions -o -path ./Fuzz/Findings
# A fixture module whose syntax error is the point (case 1 of Tests/integration/fault-matrix.sh).
LINT_SHELL_SKIP = ./Tests/fixtures/faults/modules.d/10syntax/module-setup.sh

.PHONY: lint lint-shell lint-swift lint-shell-files format

# Both halves run even when the first fails, so one run shows every finding.
lint:
	@status=0; \
	$(MAKE) --no-print-directory lint-shell || status=1; \
	$(MAKE) --no-print-directory lint-swift || status=1; \
	exit $$status

# The list lint-shell checks, a path a line.
lint-shell-files:
	@{ printf '%s\n' $(addprefix ./,$(wildcard shim/*.bash completion/*)); \
	shebang='^#!.*[/[:space:]](ba|da)?sh([[:space:]]|$$)'; \
	find . \( $(LINT_PRUNE) \) -prune -o -type f -print | while IFS= read -r file; do \
		case $$file in *.sh | *.bash) printf '%s\n' "$$file"; continue ;; esac; \
		first=; IFS= read -r first <"$$file" 2>/dev/null; \
		[[ $$first =~ $$shebang ]] && printf '%s\n' "$$file"; \
	done; } | grep -vxF -e '$(LINT_SHELL_SKIP)' -e '' | sed 's|^\./||' | LC_ALL=C sort -u

# One shellcheck per file, so that each failure names its file.
lint-shell:
	@command -v $(SHELLCHECK) >/dev/null || { echo "lint: shellcheck is not installed (apt-get install shellcheck)" >&2; exit 1; }; \
	mapfile -t files < <($(MAKE) --no-print-directory lint-shell-files); \
	(($${#files[@]} > 0)) || { echo "lint: no shell files found" >&2; exit 1; }; \
	failed=(); \
	for file in "$${files[@]}"; do \
		$(SHELLCHECK) "$$file" || { failed+=("$$file"); echo "lint: shellcheck failed on $$file" >&2; }; \
	done; \
	if (($${#failed[@]} > 0)); then \
		echo "lint: shellcheck failed on $${#failed[@]} of $${#files[@]} files: $${failed[*]}" >&2; exit 1; \
	fi; \
	echo "lint: shellcheck: $${#files[@]} files, no findings"

# swift-format names each file and line; then a line per file, and what to run.
lint-swift:
	@output=$$($(SWIFT_FORMAT) lint --configuration .swift-format --strict --recursive --parallel $(SWIFT_FORMAT_PATHS) 2>&1); \
	status=$$?; \
	if ((status != 0)); then \
		printf '%s\n' "$$output" >&2; \
		printf '%s\n' "$$output" | sed -n 's/^\(.*\.swift\):[0-9]*:[0-9]*: .*/\1/p' | LC_ALL=C sort | uniq -c | \
			while read -r count file; do echo "lint: swift-format failed on $$file ($$count findings)" >&2; done; \
		echo "lint: swift-format lint failed (status $$status); 'make format' fixes the layout" >&2; \
		exit 1; \
	fi; \
	echo "lint: swift-format: no findings in $(SWIFT_FORMAT_PATHS)"

format:
	$(SWIFT_FORMAT) format --configuration .swift-format --in-place --recursive --parallel $(SWIFT_FORMAT_PATHS)
