#!/bin/bash
# Runs every integration test script and sums their counts into one closing line.
set -u
here=$(cd "$(dirname "$0")" && pwd)
total_passed=0
total_failed=0
for script in "$here"/*.sh; do
    case ${script##*/} in lib.sh | run-all.sh) continue ;; esac
    echo "=== ${script##*/}"
    output=$(bash "$script" 2>&1)
    status=$?
    printf '%s\n' "$output"
    summary=$(printf '%s\n' "$output" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [[ -z $summary ]]; then
        echo "FAIL ${script##*/} printed no summary (exit status $status)"
        total_failed=$((total_failed + 1))
        continue
    fi
    read -r p _ f _ <<<"${summary//,/}"
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
    if ((status != 0 && f == 0)); then
        echo "FAIL ${script##*/} exited $status"
        total_failed=$((total_failed + 1))
    fi
done
echo "integration: $total_passed passed, $total_failed failed"
((total_failed == 0))
