#!/usr/bin/env python3
"""Writes the ladder datasets: ladder_train.jsonl (540) and ladder_test.jsonl (1,080).

    python3 eval/datasets/make_datasets.py     # writes these and the mixed_* sets, deterministically

Nine task classes, each with an easy and a hard variant (field "difficulty"), 180 prompts per
class: 60 train / 120 test (half easy, half hard). Answers are short by design (a label, a number,
a date, a sentence, a JSON object), so a 1.5B model on two CPU cores can answer the whole set, and
every reference is computed by construction: the corrupted sentence from the correct one, the
date from datetime, the number from the arithmetic, the program's output by running the program.

Ids are assigned after a shuffle, easy and hard alternating, so the first k cases of each class
(what `switchyard eval run --limit` takes) are a stratified random sample. The script asserts that
no prompt is in both splits, nor in the mixed_* sets, nor in the task classifier's examples
(router/examples/): the learned router is fitted on outcomes of ladder_train only, and nothing
is evaluated on a prompt anything was trained on.
"""
import contextlib
import datetime
import io
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TRAIN_PER_CLASS, TEST_PER_CLASS = 60, 120

NAMES = ["Amara", "Bruno", "Chen", "Dalia", "Emil", "Farah", "Gustav", "Hana", "Ivo", "Jonas", "Keiko", "Lars", "Mira",
         "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Samir", "Tilda", "Umar", "Vera", "Wendell", "Ximena", "Yusuf", "Zora",
         "Anton", "Beatriz", "Cyril", "Delphine", "Esther", "Felix", "Greta", "Hugo", "Ines", "Jakob", "Kamala", "Leon"]
SURNAMES = ["Novak", "Silva", "Berg", "Okafor", "Rossi", "Tanaka", "Moreau", "Lindqvist", "Haddad", "Kowalski", "Dubois", "Mendes"]
CITIES = ["Lisbon", "Tallinn", "Porto", "Krakow", "Ghent", "Bergen", "Lyon", "Turin", "Malmo", "Leeds", "Graz", "Utrecht",
          "Bilbao", "Aarhus", "Split", "Cork", "Brno", "Dresden", "Nantes", "Padua", "Basel", "Tartu", "Kaunas", "Seville"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def grammar_fix(r, hard):
    verbs = [("walk", "walks", "to the office"), ("read", "reads", "the newspaper"), ("cook", "cooks", "dinner"),
             ("call", "calls", "her brother"), ("water", "waters", "the plants"), ("visit", "visits", "the library"),
             ("clean", "cleans", "the kitchen"), ("practise", "practises", "the piano"), ("feed", "feeds", "the cat")]
    times = ["every morning", "on Sundays", "after work", "twice a week", "before breakfast", "every evening", "on Fridays"]
    nouns = ["apple", "orange", "umbrella", "envelope", "onion", "egg", "old map", "empty box", "ice cream", "owl figurine"]
    places = ["station", "museum", "bakery", "hotel", "gym", "cinema", "market", "harbour"]

    def one_error(n):
        kind = r.randrange(5)
        if kind == 0:
            base, third, obj = r.choice(verbs)
            good = f"{n} {third} {obj} {r.choice(times)}."
            return good, good.replace(f" {third} ", f" {base} ", 1)
        if kind == 1:
            noun = r.choice(nouns)
            good = f"{n} bought an {noun} at the {r.choice(places)}."
            return good, good.replace(f"an {noun}", f"a {noun}", 1)
        if kind == 2:
            good = f"{n} and {r.choice(NAMES)} left their bags at the {r.choice(places)}."
            return good, good.replace("their", "there")
        if kind == 3:
            good = f"{n} doesn't want to {r.choice(['drive', 'swim', 'work late', 'go shopping', 'study'])} {r.choice(times)}."
            return good, good.replace("doesn't", "don't")
        good = f"Yesterday {n} went to the {r.choice(places)} and bought some bread."
        return good, good.replace("went", "goed")

    n = r.choice(NAMES)
    good, bad = one_error(n)
    if hard:  # two sentences, an error in each
        good2, bad2 = one_error(r.choice([x for x in NAMES if x != n]))
        good, bad = good + " " + good2, bad + " " + bad2
    prompt = f"Correct the grammar. Reply with the corrected text only.\n\n{bad}"
    return prompt, {"checker": "normalized", "answer": good}, 60 if hard else 36


INTENTS = {
    "billing": (["I was charged {n} times for order {o}, please refund the extra payment.",
                 "Why does my invoice for {m} show {n} euros more than my plan?",
                 "My card was billed twice this month for order {o}."],
                ["The amount on the statement for {m} doesn't match what your sales person promised me.",
                 "I see a {n} euro line on my bank app from you that I never agreed to.",
                 "After the delivery of {o} came through, the price I paid turned out higher than on the website."]),
    "shipping": (["Order {o} was supposed to arrive on {m} {n} and it still hasn't come.",
                  "Can you tell me where my parcel {o} is? Tracking has not moved for {n} days.",
                  "The courier left my package {o} at the wrong address."],
                 ["It's been {n} days and the box with the chairs I paid for is nowhere near my door.",
                  "My neighbour says a van came by on {m} {n} but nobody rang, and I still have nothing.",
                  "The invoice is fine, I just need to know when {o} actually gets here."]),
    "technical_support": (["The app crashes every time I open the settings page on my phone.",
                           "I get error code {n} when I try to sync my files.",
                           "Since the {m} update the printer driver no longer installs."],
                          ["Whenever I tap save, the screen goes white and I lose what I typed.",
                           "Half my photos show as grey squares since {m}, even though I paid for the premium plan.",
                           "The thing just spins forever after I log in; tried {n} times, same result."]),
    "cancellation": (["Please cancel my subscription before the next renewal on {m} {n}.",
                      "I want to end my contract {o} at the end of this month.",
                      "How do I close my membership? I no longer need it after {m}."],
                     ["We're moving abroad in {m}, so I won't be needing the service after that; please stop it.",
                      "Don't renew me again. {n} years was enough.",
                      "I'd like my plan {o} not to continue past this billing period."]),
    "account_access": (["I forgot my password and the reset email never arrives.",
                        "My account {o} is locked after {n} failed login attempts.",
                        "I can't sign in since I changed my phone number in {m}."],
                       ["The code you text me goes to a number I gave up in {m}, so I'm stuck at the door.",
                        "It keeps telling me my details are wrong although I typed them {n} times carefully.",
                        "I paid for order {o} but now I can't even get into my profile to see it."]),
}
LABELS = sorted(INTENTS)


def classification(r, hard):
    intent = r.choice(LABELS)
    msg = r.choice(INTENTS[intent][1 if hard else 0]).format(n=r.randint(2, 99), o=f"#{r.randint(10000, 99999)}", m=r.choice(MONTHS))
    prompt = (f"Classify the intent of this customer message as one of: {', '.join(LABELS)}. "
              f"Reply with the label only.\n\nMessage: {msg}")
    # The bare label, or a JSON object holding only it (what a schema-constrained answer looks like).
    pattern = r'(?i)^\s*(\{\s*"(intent|label)"\s*:\s*)?["\'*`]*' + intent + r'["\'*`.]*\s*\}?\s*$'
    return prompt, {"checker": "regex", "answer": pattern}, 12


def extraction(r, hard):
    name = r.choice(NAMES) + " " + r.choice(SURNAMES)
    city, year = r.choice(CITIES), r.randint(1960, 2023)
    trade = r.choice(["a bakery", "a bicycle repair shop", "a small bookshop", "a dental practice", "a design studio"])
    if not hard:
        text = r.choice([f"In {year}, {name} moved to {city} and opened {trade}.",
                         f"{name} opened {trade} in {city} back in {year}, after years abroad.",
                         f"It was {year} when {name} arrived in {city}; soon after came {trade}."])
        prompt = f"Extract the person's full name, the city and the year from this text as JSON with keys name, city and year.\n\n{text}"
        return prompt, {"checker": "json_fields", "answer": {"name": name, "city": city, "year": year}}, 40
    other = r.choice([x for x in NAMES if not name.startswith(x)]) + " " + r.choice(SURNAMES)
    other_city = r.choice([c for c in CITIES if c != city])
    staff = r.randint(2, 40)
    text = (f"{other}, who had run a shop in {other_city} since {year - r.randint(3, 15)}, sold it in {year}. "
            f"That same year the buyer, {name}, moved the business to {city}, turned it into {trade} "
            f"and hired {staff} people.")
    prompt = ("Extract the buyer's full name, the city the business moved to, the year of the move and the number of "
              f"people hired, as JSON with keys name, city, year and staff.\n\n{text}")
    return prompt, {"checker": "json_fields", "answer": {"name": name, "city": city, "year": year, "staff": staff}}, 56


def ordinal(d):
    return f"{d}{'th' if 10 <= d % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(d % 10, 'th')}"


def spoken(d):
    m = MONTHS[d.month - 1]
    return r_choice[0]([f"{m} {d.day}, {d.year}", f"{d.day} {m} {d.year}", f"the {ordinal(d.day)} of {m}, {d.year}",
                        f"{m[:3]}. {d.day} {d.year}"])


r_choice = [None]


def date_arithmetic(r, hard):
    r_choice[0] = r.choice
    d = datetime.date(2000, 1, 1) + datetime.timedelta(days=r.randrange(366 * 30))
    if not hard:
        prompt = f"Convert this date to ISO 8601 format (YYYY-MM-DD). Reply with the date only: {spoken(d)}"
        return prompt, {"checker": "regex", "answer": r"\b" + d.isoformat() + r"\b"}, 14
    kind = r.randrange(3)
    if kind == 0:
        n = r.randint(3, 60)
        target, q = d + datetime.timedelta(days=n), f"What date is {n} days after {spoken(d)}?"
    elif kind == 1:
        n = r.randint(3, 45)
        target, q = d - datetime.timedelta(days=n), f"What date is {n} days before {spoken(d)}?"
    else:
        n = r.randint(1, 8)
        target, q = d + datetime.timedelta(weeks=n), f"What date is {n} week{'s' if n > 1 else ''} after {spoken(d)}?"
    prompt = f"{q} Reply with the date only, in ISO 8601 format (YYYY-MM-DD)."
    return prompt, {"checker": "regex", "answer": r"\b" + target.isoformat() + r"\b"}, 14


def arithmetic(r, hard):
    if not hard:
        a, b = r.randint(2, 60), r.randint(2, 40)
        op = r.randrange(3)
        q, ans = [(f"{a} + {b}", a + b), (f"{a + b} - {b}", a), (f"{a % 12 + 2} * {b % 10 + 2}", (a % 12 + 2) * (b % 10 + 2))][op]
    else:
        a, b, c = r.randint(102, 989), r.randint(13, 97), r.randint(11, 499)
        op = r.randrange(3)
        q, ans = [(f"{a} * {b}", a * b), (f"{a} * {b % 9 + 2} - {c}", a * (b % 9 + 2) - c), (f"({a} + {c}) * {b % 7 + 3}", (a + c) * (b % 7 + 3))][op]
    return f"What is {q}? Reply with the number only.", {"checker": "numeric", "answer": ans}, 12


def multistep_arithmetic(r, hard):
    n = r.choice(NAMES)
    if not hard:
        a, b, c = r.randint(3, 9), r.randint(4, 12), r.randint(2, 9)
        kind = r.randrange(2)
        if kind == 0:
            q, ans = f"{n} buys {a} notebooks at {b} euros each and pays with a {a * b + c + 10 - (a * b + c) % 10} euro note. How much change does {n} get?", \
                (a * b + c + 10 - (a * b + c) % 10) - a * b
        else:
            q, ans = f"A shelf has {a} rows of {b} books. {n} removes {c} books. How many books are left?", a * b - c
    else:
        a, b, c, d = r.randint(3, 9), r.randint(12, 48), r.randint(2, 6), r.randint(5, 30)
        kind = r.randrange(2)
        if kind == 0:
            boxes, eaten = a + c, d % 7 + 1
            rest = a * b - eaten
            if rest % 2:  # keep the answer a whole number
                eaten += 1
                rest -= 1
            q = (f"{n} has {boxes} boxes with {b} apples each. {n} gives away {c} boxes, then eats {eaten} apples "
                 f"from what is left and splits the rest evenly between 2 baskets. How many apples are in each basket?")
            ans = rest // 2
        else:
            q = (f"A train leaves with {b * 3} passengers. At the first stop {b} get off and {d} get on; at the second "
                 f"stop half of the passengers get off and {c} get on. How many passengers are on the train now?")
            after1 = b * 3 - b + d
            if after1 % 2:
                return multistep_arithmetic(r, hard)
            ans = after1 // 2 + c
    return f"{q} Reply with the number only.", {"checker": "numeric", "answer": ans, "pick": "last"}, 16


def summarisation(r, hard):
    company = r.choice(["Nordvik Foods", "Altera Rail", "Kestrel Paper", "Bluewave Energy", "Orion Textiles", "Vela Glassworks",
                        "Halden Steel", "Corvid Labs"])
    city, jobs, month = r.choice(CITIES), r.randint(40, 900), r.choice(MONTHS)
    product = r.choice(["solar panels", "electric buses", "recycled packaging", "frozen meals", "wind turbine blades"])
    text = (f"{company} announced on Tuesday that it will build a new plant in {city}, creating {jobs} jobs. "
            f"The factory will make {product}, and construction is due to begin in {month}.")
    if hard:
        old_city = r.choice([c for c in CITIES if c != city])
        text += (f" The company already employs {jobs + r.randint(100, 2000)} people at its older site in {old_city}, "
                 f"which will keep running. Local officials welcomed the plan, while some residents raised concerns "
                 f"about traffic on the roads around the site and the loss of {r.randint(5, 40)} hectares of farmland.")
        prompt = f"Summarise this news item in one sentence, naming the company, the new plant's city and the jobs it creates.\n\n{text}"
        return prompt, {"checker": "contains_all", "answer": [company, city, str(jobs)]}, 56
    prompt = f"Summarise this news item in one sentence.\n\n{text}"
    return prompt, {"checker": "contains_all", "answer": [city, str(jobs)]}, 48


def open_reasoning(r, hard):
    people = r.sample(NAMES, 5 if hard else 3)
    adj, most, least = r.choice([("older", "oldest", "youngest"), ("taller", "tallest", "shortest"),
                                 ("faster", "fastest", "slowest"), ("richer", "richest", "poorest")])
    facts = [f"{people[i]} is {adj} than {people[i + 1]}." for i in range(len(people) - 1)]
    r.shuffle(facts)
    ask_most = r.random() < 0.5
    answer = people[0] if ask_most else people[-1]
    prompt = " ".join(facts) + f" Who is the {most if ask_most else least}? Reply with the name only."
    return prompt, {"checker": "regex", "answer": rf"(?i)^\W*(answer:\s*|the answer is\s*)?{answer}\W*$"}, 8


def run_python(src):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(src, {})  # our own generated snippet: the reference is the program's real output
    return out.getvalue().strip()


def code(r, hard):
    a, b, c = r.randint(2, 9), r.randint(2, 9), r.randint(1, 5)
    word = r.choice(["switchyard", "lantern", "harbour", "pebble", "quartz", "meadow", "citadel", "orchid"])
    if not hard:
        src = r.choice([f"print({a} * {b} + {c})", f"print(len('{word}') + {c})", f"x = {a}\nx += {b}\nprint(x * {c})",
                        f"print('{word}'.upper())", f"print(max([{a}, {b}, {c}]) - min([{a}, {b}, {c}]))",
                        f"print('{word}'[{c % 3}])"])
    else:
        src = r.choice([f"total = 0\nfor i in range({a + 2}):\n    if i % 2 == 0:\n        total += i * {b}\nprint(total)",
                        f"print(sum(x * x for x in range({a}) if x % {c % 3 + 2} != 0))",
                        f"s = '{word}'\nprint(s[::-1][:{c + 1}])",
                        f"d = {{}}\nfor ch in '{word}':\n    d[ch] = d.get(ch, 0) + 1\nprint(max(d.values()) * {b})",
                        f"def f(n):\n    return n if n < 2 else f(n - 1) + f(n - 2)\nprint(f({a + 2}))",
                        f"xs = [{a}, {b}, {c}, {a + b}]\nxs.sort(reverse=True)\nprint(xs[1] * xs[-1])"])
    prompt = f"What does this Python program print? Reply with the output only.\n\n```python\n{src}\n```"
    return prompt, {"checker": "normalized", "answer": run_python(src)}, 12


CLASSES = {"grammar_fix": grammar_fix, "classification": classification, "extraction": extraction,
           "date_arithmetic": date_arithmetic, "arithmetic": arithmetic, "multistep_arithmetic": multistep_arithmetic,
           "summarisation": summarisation, "open_reasoning": open_reasoning, "code": code}


def read_prompts(path):
    if not os.path.exists(path):
        return set()
    with open(path) as fh:
        return {json.loads(line)["prompt"] for line in fh if line.strip()}


def main():
    rng = random.Random(20261201)
    taken = set()
    for f in ("router/examples/tasks.jsonl", "router/examples/tasks_test.jsonl",
              "eval/datasets/mixed_train.jsonl", "eval/datasets/mixed_test.jsonl"):
        taken |= read_prompts(os.path.join(ROOT, f))
    train, test = [], []
    per_variant = (TRAIN_PER_CLASS + TEST_PER_CLASS) // 2
    for cls, make in CLASSES.items():
        seen, variants = set(taken), {False: [], True: []}
        for hard in (False, True):
            tries = 0
            while len(variants[hard]) < per_variant:
                tries += 1
                assert tries < 100000, f"{cls}: cannot make {per_variant} distinct prompts"
                prompt, ref, max_tokens = make(rng, hard)
                if prompt in seen:
                    continue
                seen.add(prompt)
                variants[hard].append({"class": cls, "difficulty": "hard" if hard else "easy", "prompt": prompt,
                                       "request": {"max_tokens": max_tokens, "temperature": 0}, "reference": ref})
            rng.shuffle(variants[hard])
        half_test = TEST_PER_CLASS // 2
        for split, rows in (("test", test), ("train", train)):
            lo, hi = (0, half_test) if split == "test" else (half_test, per_variant)
            picked = [c for pair in zip(variants[False][lo:hi], variants[True][lo:hi]) for c in pair]  # easy, hard, ...
            for i, c in enumerate(picked):
                rows.append({"id": f"{cls}-{split}-{i + 1:04d}", **c})
    train_prompts, test_prompts = {c["prompt"] for c in train}, {c["prompt"] for c in test}
    assert not train_prompts & test_prompts, "a prompt is in both splits"
    assert not (train_prompts | test_prompts) & taken, "a prompt is also in the mixed sets or the router's examples"
    assert len(test) >= 1000
    for name, rows in (("ladder_train.jsonl", train), ("ladder_test.jsonl", test)):
        with open(os.path.join(HERE, name), "w") as fh:
            for row in sorted(rows, key=lambda c: c["id"]):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(train)} train and {len(test)} test ladder cases in {len(CLASSES)} classes to {HERE}")


if __name__ == "__main__":
    main()
