#!/usr/bin/env bash
# make demo: audit the bundled example node (a kubeadm-like tree) and cluster objects
# (examples/cluster/), and keep the evidence
# database and the reports under build/demo/. Modes are set here because git keeps only
# 644/755; the auditor itself runs no program.
set -euo pipefail
bin=${1:-build/kubecomply}
out=build/demo
rm -rf "$out/node-kubeadm"
mkdir -p "$out"
cp -a examples/node-kubeadm "$out/node-kubeadm"
while read -r mode path; do
	case "$mode" in ''|'#'*) continue ;; esac
	for p in "$out"/node-kubeadm/$path; do chmod "$mode" "$p"; done
done < examples/node-kubeadm.modes
chmod 0700 "$out"
set +e
"$bin" audit --root "$out/node-kubeadm" --manifests examples/cluster --db "$out/kubecomply.db" --json "$out/report.json" \
	--junit "$out/report.junit.xml" --html "$out/report.html"
rc=$?
set -e
echo
echo "demo: evidence database  $out/kubecomply.db"
echo "demo: JSON report        $out/report.json"
[ -f "$out/report.junit.xml" ] && echo "demo: JUnit report       $out/report.junit.xml"
[ -f "$out/report.html" ] && echo "demo: HTML report        $out/report.html"
echo "demo: re-render any run: $bin report --db $out/kubecomply.db --run latest"
# exit 1 means the example node failed scored checks, which is what it is built to show
[ $rc -le 1 ] || exit $rc
