#!/usr/bin/env bash
# The live lab as ctest runs it: run-lab.sh, and once more only when the first run failed.
# Live gateways race (a health check refused inside a request's wait, HAProxy's background DNS
# rounds falling inside a request's window, an origin's banner before the request:
# docs/lab-matrix.md), so one run can name a cell wrong that the kept captures hold right. A second failure fails the test; a first failure is always
# printed with its cells (the FAIL lines above) and said again on the last lines, so it is seen.
# Arguments are run-lab.sh's; a skip (77) is passed through. With --keep DIR, a failed first
# run's captures and results are moved to DIR-first before the second run.
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/run-lab.sh" "$@"
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 77 ] && exit $rc
echo "lab: the first live run failed (exit $rc, the FAIL lines above); running it once more"
# the first run's captures are what showed the race: kept beside the second's (--keep DIR ->
# DIR-first), which would overwrite them
keep=""
prev=""
for a in "$@"; do
  [ "$prev" = --keep ] && keep="$a"
  prev="$a"
done
if [ -n "$keep" ] && [ -d "$keep" ]; then
  rm -rf -- "$keep-first"
  mv -- "$keep" "$keep-first" && echo "lab: the first run's captures and results are in $keep-first"
fi
bash "$here/run-lab.sh" "$@"
rc2=$?
[ $rc2 -eq 0 ] && echo "lab: the second live run passed; the first one's FAIL lines above are a race to look at"
exit $rc2
