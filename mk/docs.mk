# Documentation: the manual pages must format without a single groff warning, and the bash
# completions must parse. `make test` runs these through docs-test; the XCTest side
# (Tests/ConfigurationTests/ManualPageTests.swift, CompletionTests.swift) checks their content.

DOC_PAGES = $(wildcard Documentation/man/*.[0-9])
DOC_COMPLETIONS = $(wildcard completion/*)

# groff and man for man-check (Debian 12 package names).
DEBIAN_PACKAGES += groff-base man-db

.PHONY: docs-test man-check completion-check

docs-test: man-check completion-check

test: docs-test

# groff -ww turns on every warning; -z formats without output. Any line on stderr fails, and so
# does `man --warnings`, which runs the page through the same pipeline as a reader's man.
man-check:
	@set -e; test -n "$(DOC_PAGES)" || { echo "man-check: no pages under Documentation/man" >&2; exit 1; }; \
	for page in $(DOC_PAGES); do \
		groff_warnings=$$(groff -man -ww -z "$$page" 2>&1); \
		man_warnings=$$(MANWIDTH=80 man --warnings -l "$$page" 2>&1 >/dev/null); \
		if [ -n "$$groff_warnings$$man_warnings" ]; then \
			printf '%s:\n' "$$page" >&2; printf '%s\n' $${groff_warnings:+"$$groff_warnings"} $${man_warnings:+"$$man_warnings"} >&2; exit 1; \
		fi; \
		echo "man-check: $$page: no warnings"; \
	done

completion-check:
	@set -e; for file in $(DOC_COMPLETIONS); do bash -n "$$file"; echo "completion-check: $$file: parses"; done
