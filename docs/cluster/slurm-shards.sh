#!/bin/bash
# One shard of an image per array task: sbatch --array=1-N slurm-shards.sh IMAGE PARTS_DIR
#SBATCH --job-name=chatcarve-shard
#SBATCH --cpus-per-task=16
#SBATCH --mem=8G
#SBATCH --time=12:00:00
set -euo pipefail
image=$1
parts=$2
mkdir -p "$parts"
# --force: a task the scheduler runs again replaces its own partial.
chatcarve scan "$image" --shard "${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}" \
  --threads "${SLURM_CPUS_PER_TASK}" --quiet --force --json "$parts/part-${SLURM_ARRAY_TASK_ID}.json"
