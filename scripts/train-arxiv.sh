#!/usr/bin/env bash
# Trains the shipped arxiv-archive-11 bundle from the shared arXiv data, the
# whole recipe of models/arxiv-archive-11/MODEL_CARD.md in one command:
#
#   bash scripts/train-arxiv.sh [WORK_DIR] [BUNDLE_DIR]
#
# WORK_DIR (default /var/tmp/wersa-train-arxiv) holds every member's run and
# checkpoints; BUNDLE_DIR (default WORK_DIR/bundle) receives the bundle.
# Run again after an interruption, it resumes: finished members are kept,
# an unfinished one continues from its last checkpoint (every
# CHECKPOINT_STEPS steps and every epoch), with the tokenizer it started
# with. Training outlasts a working session, so run it in the background:
#
#   nohup bash scripts/train-arxiv.sh > train-arxiv.log 2>&1 &
#
# Environment: WERSA_ARXIV_DATA (default ../shared/data/arxiv); SEEDS
# (members, default "1"; the later ones train with the first's tokenizer,
# so that wersa-ensemble can combine them); THREADS (default 1: two OpenMP
# threads slow to a crawl when anything else runs on a 2-core machine);
# CHECKPOINT_STEPS (default 200); BUILD_DIR (default build; the tools are
# built there when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

DATA="${WERSA_ARXIV_DATA:-../shared/data/arxiv}"
WORK="${1:-/var/tmp/wersa-train-arxiv}"
BUNDLE="${2:-$WORK/bundle}"
SEEDS="${SEEDS:-1}"
THREADS="${THREADS:-1}"
CHECKPOINT_STEPS="${CHECKPOINT_STEPS:-200}"
BUILD="${BUILD_DIR:-build}"

for tool in wersa-train wersa-ensemble wersa-eval; do
  if [ ! -x "$BUILD/model/tools/$tool" ]; then
    cmake --build "$BUILD" --target wersa-train wersa-ensemble wersa-eval
    break
  fi
done

LABELS=math,physics,cs,cond-mat,nlin,q-bio,stat,quant-ph,astro-ph,math-ph,q-fin
FT="$DATA/fulltext"
# Part A (split: train, validation, test); then training only: part D's
# abstracts, drawn half of them per epoch, and part A2's full texts in the
# 11 archives. The prior correction calibrates the scores for part A's mix.
TRAIN_DATA="fulltext:$FT/korzen_groundtruth_labelled.tar.gz,$FT/labels.tsv"
TRAIN_DATA+=";abstracts:$DATA/abstracts11/abstracts11.part1.tsv.gz,$DATA/abstracts11/abstracts11.part2.tsv.gz@0.5"
TRAIN_DATA+=";fulltext:$FT/korzen_groundtruth_archive_from_id.tar.gz,$FT/labels.tsv"

mkdir -p "$WORK"
members=()
for seed in $SEEDS; do
  out="$WORK/member$seed"
  # An ensemble's members share one tokenizer: the first member's.
  if [ "${#members[@]}" -gt 0 ] && [ ! -f "$out/config.json" ] &&
     [ ! -f "$out.checkpoint/tokenizer.model" ]; then
    mkdir -p "$out.checkpoint"
    cp "${members[0]}/tokenizer.model" "$out.checkpoint/tokenizer.model"
  fi
  members+=("$out")
  if [ -f "$out/config.json" ]; then
    echo "member $seed: done ($out)"
    continue
  fi
  # The tokenizer is the first thing a run keeps: from then on it resumes.
  resume=false
  if [ -f "$out.checkpoint/tokenizer.model" ]; then resume=true; fi
  echo "member $seed: training (resume=$resume)"
  "$BUILD/model/tools/wersa-train" \
    --data "$TRAIN_DATA" --label_level archive --labels "$LABELS" \
    --prior_correction first_source \
    --name arxiv-archive-11 --version 4 \
    --vocab_size 8000 --d_model 64 --num_layers 1 --num_heads 2 --ffn_dim 128 \
    --pooling attention --ngram_buckets 131072 --ngram_dim 32 \
    --window_tokens 4096 --epochs 4 --batch_size 16 --group_by_length true \
    --learning_rate 0.002 --token_dropout 0.1 --dropout 0.2 --weight_decay 0.05 \
    --class_weighting none --threads "$THREADS" --seed "$seed" \
    --checkpoint_every_steps "$CHECKPOINT_STEPS" --resume "$resume" \
    --output "$out"
done

rm -rf "$BUNDLE.tmp"
if [ "${#members[@]}" -eq 1 ]; then
  cp -r "${members[0]}" "$BUNDLE.tmp"
else
  "$BUILD/model/tools/wersa-ensemble" \
    --members "$(IFS=,; echo "${members[*]}")" \
    --output "$BUNDLE.tmp" --name arxiv-archive-11 --version 4 \
    --data "$TRAIN_DATA" --label_level archive --threads "$THREADS"
fi
rm -rf "$BUNDLE"
mv "$BUNDLE.tmp" "$BUNDLE"
echo "wrote $BUNDLE"
