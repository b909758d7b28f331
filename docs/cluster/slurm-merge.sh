#!/bin/bash
# The last step, after every shard: sbatch --dependency=afterok:JOBID slurm-merge.sh IMAGE PARTS_DIR
#SBATCH --job-name=chatcarve-merge
#SBATCH --cpus-per-task=16
#SBATCH --mem=32G
#SBATCH --time=12:00:00
set -euo pipefail
image=$1
parts=$2
chatcarve merge "$parts"/part-*.json --image "$image" --threads "${SLURM_CPUS_PER_TASK}" --quiet \
  --json "$parts/../report.json" --html "$parts/../report.html" --case-db "$parts/../case.sqlite"
