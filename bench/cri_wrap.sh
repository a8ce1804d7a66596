#!/usr/bin/env bash
# cri_wrap.sh [N] <plain.log >cri.log - a plain log as a Kubernetes CRI file
# (tests of the partial-record join, bench of its cost): every line an
# "F" record on stdout, every Nth (default 10) split into P, P, F chunks.
n=${1:-10}
exec awk -v n="$n" '{
	ts = "2026-12-07T03:00:00.000000000Z"
	if (NR % n == 0 && length($0) > 20) {
		a = int(length($0) / 3)
		print ts " stdout P " substr($0, 1, a)
		print ts " stdout P " substr($0, a + 1, a)
		print ts " stdout F " substr($0, 2 * a + 1)
	} else
		print ts " stdout F " $0
}'
