#!/usr/bin/env python3
"""The verifier cascade's judge calls as an eval dataset (eval/RESULTS.md, "The ladder").

    python3 eval/ladder_verifier_cases.py --records R1.jsonl [--records R2.jsonl ...] \\
        --dataset eval/datasets/ladder_test.jsonl -o judge_cases.jsonl

For every test case with a `small` (SmolLM2) answer in the records, one case holding exactly the
request the router's cascade verifier sends (router/verifier.cpp, wire/verdict_request.cpp): the
conversation as a transcript, the proposed answer, the default question, the verdict forced into
{"verdict": "yes"|"no"} by a JSON schema. `switchyard eval run --policy judge=qwen2.5-1.5b` then
asks the large model for each verdict through the router, cached and resumable; ladder_report.py
escalates where the verdict is not "yes". Case ids are the test ids, so the records merge by id.
"""
import argparse
import json

QUESTION = "Does the proposed answer correctly and completely answer the request? Reply yes or no."  # kDefaultVerifierQuestion
SCHEMA = {"type": "object", "properties": {"verdict": {"type": "string", "enum": ["yes", "no"]}},
          "required": ["verdict"], "additionalProperties": False}

ap = argparse.ArgumentParser()
ap.add_argument("--records", action="append", required=True)
ap.add_argument("--dataset", required=True)
ap.add_argument("-o", "--out", required=True)
a = ap.parse_args()
small = {}
for path in a.records:
    for line in open(path):
        r = json.loads(line)
        if r["policy"] == "small" and r.get("ok", True):
            small[r["id"]] = r.get("answer", "")
n = 0
with open(a.out, "w") as out:
    for line in open(a.dataset):
        c = json.loads(line)
        if c["id"] not in small:
            continue
        prompt = f"Request:\nuser: {c['prompt']}\n\nProposed answer:\n{small[c['id']]}\n\n{QUESTION}"
        out.write(json.dumps({"id": c["id"], "class": c["class"], "prompt": prompt,
                              "request": {"max_tokens": 64, "temperature": 0,
                                          "response_format": {"type": "json_schema", "json_schema": {"name": "verdict", "schema": SCHEMA}}},
                              "reference": {"checker": "regex", "answer": "\"yes\""}}) + "\n")
        n += 1
print(f"wrote {n} judge cases")
