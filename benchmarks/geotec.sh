#!/usr/bin/env bash
# GeoTec (Matey-Sanz et al. 2023; ../shared/data, see its SOURCES.md) with CLI commands only:
# recordings to 1 s windows at 50 Hz (hop 0.5 s) for the phone, the watch and both joined on time,
# then the tutorial CNN, the ResNet recipe (experiments/best.toml, unchanged) and MiniRocket, each
# evaluated with 5 subject-grouped folds over all 23 subjects (one seed per fold). Resumable: the
# runs are in results/geotec-*/harcnn.db; the per-run CSVs are copied to benchmarks/results/geotec/.
#   bash benchmarks/geotec.sh [path/to/GeoTec-sp-sw-har-dataset.zip]
set -euo pipefail
ZIP=${1:-../shared/data/GeoTec-sp-sw-har-dataset.zip}
OUT=benchmarks/results/geotec
mkdir -p data "$OUT"
declare -A PATTERN=(
  [phone]='(?P<subject>s\d+)_(?P<recording>\d+)_sp\.csv$'
  [watch]='(?P<subject>s\d+)_(?P<recording>\d+)_sw\.csv$'
  [both]='(?P<subject>s\d+)_(?P<recording>\d+)_(?P<device>sp|sw)\.csv$'
)
for device in phone watch both; do
  [ -f "data/geotec-$device.npz" ] || harcnn data recordings "$ZIP" --pattern "${PATTERN[$device]}" \
    --window 1 --overlap 0.5 --rate 50 --out "data/geotec-$device.npz"
  for spec in baseline best minirocket; do
    harcnn run "experiments/$spec.toml" --data "data/geotec-$device.npz" --results "results/geotec-$device" \
      --set test_folds=5 --repeats 5 --no-progress --workers 1
    cp "results/geotec-$device/$spec/runs.csv" "$OUT/$device-$spec.csv"
  done
done
