#!/usr/bin/env python3
"""Writes the mixed-task evaluation datasets: mixed_train.jsonl and mixed_test.jsonl.

    python3 eval/datasets/make_datasets.py        # deterministic: same files every time

Also writes the ladder sets (ladder_train.jsonl, ladder_test.jsonl: nine classes, easy and hard
variants, 1,080 test prompts) through ladder_datasets.py; see eval/README.md.

Seven task classes, 50 prompts each (350 in all), split 30 train / 20 test per class. Every
reference is computed by construction (the corrupted sentence is made from the correct one, the
date string from the date, the sum from the numbers), never by a model. The script asserts that
no prompt appears in both splits, nor in the router classifier's examples (router/examples/),
which are a separate training set: nothing here is evaluated on a prompt anything trained on.
"""
import datetime
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PER_CLASS, TEST_PER_CLASS = 50, 20

NAMES = ["Amara", "Bruno", "Chen", "Dalia", "Emil", "Farah", "Gustav", "Hana", "Ivo", "Jonas", "Keiko", "Lars", "Mira",
         "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Samir", "Tilda", "Umar", "Vera", "Wendell", "Ximena", "Yusuf", "Zora"]
CITIES = ["Lisbon", "Tallinn", "Porto", "Krakow", "Ghent", "Bergen", "Lyon", "Turin", "Malmo", "Leeds", "Graz", "Utrecht",
          "Bilbao", "Aarhus", "Split", "Cork", "Brno", "Dresden", "Nantes", "Padua"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]


def case(cid, cls, prompt, reference, max_tokens, **request):
    request["max_tokens"] = max_tokens
    return {"id": cid, "class": cls, "prompt": prompt, "request": request, "reference": reference}


def grammar_fix(r):
    verbs = [("walk", "walks", "to the office"), ("read", "reads", "the newspaper"), ("cook", "cooks", "dinner"),
             ("call", "calls", "her brother"), ("water", "waters", "the plants"), ("visit", "visits", "the library"),
             ("clean", "cleans", "the kitchen"), ("practise", "practises", "the piano")]
    times = ["every morning", "on Sundays", "after work", "twice a week", "before breakfast", "every evening"]
    nouns = ["apple", "orange", "umbrella", "envelope", "onion", "egg", "old map", "empty box"]
    places = ["station", "museum", "bakery", "hotel", "gym", "cinema"]
    acts = ["drive", "swim", "cook", "work late", "go shopping", "study"]
    kind = r.randrange(4)
    n = r.choice(NAMES)
    if kind == 0:
        base, third, obj = r.choice(verbs)
        good = f"{n} {third} {obj} {r.choice(times)}."
        bad = good.replace(f" {third} ", f" {base} ", 1)
    elif kind == 1:
        noun = r.choice(nouns)
        good = f"{n} bought an {noun} at the {r.choice(places)}."
        bad = good.replace(f"an {noun}", f"a {noun}", 1)
    elif kind == 2:
        good = f"{n} and {r.choice(NAMES)} left their bags at the {r.choice(places)}."
        bad = good.replace("their", "there")
    else:
        good = f"{n} doesn't want to {r.choice(acts)} {r.choice(times)}."
        bad = good.replace("doesn't", "don't")
    prompt = f"Correct the grammar of this sentence. Reply with the corrected sentence only.\n\n{bad}"
    return prompt, {"checker": "normalized", "answer": good}, 48, {}


INTENTS = {
    "billing": ["I was charged {n} times for order {o}, please refund the extra payment.",
                "Why does my invoice for {m} show {n} euros more than my plan?",
                "My card was billed twice this month for order {o}."],
    "shipping": ["Order {o} was supposed to arrive on {m} {n} and it still hasn't come.",
                 "Can you tell me where my parcel {o} is? Tracking has not moved for {n} days.",
                 "The courier left my package {o} at the wrong address."],
    "technical_support": ["The app crashes every time I open the settings page on my phone.",
                          "I get error code {n} when I try to sync my files.",
                          "Since the {m} update the printer driver no longer installs."],
    "cancellation": ["Please cancel my subscription before the next renewal on {m} {n}.",
                     "I want to end my contract {o} at the end of this month.",
                     "How do I close my membership? I no longer need it after {m}."],
    "account_access": ["I forgot my password and the reset email never arrives.",
                       "My account {o} is locked after {n} failed login attempts.",
                       "I can't sign in since I changed my phone number in {m}."],
}


def classification(r):
    intent = r.choice(sorted(INTENTS))
    msg = r.choice(INTENTS[intent]).format(n=r.randint(2, 99), o=f"#{r.randint(10000, 99999)}", m=r.choice(MONTHS))
    prompt = ("Classify the intent of this customer message as one of: billing, shipping, technical_support, "
              f"cancellation, account_access. Answer in JSON.\n\nMessage: {msg}")
    schema = {"type": "object", "properties": {"intent": {"type": "string", "enum": sorted(INTENTS)}}, "required": ["intent"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "intent", "schema": schema}}
    return prompt, {"checker": "json_fields", "answer": {"intent": intent}}, 24, {"response_format": fmt}


def extraction(r):
    name, city, year = r.choice(NAMES) + " " + r.choice(["Novak", "Silva", "Berg", "Okafor", "Rossi", "Tanaka", "Moreau"]), \
        r.choice(CITIES), r.randint(1960, 2023)
    trade = r.choice(["a bakery", "a bicycle repair shop", "a small bookshop", "a dental practice", "a design studio"])
    text = r.choice([f"In {year}, {name} moved to {city} and opened {trade}.",
                     f"{name} opened {trade} in {city} back in {year}, after years abroad.",
                     f"It was {year} when {name} arrived in {city}; soon after came {trade}."])
    prompt = f"Extract the person's full name, the city and the year from this text as JSON with keys name, city and year.\n\n{text}"
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "city": {"type": "string"}, "year": {"type": "integer"}},
              "required": ["name", "city", "year"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": schema}}
    return prompt, {"checker": "json_fields", "answer": {"name": name, "city": city, "year": year}}, 64, {"response_format": fmt}


def ordinal(d):
    return f"{d}{'th' if 10 <= d % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(d % 10, 'th')}"


def date_parsing(r):
    d = datetime.date(2000, 1, 1) + datetime.timedelta(days=r.randrange(366 * 30))
    m = MONTHS[d.month - 1]
    text = r.choice([f"{m} {d.day}, {d.year}", f"{d.day} {m} {d.year}", f"the {ordinal(d.day)} of {m}, {d.year}",
                     f"{m[:3]}. {d.day} {d.year}", f"{d.month:02d}/{d.day:02d}/{d.year} (US format)"])
    prompt = f"Convert this date to ISO 8601 format (YYYY-MM-DD). Reply with the date only: {text}"
    return prompt, {"checker": "regex", "answer": r"\b" + d.isoformat() + r"\b"}, 16, {}


def arithmetic(r):
    kind = r.randrange(4)
    a, b, c = r.randint(12, 98), r.randint(3, 19), r.randint(2, 60)
    if kind == 0:
        q, ans = f"What is {a} * {b} + {c}?", a * b + c
    elif kind == 1:
        q, ans = f"What is {a * 10 + c} - {a + b}?", a * 10 + c - (a + b)
    elif kind == 2:
        q, ans = f"A crate holds {b} bottles. How many bottles are in {a} crates?", a * b
    else:
        q, ans = f"{r.choice(NAMES)} had {a + c} euros and spent {c} on lunch and {b} on a book. How many euros are left?", a - b
    return f"{q} Reply with the number only.", {"checker": "numeric", "answer": ans}, 16, {}


def summarisation(r):
    company = r.choice(["Nordvik Foods", "Altera Rail", "Kestrel Paper", "Bluewave Energy", "Orion Textiles", "Vela Glassworks"])
    city, jobs, month = r.choice(CITIES), r.randint(40, 900), r.choice(MONTHS)
    product = r.choice(["solar panels", "electric buses", "recycled packaging", "frozen meals", "wind turbine blades"])
    text = (f"{company} announced on Tuesday that it will build a new plant in {city}, creating {jobs} jobs. "
            f"The factory will make {product}, and construction is due to begin in {month}. Local officials welcomed "
            f"the plan, while some residents raised concerns about traffic on the roads around the site.")
    prompt = f"Summarise this news item in one sentence.\n\n{text}"
    return prompt, {"checker": "contains_all", "answer": [city, str(jobs)]}, 80, {}


def open_reasoning(r):
    people = r.sample(NAMES, r.randint(3, 4))
    adj, most, least = r.choice([("older", "oldest", "youngest"), ("taller", "tallest", "shortest"),
                                 ("faster", "fastest", "slowest"), ("richer", "richest", "poorest")])
    facts = [f"{people[i]} is {adj} than {people[i + 1]}." for i in range(len(people) - 1)]
    r.shuffle(facts)
    ask_most = r.random() < 0.5
    answer = people[0] if ask_most else people[-1]
    prompt = (" ".join(facts) + f" Who is the {most if ask_most else least}? Explain your reasoning briefly, then give the "
              "final answer on the last line as 'Answer: NAME'.")
    return prompt, {"checker": "regex", "answer": rf"(?i)answer:\W*{answer}\b"}, 120, {}


CLASSES = {"grammar_fix": grammar_fix, "classification": classification, "extraction": extraction,
           "date_parsing": date_parsing, "arithmetic": arithmetic, "summarisation": summarisation,
           "open_reasoning": open_reasoning}


def main():
    rng = random.Random(20260501)
    router_prompts = set()
    for f in ("tasks.jsonl", "tasks_test.jsonl"):
        with open(os.path.join(ROOT, "router", "examples", f)) as fh:
            router_prompts |= {json.loads(line)["prompt"] for line in fh if line.strip()}
    train, test = [], []
    for cls, make in CLASSES.items():
        seen, cases = set(), []
        while len(cases) < PER_CLASS:
            prompt, ref, max_tokens, request = make(rng)
            if prompt in seen:
                continue
            seen.add(prompt)
            cases.append(case(f"{cls}-{len(cases) + 1:03d}", cls, prompt, ref, max_tokens, **request))
        rng.shuffle(cases)
        test += cases[:TEST_PER_CLASS]
        train += cases[TEST_PER_CLASS:]
    train_prompts, test_prompts = {c["prompt"] for c in train}, {c["prompt"] for c in test}
    assert not train_prompts & test_prompts, "a prompt is in both splits"
    assert not (train_prompts | test_prompts) & router_prompts, "a prompt is also a router training example"
    for name, rows in (("mixed_train.jsonl", train), ("mixed_test.jsonl", test)):
        with open(os.path.join(HERE, name), "w") as fh:
            for row in sorted(rows, key=lambda c: c["id"]):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(train)} train and {len(test)} test cases in {len(CLASSES)} classes to {HERE}")


if __name__ == "__main__":
    main()
    import ladder_datasets  # noqa: E402  (the ladder sets, eval/datasets/ladder_datasets.py)
    ladder_datasets.main()
