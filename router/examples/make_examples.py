#!/usr/bin/env python3
"""Writes the labelled prompts the learned router classifier is trained and tested on.

    python3 router/examples/make_examples.py          # writes tasks.jsonl and tasks_test.jsonl here

Deterministic (fixed seed, no network). Every class has separate TRAIN and TEST templates and
separate filler pools, so the held-out file measures generalisation to new wordings and new
content, not recall of near-duplicates. The script asserts the two files share no prompt.
"""
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # the class specs live beside this script, whatever the working directory
from specs_task import TASK_CLASSES  # noqa: E402
from specs_text import TEXT_CLASSES  # noqa: E402

TRAIN_PER_CLASS = 60
TEST_PER_CLASS = 15

# Each class: templates per split, and for every {slot} a (train, test) pair of filler pools.
# Slots named in NUMBERS are drawn at random instead (numbers are not content to memorise).
CLASSES = {**TEXT_CLASSES, **TASK_CLASSES}

NUMBERS = {"a": lambda r: r.randint(100, 9999), "b": lambda r: r.randint(11, 99), "c": lambda r: r.randint(2, 500),
           "n": lambda r: r.randint(2, 12), "p": lambda r: r.choice(range(5, 100, 5)),
           "price": lambda r: f"{r.randint(1, 29)}.{r.choice(['50', '25', '99', '75'])}"}
SLOT = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")


def fill(template, spec, split, rng):
    def value(m):
        name = m.group(1)
        if name in NUMBERS:
            return str(NUMBERS[name](rng))
        return rng.choice(spec[name][0 if split == "train" else 1])
    return SLOT.sub(value, template).replace("{{", "{").replace("}}", "}")


def generate(split, count, seed):
    rng = random.Random(seed)
    rows = []
    for cls, spec in CLASSES.items():
        seen = set()
        templates = spec[split]
        attempts = 0
        while len(seen) < count:
            attempts += 1
            assert attempts < count * 200, f"{cls}/{split}: not enough distinct combinations"
            template = templates[len(seen) % len(templates)] if attempts <= count else rng.choice(templates)
            prompt = fill(template, spec, split, rng)
            if prompt not in seen:
                seen.add(prompt)
                rows.append({"prompt": prompt, "class": cls})
    rng.shuffle(rows)
    return rows


def check_disjoint():
    for cls, spec in CLASSES.items():
        assert not set(spec["train"]) & set(spec["test"]), f"{cls}: a template is in both splits"
        for slot, value in spec.items():
            if slot not in ("train", "test"):
                shared = (set(value[0]) & set(value[1])) 
                assert not shared, f"{cls}.{slot}: fillers in both splits: {shared}"


def write(name, rows):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def main():
    check_disjoint()
    train = generate("train", TRAIN_PER_CLASS, seed=1234)
    test = generate("test", TEST_PER_CLASS, seed=5678)
    overlap = {r["prompt"] for r in train} & {r["prompt"] for r in test}
    assert not overlap, f"prompts in both files: {sorted(overlap)[:3]}"
    write("tasks.jsonl", train)
    write("tasks_test.jsonl", test)
    print(f"tasks.jsonl: {len(train)} prompts, tasks_test.jsonl: {len(test)} prompts, {len(CLASSES)} classes")


if __name__ == "__main__":
    main()
