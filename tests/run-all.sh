#!/usr/bin/env bash
# The whole test suite: install what is missing, build out of tree in
# ./build, run `make check`, and print one closing summary line.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/tests/install-deps.sh"
[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi
mkdir -p build
cd build
[ -f Makefile ] || ../configure -q
make -j"$(nproc)"
status=0
make -j"$(nproc)" check || status=$?
# Summary of every test log automake wrote (including the nested lab).
pass=0 fail=0 skip=0
while read -r res; do
	case "$res" in
	PASS|XFAIL) pass=$((pass + 1)) ;;
	SKIP) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)) ;;
	esac
done < <(find . -name '*.trs' -exec sed -n 's/^:test-result: //p' {} +)
if [ "$status" -ne 0 ]; then
	echo "--- logs of failed tests ---"
	grep -l '^:test-result: \(FAIL\|ERROR\)' $(find . -name '*.trs') 2>/dev/null |
		while read -r t; do echo "== ${t%.trs}.log"; tail -n 60 "${t%.trs}.log"; done
fi
echo "tests: $pass passed, $fail failed, $skip skipped"
exit "$status"
