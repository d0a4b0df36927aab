#!/usr/bin/env python3
"""Trains a tiny wersa bundle in a few seconds for the deployment tests.

usage: make_test_bundle.py WERSA_TRAIN OUTPUT_DIR

Generated documents: three topics, each with its own word list, so the
tokenizer and the model have something to learn. Python standard library only.
"""
import json
import os
import random
import subprocess
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    train, output = sys.argv[1], sys.argv[2]
    rng = random.Random(7)
    topics = {
        "topic-a": "group ring field module algebra proof lemma theorem".split(),
        "topic-b": "galaxy star orbit redshift telescope quasar plasma".split(),
        "topic-c": "protein cell gene enzyme membrane neuron tissue".split(),
    }
    common = "the of and a in we show that this paper results".split()
    os.makedirs(output + ".data", exist_ok=True)
    data = os.path.join(output + ".data", "documents.jsonl")
    with open(data, "w", encoding="utf-8") as out:
        for i in range(90):
            label = sorted(topics)[i % 3]
            words = [rng.choice(topics[label] if rng.random() < 0.4 else common)
                     for _ in range(150)]
            out.write(json.dumps({"id": "doc-%d" % i, "text": " ".join(words),
                                  "label": label}) + "\n")
    command = [train, "--data", "jsonl:" + data, "--output", output,
               "--vocab_size", "200", "--d_model", "32", "--num_layers", "1",
               "--num_heads", "2", "--ffn_dim", "64", "--random_features", "16",
               "--epochs", "1", "--batch_size", "8", "--window_tokens", "128",
               "--threads", "1", "--seed", "3"]
    result = subprocess.run(command, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, timeout=120, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout.decode(errors="replace"))
        sys.exit("make_test_bundle: wersa-train failed (exit %d)" % result.returncode)


if __name__ == "__main__":
    main()
