#!/usr/bin/env python3
"""Writes the prompts `switchyard distil` specialises on, for the results in eval/RESULTS.md:

    python3 distil/make_data.py            # deterministic: same files every time
    -> distil/data/extraction.jsonl, distil/data/classification.jsonl (eval dataset format)

Two task classes with the same instructions (and JSON schemas) as eval/datasets/mixed_*.jsonl,
so a route's classifier or `metadata.task` sends them the same way, but from a wider generator
(more names, cities, phrasings, intents' wordings): the specialised model is also scored on
mixed_test.jsonl's cases of the class, which come from a different generator.

These files are *unlabelled prompts* as far as training goes: `switchyard distil` runs the large
tier on them and trains on its answers. Each line still carries a reference computed by
construction, so distil keeps only large-tier answers that pass it ("accepted answers") and can
score every model on the held-out split. The script asserts that no prompt is in eval/datasets/.
"""
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PER_CLASS = 120

FIRST = ["Amara", "Bruno", "Chen", "Dalia", "Emil", "Farah", "Gustav", "Hana", "Ivo", "Jonas", "Keiko", "Lars", "Mira",
         "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Samir", "Tilda", "Umar", "Vera", "Wendell", "Ximena", "Yusuf", "Zora",
         "Aino", "Bilal", "Carmen", "Dmitri", "Esra", "Femi", "Greta", "Hugo", "Ines", "Jamal", "Kofi", "Lena", "Mateo", "Noor"]
LAST = ["Novak", "Silva", "Berg", "Okafor", "Rossi", "Tanaka", "Moreau", "Haddad", "Kowalski", "Lindqvist", "Mensah",
        "Ortega", "Petrov", "Quispe", "Rahman", "Schmidt", "Tremblay", "Varga", "Weber", "Yilmaz"]
CITIES = ["Lisbon", "Tallinn", "Porto", "Krakow", "Ghent", "Bergen", "Lyon", "Turin", "Malmo", "Leeds", "Graz", "Utrecht",
          "Bilbao", "Aarhus", "Split", "Cork", "Brno", "Dresden", "Nantes", "Padua", "Riga", "Seville", "Tampere", "Zagreb",
          "Basel", "Bologna", "Gdansk", "Ljubljana", "Salzburg", "Valencia"]
TRADES = ["a bakery", "a bicycle repair shop", "a small bookshop", "a dental practice", "a design studio", "a tea room",
          "a pottery workshop", "a language school", "a flower stall", "a recording studio", "a tailor's shop", "a cafe"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
          "December"]
SENTENCES = [
    "In {year}, {name} moved to {city} and opened {trade}.",
    "{name} opened {trade} in {city} back in {year}, after years abroad.",
    "It was {year} when {name} arrived in {city}; soon after came {trade}.",
    "{name} has run {trade} in {city} since {year}.",
    "Locals in {city} still remember {year}, the year {name} started {trade} there.",
    "After leaving school, {name} settled in {city} and in {year} founded {trade}.",
    "The newspaper in {city} wrote about {name} in {year}, when {trade} first opened its doors.",
    "{name} bought an old building in {city} in {year} and turned it into {trade}.",
]
INTENTS = {
    "billing": ["I was charged {n} times for order {o}, please refund the extra payment.",
                "Why does my invoice for {m} show {n} euros more than my plan?",
                "My card was billed twice this month for order {o}.",
                "The {m} statement has a fee of {n} euros that I never agreed to.",
                "Can I get a copy of the receipt for payment {o}? The amount looks wrong.",
                "You took {n} euros from my account although I paid by voucher."],
    "shipping": ["Order {o} was supposed to arrive on {m} {n} and it still hasn't come.",
                 "Can you tell me where my parcel {o} is? Tracking has not moved for {n} days.",
                 "The courier left my package {o} at the wrong address.",
                 "My delivery {o} arrived with {n} items missing from the box.",
                 "Is it possible to send order {o} to my office instead of my home?",
                 "The parcel has been stuck at the depot since {m} {n}."],
    "technical_support": ["The app crashes every time I open the settings page on my phone.",
                          "I get error code {n} when I try to sync my files.",
                          "Since the {m} update the printer driver no longer installs.",
                          "The router reboots every {n} minutes and the light blinks red.",
                          "Video calls freeze after {n} seconds on my laptop.",
                          "The screen stays black after installing version {n}.0 of the software."],
    "cancellation": ["Please cancel my subscription before the next renewal on {m} {n}.",
                     "I want to end my contract {o} at the end of this month.",
                     "How do I close my membership? I no longer need it after {m}.",
                     "Stop my plan {o} please, I am moving abroad in {m}.",
                     "I would like to terminate the service; {n} months is enough for me.",
                     "Do not renew contract {o}, I have found another provider."],
    "account_access": ["I forgot my password and the reset email never arrives.",
                       "My account {o} is locked after {n} failed login attempts.",
                       "I can't sign in since I changed my phone number in {m}.",
                       "The two-factor code never reaches me, so I cannot log in to account {o}.",
                       "Someone changed the email on my profile and now I am locked out.",
                       "The login page says my username {o} does not exist."],
}
GREETINGS = ["", "Hello, ", "Hi there. ", "Good morning! ", "Dear support, "]


def extraction(r):
    name, city, year = f"{r.choice(FIRST)} {r.choice(LAST)}", r.choice(CITIES), r.randint(1950, 2024)
    text = r.choice(SENTENCES).format(name=name, city=city, year=year, trade=r.choice(TRADES))
    prompt = f"Extract the person's full name, the city and the year from this text as JSON with keys name, city and year.\n\n{text}"
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "city": {"type": "string"}, "year": {"type": "integer"}},
              "required": ["name", "city", "year"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": schema}}
    return prompt, {"checker": "json_fields", "answer": {"name": name, "city": city, "year": year}}, 64, fmt


def classification(r):
    intent = r.choice(sorted(INTENTS))
    msg = r.choice(GREETINGS) + r.choice(INTENTS[intent]).format(n=r.randint(2, 99), o=f"#{r.randint(10000, 99999)}",
                                                                 m=r.choice(MONTHS))
    prompt = ("Classify the intent of this customer message as one of: billing, shipping, technical_support, "
              f"cancellation, account_access. Answer in JSON.\n\nMessage: {msg}")
    schema = {"type": "object", "properties": {"intent": {"type": "string", "enum": sorted(INTENTS)}}, "required": ["intent"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "intent", "schema": schema}}
    return prompt, {"checker": "json_fields", "answer": {"intent": intent}}, 24, fmt


def main():
    eval_prompts = set()
    for f in ("mixed_train.jsonl", "mixed_test.jsonl"):
        with open(os.path.join(ROOT, "eval", "datasets", f)) as fh:
            eval_prompts |= {json.loads(line).get("prompt") for line in fh if line.strip()}
    os.makedirs(os.path.join(HERE, "data"), exist_ok=True)
    for cls, make in (("extraction", extraction), ("classification", classification)):
        rng = random.Random(f"distil-{cls}-2026")
        seen, rows = set(), []
        while len(rows) < PER_CLASS:
            prompt, ref, max_tokens, fmt = make(rng)
            if prompt in seen or prompt in eval_prompts:
                continue
            seen.add(prompt)
            rows.append({"id": f"distil-{cls}-{len(rows) + 1:03d}", "class": cls, "prompt": prompt,
                         "request": {"response_format": fmt, "max_tokens": max_tokens}, "reference": ref})
        assert not seen & eval_prompts, "a prompt is also in eval/datasets"
        with open(os.path.join(HERE, "data", f"{cls}.jsonl"), "w") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"wrote {len(rows)} {cls} prompts to distil/data/{cls}.jsonl")


if __name__ == "__main__":
    main()
