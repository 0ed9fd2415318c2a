#!/usr/bin/env bash
# The benchmark across datasets (issue #20), with CLI commands only. One recipe for every dataset,
# unchanged: experiments/best.toml (harcnn's recommended ResNet), the tutorial CNN
# (experiments/baseline.toml), and the peers through the same runner with aeon's defaults:
# MiniRocket, MultiRocket-Hydra, Hydra. Protocols: 5 subject-grouped folds over all subjects
# (`--set test_folds=5`, one seed per fold), or a dataset's fixed split (3 seeds).
# Resumable on the machine that ran it: the runs are in benchmarks/results/across/<dataset>.db (not committed; exported to
# <dataset>.runs.json by benchmarks/export_runs.py at the end, which is committed and what the tables read);
# each study's runs.csv is copied to benchmarks/results/across/<dataset>-<spec>.csv to read;
# benchmarks/across_table.py summarises the stores.
#   bash benchmarks/across.sh [DATASET...]    # default: all, in this order
#   DATA=../shared/data bash benchmarks/across.sh geotec-phone
#   SPECS="baseline best" bash benchmarks/across.sh geotec-phone-loso    # the published protocol
#   SPLIT=1 bash benchmarks/across.sh uci-har-folds    # the same protocol on fresh subject folds (split_seed 1),
#                                                      # stores in benchmarks/results/across-split1/
#   FOLD_SEEDS=3 SPECS=best bash benchmarks/across.sh geotec-watch   # 3 seeds test each fold (seeds s and s + 5k
#                                                      # test fold s): the spread across seeds beside the folds'
set -euo pipefail
DATA=${DATA:-../shared/data}
SPLIT=${SPLIT:-0}  # split_seed of the subject folds: 0 is the table's; another deals subjects no choice has seen
OUT=benchmarks/results/across$([ "$SPLIT" = 0 ] || echo "-split$SPLIT")
RESULTS=results$([ "$SPLIT" = 0 ] || echo "/split$SPLIT")  # each study's files (runs.csv, figures), not committed
SPECS=${SPECS:-"best baseline minirocket multirocket-hydra hydra"}
FOLD_SEEDS=${FOLD_SEEDS:-1}  # seeds per subject fold on the 5-fold protocols (the stores keep the runs already made)
mkdir -p data "$OUT"
GEOTEC="$DATA/GeoTec-sp-sw-har-dataset.zip"
geotec() { python -c "from harcnn.datasets.geotec import pattern; print(pattern(\"$1\"))"; }  # the pattern that reads one device, or both

make_data() {  # the dataset file of $1, made once
  local file="data/$1.npz"
  [ -f "$file" ] && return
  case $1 in
    uci-har) ;;
    hapt12) harcnn data windows "$DATA/HAPT-RawData-train-subjects.zip" --out data/hapt12-windows.npz
            harcnn data import data/hapt12-windows.npz --out "$file" ;;
    geotec-phone) harcnn data recordings "$GEOTEC" --out "$file" --window 1 --overlap 0.5 --rate 50 \
                    --pattern "$(geotec phone)" ;;
    geotec-phone-100hz) harcnn data recordings "$GEOTEC" --out "$file" --window 2.56 --overlap 0.5 --rate 100 \
                    --pattern "$(geotec phone)" ;;
    geotec-watch) harcnn data recordings "$GEOTEC" --out "$file" --window 1 --overlap 0.5 --rate 50 \
                    --pattern "$(geotec watch)" ;;
    geotec-both) harcnn data recordings "$GEOTEC" --out "$file" --window 1 --overlap 0.5 --rate 50 \
                    --pattern "$(geotec both)" ;;
    basicmotions) python benchmarks/aeon_npz.py BasicMotions data/basicmotions-windows.npz
                  harcnn data import data/basicmotions-windows.npz --out "$file" ;;
    pickup-gesture) python benchmarks/aeon_npz.py PickupGestureWiimoteZ_eq data/pickup-gesture-windows.npz
                    harcnn data import data/pickup-gesture-windows.npz --out "$file" ;;
    gunpoint) python benchmarks/aeon_npz.py GunPoint data/gunpoint-windows.npz
              harcnn data import data/gunpoint-windows.npz --out "$file" ;;
  esac
}

for dataset in ${@:-uci-har-folds geotec-phone geotec-phone-100hz geotec-watch geotec-both hapt12 basicmotions uci-har pickup-gesture gunpoint geotec-phone-loso}; do
  name=${dataset%-folds}; name=${name%-loso}
  make_data "$name"
  data=$([ "$name" = uci-har ] && echo "$DATA/UCI HAR Dataset.zip" || echo "data/$name.npz")
  case $dataset in
    uci-har|basicmotions|pickup-gesture|gunpoint) protocol=(--repeats 3) ;;  # the dataset's own split, 3 seeds
    geotec-*-loso) protocol=(--set test_folds=23 --repeats 23) ;;  # leave-one-subject-out: GeoTec's 23 subjects
    *) protocol=(--set test_folds=5 --repeats $((5 * FOLD_SEEDS))) ;;   # 5 subject folds over all subjects, FOLD_SEEDS seeds each
  esac
  if [ "$SPLIT" != 0 ]; then
    [ "${protocol[1]}" = test_folds=5 ] || { echo "$dataset: SPLIT applies to the 5-fold protocols only" >&2; exit 2; }
    protocol+=(--set split_seed="$SPLIT")
  fi
  for spec in $SPECS; do
    harcnn run "experiments/$spec.toml" --data "$data" --results "$RESULTS/$dataset" --db "$OUT/$dataset.db" "${protocol[@]}" --no-progress --workers 1
    cp "$RESULTS/$dataset/$spec/runs.csv" "$OUT/$dataset-$spec.csv"
  done
done
python benchmarks/export_runs.py "$OUT"  # the committed, curve-free JSON the tables are built from
