# Shared by the test scripts (sourced, not run).
#
# results DIR: prints "passed failed skipped" counted from the .trx files under DIR. Only test results count (the
# run summary element carries an outcome attribute too); NotExecuted is NUnit's Ignore/Inconclusive, i.e. skipped.
results() {
  local passed=0 failed=0 skipped=0 trx p f s
  while IFS= read -r -d '' trx; do
    p=$(grep -o '<UnitTestResult [^>]*outcome="Passed"' "$trx" | wc -l)
    f=$(grep -o '<UnitTestResult [^>]*outcome="Failed"' "$trx" | wc -l)
    s=$(grep -o '<UnitTestResult [^>]*outcome="NotExecuted"' "$trx" | wc -l)
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  done < <(find "$1" -name '*.trx' -print0 2>/dev/null)
  echo "$passed $failed $skipped"
}

# skipped_names DIR, failed_names DIR: the names of the skipped (failed) tests, one per line.
names_with_outcome() {
  find "$1" -name '*.trx' -print0 2>/dev/null | xargs -0 -r grep -ho "<UnitTestResult [^>]*outcome=\"$2\"" \
    | sed -n 's/.*testName="\([^"]*\)".*/\1/p'
}
skipped_names() { names_with_outcome "$1" NotExecuted; }
failed_names() { names_with_outcome "$1" Failed; }

# real_apiserver_binaries: prints the directory holding kube-apiserver, kube-controller-manager and etcd (v1.32.13)
# for the real-apiserver lane, or fails with the reason on stderr. The same rule as
# Operator.Testing/ControlPlane/RealApiServerBinaries: KUBE_REAL_BIN, else ${KUBE_REAL_DIR:-~/.cache/kube-real}/v1.32.13/bin.
real_apiserver_binaries() {
  local dir=${KUBE_REAL_BIN:-${KUBE_REAL_DIR:-$HOME/.cache/kube-real}/v1.32.13/bin} missing=() b
  for b in kube-apiserver kube-controller-manager etcd; do [ -x "$dir/$b" ] || missing+=("$b"); done
  if [ ${#missing[@]} -gt 0 ]; then echo "${missing[*]} not found in $dir" >&2; return 1; fi
  echo "$dir"
}
