#!/usr/bin/env python3
"""Routing results on the ladder's real tiers (eval/RESULTS.md, "The ladder"), from measured answers.

    .venv/bin/python eval/ladder_report.py --records A/records.jsonl [--records B/records.jsonl ...] \
        --dataset eval/datasets/ladder_test.jsonl --config CONFIG --out eval/results/ladder [--seed 7] \
        [--constrained C/records.jsonl] [--verifier V/records.jsonl]

--records (repeatable, merged by case id): `switchyard eval run` records with the policies `small`
(SmolLM2-135M), `base` (Gemma 270M) and `large` (Qwen2.5-1.5B) on the same test cases (every
answer a real model call, greedy). --constrained: records of the policy `smallc` (SmolLM2 through
the `small-constrained` route, item 5). --verifier: records of the policy `judge` (Qwen asked the
router's verifier question about SmolLM2's answer, eval/ladder_verifier_cases.py). Every router is then evaluated on exactly these answers, as RouterBench does: a policy
picks a tier per prompt and gets that tier's measured score and latency. The routers' decisions
come from the real router code: CONFIG's routes are asked with POST /v1/route/explain on a
`switchyard serve` started here (the learned router's embedding and logistic model, the rules'
RE2 regexes, the classifier's kNN). Cascades run the small tier first and pay both latencies when
they escalate. Confidence intervals: 2,000 bootstrap resamples of the test prompts (percentile).
"""
import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_records(paths, by=None):
    by = {} if by is None else by
    for path in paths:
        for line in open(path):
            r = json.loads(line)
            if r.get("ok", True):
                by.setdefault(r["id"], {})[r["policy"]] = r
    return by


# The learned routers compared: (route in CONFIG, label). The first is the shipped one: random
# routing is matched to its large share.
LEARNED = [("learned90", "learned router (shipped: cross-validated, hashed n-grams, target_quality 0.90)"),
           ("learned", "learned router (cross-validated, hashed n-grams, target_quality 0.97)"),
           ("emb90", "learned router (cross-validated, embedding, target_quality 0.90)"),
           ("emb97", "learned router (cross-validated, embedding, target_quality 0.97)"),
           ("holdout90", "learned router (before: hold-out fit, target_quality 0.90)"),
           ("holdout97", "learned router (before: hold-out fit, target_quality 0.97)")]
# Fitted on the constrained SmolLM2's train outcomes: scored with the constrained answers (--constrained).
LEARNED_C = [("learnedc90", "learned router for the constrained small tier (cross-validated, target_quality 0.90)"),
             ("learnedc97", "learned router for the constrained small tier (cross-validated, target_quality 0.97)")]


def serve(binary, config):
    proc = subprocess.Popen([binary, "-c", config, "serve", "--port", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        m = re.search(r"listening on http://([^:\s]+):(\d+)", line)
        if m:
            return proc, f"http://{m.group(1)}:{m.group(2)}"
    raise RuntimeError("server did not start")


def explain(url, route, messages):
    req = urllib.request.Request(url + "/v1/route/explain", data=json.dumps({"model": route, "messages": messages}).encode(),
                                 headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req, timeout=60).read())


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")


class Policy:
    """Per prompt: score, latency (ms), whether the large tier was called."""

    def __init__(self, name, rows, note=""):
        self.name, self.rows, self.note = name, rows, note  # rows: list of (cls, score, latency, used_large)


def short(name):
    """A per-class column header: the policy's name without its explanation, but the learned routers told apart."""
    if name.startswith("shipped learned router's decisions"):
        return "learned cv 0.90, constrained small"
    if name.startswith("class x difficulty"):
        return "class x difficulty " + name.rsplit(" ", 1)[1].rstrip(")")
    if name.startswith("learned router"):
        inner = name.split("(", 1)[1].rstrip(")")
        kind = ("cv emb" if "embedding" in inner else "cv") if "cross-validated" in inner else "hold-out"
        return "learned " + ("c " if "constrained" in name else "") + kind + " " + inner.rsplit(" ", 1)[1]
    return name.split(" (")[0]


def bootstrap(ids, fn, rng, n=2000):
    vals = []
    for _ in range(n):
        sample = [ids[rng.randrange(len(ids))] for _ in ids]
        vals.append(fn(sample))
    vals.sort()
    return vals[int(0.025 * n)], vals[int(0.975 * n) - 1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", action="append", required=True)
    ap.add_argument("--constrained", action="append", default=[])
    ap.add_argument("--verifier", action="append", default=[])
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--binary", default=str(ROOT / "build" / "switchyard"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--cascade-mean-logprob", type=float, default=-0.5)
    ap.add_argument("--train-records", action="append", default=[],
                    help="records of small and large on ladder_train (the class x difficulty diagnostic's cell rates)")
    ap.add_argument("--train-dataset", default=str(ROOT / "eval" / "datasets" / "ladder_train.jsonl"))
    a = ap.parse_args()
    rng = random.Random(a.seed)
    recs = load_records(a.records + a.constrained + a.verifier)
    cases = {}
    for line in open(a.dataset):
        c = json.loads(line)
        if c["id"] in recs and all(t in recs[c["id"]] for t in ("small", "base", "large")):
            cases[c["id"]] = c
    ids = sorted(cases)
    if not ids:
        sys.exit("no case has records for small, base and large")
    S = {i: recs[i]["small"] for i in ids}
    B = {i: recs[i]["base"] for i in ids}
    L = {i: recs[i]["large"] for i in ids}

    # Decisions of the configured routes, from the real router.
    proc, url = serve(a.binary, a.config)
    decisions = {}
    try:
        routes = [r for r, _ in LEARNED] + ["rules", "classifier"] + ([r for r, _ in LEARNED_C] if a.constrained else [])
        for route in routes:
            for i in ids:
                messages = [{"role": "user", "content": cases[i]["prompt"]}]
                d = explain(url, route, messages)
                step = next((s for s in d["trace"] if s.get("step") == "learned_router"), {})
                decisions[(route, i)] = (d["tier"], step.get("p_small_ok"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    def routed_with(name, small_recs, tier_of):
        rows = {}
        for i in ids:
            t = tier_of(i)
            r = small_recs[i] if t == "small" else L[i]
            rows[i] = (cases[i]["class"], r["score"], r["latency_ms"], t == "large")
        return Policy(name, rows)

    def routed(name, tier_of, note=""):
        rows = {}
        for i in ids:
            t = tier_of(i)
            r = {"small": S, "base": B, "large": L}[t][i]
            rows[i] = (cases[i]["class"], r["score"], r["latency_ms"], t == "large")
        return Policy(name, rows, note)

    pols = [routed("always-small (SmolLM2-135M)", lambda i: "small"), routed("always-base (Gemma 270M)", lambda i: "base"),
            routed("always-large (Qwen2.5-1.5B)", lambda i: "large")]
    oracle = routed("oracle (large only where it beats small)", lambda i: "large" if L[i]["score"] > S[i]["score"] else "small")
    learned_pols = [routed(label, lambda i, r=r: "large" if decisions[(r, i)][0] != "small" else "small") for r, label in LEARNED]
    learned = learned_pols[0]
    share = sum(r[3] for r in learned.rows.values()) / len(ids)
    # Random routing at the learned router's large share: the expectation, exactly (no sampling noise).
    rnd_rows = {i: (cases[i]["class"], (1 - share) * S[i]["score"] + share * L[i]["score"],
                    S[i]["latency_ms"] if rng.random() >= share else L[i]["latency_ms"], share) for i in ids}
    rnd = Policy(f"random at the same large share ({100 * share:.1f}%)", rnd_rows, "expected score")
    rules = routed("rules (regex: arithmetic, code, reasoning words -> large)", lambda i: "large" if decisions[("rules", i)][0] != "small" else "small")
    clf = routed("task classifier (kNN, router/examples, class -> tier a priori)", lambda i: "large" if decisions[("classifier", i)][0] != "small" else "small")
    # Logprob cascade: the small answer stays unless its mean token logprob is below the threshold.
    casc_rows = {}
    for i in ids:
        esc = S[i].get("mean_logprob", -99) < a.cascade_mean_logprob or not S[i].get("answer", "").strip()
        r = L[i] if esc else S[i]
        casc_rows[i] = (cases[i]["class"], r["score"], S[i]["latency_ms"] + (L[i]["latency_ms"] if esc else 0), esc)
    casc = Policy(f"logprob cascade (min_mean_logprob {a.cascade_mean_logprob})", casc_rows)
    pols += [rnd, rules, clf, casc]
    # Verifier cascade: SmolLM2 answers, Qwen judges it (one short forced-JSON verdict); "no" (or
    # no verdict) escalates to Qwen. Pays small + judge (+ large) latency.
    judged = [i for i in ids if "judge" in recs[i]]
    if a.verifier and len(judged) == len(ids):
        ver_rows = {}
        for i in ids:
            v = recs[i]["judge"].get("answer", "")
            esc = '"yes"' not in v.replace(" ", "")
            r = L[i] if esc else S[i]
            lat = S[i]["latency_ms"] + recs[i]["judge"]["latency_ms"] + (L[i]["latency_ms"] if esc else 0)
            ver_rows[i] = (cases[i]["class"], r["score"], lat, esc)   # large share: answers from Qwen (it also judges every prompt)
        pols.append(Policy("verifier cascade (Qwen judges SmolLM2's answer)", ver_rows))
    elif a.verifier:
        print(f"verifier records cover {len(judged)} of {len(ids)} prompts: verifier cascade left out", file=sys.stderr)
    # SmolLM2 under the closed-answer constraints (route small-constrained), alone and as the oracle's small tier.
    constrained = [i for i in ids if "smallc" in recs[i]]
    C = {i: recs[i]["smallc"] for i in constrained}
    if a.constrained and len(constrained) == len(ids):
        pols.append(routed_with("always-small, constrained (SmolLM2 under the class grammars)", C, lambda i: "small"))
    pols += learned_pols
    # Diagnostic, not a router one could deploy: it knows each test prompt's class and difficulty
    # (the generator's hidden labels) and routes by that cell's rate of "SmolLM2 at least as good
    # as Qwen" on ladder_train, thresholded on ladder_train for the target. It bounds what any
    # router that recognises the task and its difficulty, but not the prompt's own outcome, can do.
    if a.train_records:
        tr = load_records(a.train_records)
        tcases = [json.loads(line) for line in open(a.train_dataset)]
        cell = lambda c: (c["class"], c.get("difficulty", ""))
        rate, tot = {}, {}
        for c in tcases:
            if c["id"] in tr and "small" in tr[c["id"]] and "large" in tr[c["id"]]:
                ok = tr[c["id"]]["small"]["score"] + 1e-9 >= tr[c["id"]]["large"]["score"]
                rate[cell(c)] = rate.get(cell(c), 0) + ok
                tot[cell(c)] = tot.get(cell(c), 0) + 1
        p_cell = {k: rate[k] / tot[k] for k in tot}
        trows = [(p_cell[cell(c)], tr[c["id"]]["small"]["score"], tr[c["id"]]["large"]["score"]) for c in tcases if cell(c) in p_cell and c["id"] in tr]
        for frac in (0.90, 0.97):
            best = 1.01   # the lowest cell rate that still goes to small; 1.01: nothing does
            for th in sorted({p for p, _, _ in trows}, reverse=True):
                q = sum(s_ if p >= th else l for p, s_, l in trows)
                if q >= frac * sum(l for _, _, l in trows) - 1e-9:
                    best = th
            pols.append(routed(f"class x difficulty (hidden labels, train cell rates, target {frac:.2f})",
                               lambda i, best=best: "small" if p_cell.get(cell(cases[i]), 0) >= best else "large"))
    pols.append(oracle)
    if a.constrained and len(constrained) == len(ids):
        pols.append(routed_with("oracle with the constrained small tier", C, lambda i: "large" if L[i]["score"] > C[i]["score"] else "small"))
        r0 = LEARNED[0][0]
        pols.append(routed_with("shipped learned router's decisions with the constrained small tier", C,
                                lambda i: "large" if decisions[(r0, i)][0] != "small" else "small"))
        pols += [routed_with(label, C, lambda i, r=r: "large" if decisions[(r, i)][0] != "small" else "small") for r, label in LEARNED_C]

    q_large = sum(L[i]["score"] for i in ids) / len(ids)
    q_small = sum(S[i]["score"] for i in ids) / len(ids)

    def summary(p, subset):
        n = len(subset)
        q = sum(p.rows[i][1] for i in subset) / n
        ql = sum(L[i]["score"] for i in subset) / n
        ls = sum(float(p.rows[i][3]) for i in subset) / n
        lat = [p.rows[i][2] for i in subset]
        return {"n": n, "quality": q, "of_large": q / ql if ql > 0 else None, "large_share": ls,
                "p50_ms": pct(lat, 0.5), "p95_ms": pct(lat, 0.95)}

    # APGR of score-based routers: area under PGR against large share, thresholds swept.
    def apgr(score_of):  # higher score = more in need of large
        order = sorted(ids, key=lambda i: -score_of(i))
        gap = q_large - q_small
        if gap <= 0:
            return None
        pts, q = [(0.0, 0.0)], q_small * len(ids)
        for k, i in enumerate(order, 1):
            q += L[i]["score"] - S[i]["score"]
            pts.append((k / len(ids), (q / len(ids) - q_small) / gap))
        return sum((x2 - x1) * (y1 + y2) / 2 for (x1, y1), (x2, y2) in zip(pts, pts[1:]))

    apgrs = {p.name: apgr(lambda i, r=r: 1 - decisions[(r, i)][1]) for (r, _), p in zip(LEARNED, learned_pols)}
    apgrs.update({
             casc.name: apgr(lambda i: -S[i].get("mean_logprob", -99)),
             rnd.name: 0.5})
    # Hindsight: the smallest large share at which each learned router's score, thresholded on the
    # test set itself, reaches 97% of always-large (not an operating point: it is chosen on test).
    def share_at(score_of, frac=0.97):
        order = sorted(ids, key=lambda i: -score_of(i))
        q = sum(S[i]["score"] for i in ids)
        target = frac * sum(L[i]["score"] for i in ids)
        if q >= target:
            return 0.0
        for k, i in enumerate(order, 1):
            q += L[i]["score"] - S[i]["score"]
            if q >= target - 1e-9:
                return k / len(ids)
        return 1.0
    hindsight = {label: share_at(lambda i, r=r: 1 - decisions[(r, i)][1]) for r, label in LEARNED}
    out = {"n": len(ids), "classes": sorted({c["class"] for c in cases.values()}), "policies": []}
    for p in pols:
        s = summary(p, ids)
        lo, hi = bootstrap(ids, lambda sm: sum(p.rows[i][1] for i in sm) / len(sm), rng)
        s.update({"name": p.name, "quality_ci": [lo, hi], "apgr": apgrs.get(p.name)})
        s["per_class"] = {c: summary(p, [i for i in ids if cases[i]["class"] == c]) for c in out["classes"]}
        out["policies"].append(s)
    # The learned router against random at the same share, paired over prompts.
    diff = lambda sm: sum(learned.rows[i][1] - rnd.rows[i][1] for i in sm) / len(sm)
    out["learned_minus_random"] = {"mean": diff(ids), "ci": list(bootstrap(ids, diff, rng))}
    # Every learned router against random routing at its own large share (exact expectation per prompt).
    out["each_minus_random"] = {}
    for p in learned_pols:
        sh = sum(float(r[3]) for r in p.rows.values()) / len(ids)
        d_ = lambda sm, p=p, sh=sh: sum(p.rows[i][1] - ((1 - sh) * S[i]["score"] + sh * L[i]["score"]) for i in sm) / len(sm)
        out["each_minus_random"][p.name] = {"share": sh, "mean": d_(ids), "ci": list(bootstrap(ids, d_, rng))}
    out["hindsight_share_at_97"] = hindsight
    out["oracle_share"] = sum(float(oracle.rows[i][3]) for i in ids) / len(ids)
    Path(a.out).mkdir(parents=True, exist_ok=True)
    Path(a.out, "ladder_report.json").write_text(json.dumps(out, indent=1) + "\n")

    lines = [f"Test prompts: {len(ids)} of ladder_test.jsonl (every prompt all three tiers answered); 95% bootstrap CIs.", "",
             "| policy | quality [95% CI] | of always-large | large-tier share | p50 | p95 | APGR |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for s in out["policies"]:
        of = f"{100 * s['of_large']:.1f}%" if s["of_large"] is not None else "n/a"
        ap_ = f"{s['apgr']:.3f}" if s.get("apgr") is not None else ""
        lines.append(f"| {s['name']} | {s['quality']:.3f} [{s['quality_ci'][0]:.3f}, {s['quality_ci'][1]:.3f}] | {of} | "
                     f"{100 * s['large_share']:.1f}% | {s['p50_ms']:.0f} ms | {s['p95_ms']:.0f} ms | {ap_} |")
    d = out["learned_minus_random"]
    lines += ["", f"Learned router minus random at the same large share: {d['mean']:+.3f} [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}] (paired bootstrap).",
              "", "Each learned router minus random routing at its own large share (paired bootstrap):", ""]
    lines += [f"- {k}: {v['mean']:+.3f} [{v['ci'][0]:+.3f}, {v['ci'][1]:+.3f}] at {100 * v['share']:.1f}% large" for k, v in out["each_minus_random"].items()]
    lines += [
              "", "Large share at which each learned router's score reaches 97% of always-large when thresholded in hindsight on these"
              f" prompts (oracle: {100 * out['oracle_share']:.1f}%): " + "; ".join(f"{k.split('(')[1].rstrip(')')}: {100 * v:.1f}%" for k, v in hindsight.items()),
              "", "Per class: quality (large-tier share)", "",
              "| class | n | " + " | ".join(short(s["name"]) for s in out["policies"]) + " |",
              "|---|---:|" + "---:|" * len(out["policies"])]
    for c in out["classes"]:
        cells = [f"{s['per_class'][c]['quality']:.2f} ({100 * s['per_class'][c]['large_share']:.0f}%)" for s in out["policies"]]
        lines.append(f"| {c} | {out['policies'][0]['per_class'][c]['n']} | " + " | ".join(cells) + " |")
    Path(a.out, "ladder_report.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
