#!/usr/bin/env python3
"""The training step of `switchyard distil`: full fine-tune of a small chat model on chat pairs.

Run by the C++ CLI inside the training virtualenv (distil/setup_venv.sh); Python does nothing
else in Switchyard's distillation (data, evaluation, conversion orchestration, promotion are C++).

    train.py --base SMALL.gguf --train train.jsonl --out DIR [--steps N | --epochs E] [--lr 5e-5]
             [--batch 8] [--micro-batch 4] [--max-len 320] [--threads 2] [--checkpoint-every 20] [--resume]

train.jsonl: one {"messages": [chat messages before the answer], "answer": "assistant text"} a line.
The base GGUF is loaded dequantised by transformers (gguf_file=...). The loss counts the answer's
tokens only (and the end-of-turn token), not the prompt's. Progress goes to stdout as one JSON
object a line ({"event": "step", "step", "steps", "loss", "epoch", "seconds"}, then "done");
errors as {"event": "error", "kind", "message"} with exit status 2 (the base cannot be trained)
or 1 (anything else). DIR/checkpoint/ holds the latest checkpoint (weights, optimizer, step,
data order): with --resume training continues from it. DIR/hf/ receives the trained model in
Hugging Face format for convert_hf_to_gguf.py.
"""
import argparse
import json
import math
import os
import random
import sys
import time


def emit(**event):
    print(json.dumps(event), flush=True)


def fail(kind, message, status):
    emit(event="error", kind=kind, message=message)
    sys.exit(status)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True, help="small chat model, GGUF")
    p.add_argument("--train", required=True, help="JSONL chat pairs")
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=0, help="optimizer steps (overrides --epochs)")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--batch", type=int, default=8, help="examples per optimizer step")
    p.add_argument("--micro-batch", type=int, default=4, help="examples per forward pass (bounds memory)")
    p.add_argument("--max-len", type=int, default=320, help="tokens per example; longer ones are cut from the left")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--checkpoint-every", type=int, default=20)
    p.add_argument("--resume", action="store_true")
    return p.parse_args()


def load_pairs(path):
    pairs = []
    with open(path) as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row.get("messages"), list) or not isinstance(row.get("answer"), str):
                fail("data", f"{path}:{n}: want {{\"messages\": [...], \"answer\": \"...\"}}", 1)
            pairs.append(row)
    if not pairs:
        fail("data", f"{path}: no training examples", 1)
    return pairs


def encode(tokenizer, pair, max_len):
    # The whole conversation through the model's own chat template, so the answer ends with the
    # template's end-of-turn markup (what the served model must learn to emit to stop).
    prompt_text = tokenizer.apply_chat_template(pair["messages"], add_generation_prompt=True, tokenize=False)
    full_text = tokenizer.apply_chat_template(pair["messages"] + [{"role": "assistant", "content": pair["answer"]}],
                                              tokenize=False)
    if not full_text.startswith(prompt_text):
        fail("base", "the chat template renders the prompt differently with an answer: cannot mask the prompt", 2)
    prompt = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    ids = tokenizer(full_text, add_special_tokens=False)["input_ids"]
    if ids[:len(prompt)] != prompt:  # a token spans the boundary: tokenise the parts apart
        ids = prompt + tokenizer(full_text[len(prompt_text):], add_special_tokens=False)["input_ids"]
    labels = [-100] * len(prompt) + ids[len(prompt):]
    if len(ids) > max_len:  # keep the answer: cut the prompt's start
        ids, labels = ids[-max_len:], labels[-max_len:]
    return ids, labels


def main():
    args = parse_args()
    import torch
    torch.set_num_threads(max(1, args.threads))
    torch.manual_seed(args.seed)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base_dir, base_file = os.path.split(os.path.abspath(args.base))
    t0 = time.time()
    try:
        tokenizer = AutoTokenizer.from_pretrained(base_dir, gguf_file=base_file)
        model = AutoModelForCausalLM.from_pretrained(base_dir, gguf_file=base_file, dtype=torch.float32)
    except Exception as e:  # unsupported architecture, not a GGUF, an embedding model, ...
        fail("base", f"cannot load {base_file} for training: {type(e).__name__}: {e}", 2)
    if tokenizer.chat_template is None:
        fail("base", f"{base_file} has no chat template: distil trains chat models", 2)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (tokenizer.eos_token_id or 0)
    load_s = time.time() - t0

    pairs = load_pairs(args.train)
    encoded = [encode(tokenizer, p, args.max_len) for p in pairs]
    per_epoch = math.ceil(len(encoded) / args.batch)
    steps = args.steps if args.steps > 0 else max(1, math.ceil(per_epoch * args.epochs))
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    ckpt_dir = os.path.join(args.out, "checkpoint")
    ckpt_file = os.path.join(ckpt_dir, "state.pt")
    start_step, order, rng_state = 0, None, None
    if args.resume and os.path.exists(ckpt_file):
        state = torch.load(ckpt_file, map_location="cpu", weights_only=False)
        if state["train_examples"] != len(encoded):
            fail("resume", "the checkpoint was made on a different training set: start again without --resume", 1)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_step, order, rng_state = state["step"], state["order"], state["rng"]
        emit(event="resumed", step=start_step)
    rng = random.Random(args.seed)
    if rng_state is not None:
        rng.setstate(rng_state)
    if order is None:
        order = list(range(len(encoded)))
        rng.shuffle(order)
    emit(event="start", examples=len(encoded), steps=steps, steps_per_epoch=per_epoch, start_step=start_step,
         load_seconds=round(load_s, 1), parameters=sum(p.numel() for p in model.parameters()))

    model.train()
    cursor = (start_step * args.batch) % len(encoded)
    t_train = time.time()
    for step in range(start_step, steps):
        batch = []
        for _ in range(args.batch):
            if cursor >= len(order):  # a new epoch: a new order
                rng.shuffle(order)
                cursor = 0
            batch.append(encoded[order[cursor]])
            cursor += 1
        optimizer.zero_grad()
        answer_tokens = sum(sum(1 for x in lab if x != -100) for _, lab in batch)
        total = 0.0
        for i in range(0, len(batch), args.micro_batch):
            micro = batch[i:i + args.micro_batch]
            width = max(len(ids) for ids, _ in micro)
            ids = torch.full((len(micro), width), pad_id, dtype=torch.long)
            labels = torch.full((len(micro), width), -100, dtype=torch.long)
            mask = torch.zeros((len(micro), width), dtype=torch.long)
            for row, (x, y) in enumerate(micro):
                ids[row, :len(x)] = torch.tensor(x)
                labels[row, :len(y)] = torch.tensor(y)
                mask[row, :len(x)] = 1
            logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
            # Sum over answer tokens, divided by the step's answer tokens: every token weighs the same.
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), labels[:, 1:].reshape(-1),
                                                     ignore_index=-100, reduction="sum") / max(1, answer_tokens)
            loss.backward()
            total += loss.item()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        done = step + 1
        emit(event="step", step=done, steps=steps, loss=round(total, 4), epoch=round(done / per_epoch, 3),
             seconds=round(time.time() - t_train, 1))
        if args.checkpoint_every > 0 and (done % args.checkpoint_every == 0) and done < steps:
            os.makedirs(ckpt_dir, exist_ok=True)
            tmp = ckpt_file + ".tmp"
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": done, "order": order,
                        "rng": rng.getstate(), "train_examples": len(encoded)}, tmp)
            os.replace(tmp, ckpt_file)  # atomic: an interrupted save leaves the previous checkpoint
            emit(event="checkpoint", step=done)

    train_s = time.time() - t_train
    hf_dir = os.path.join(args.out, "hf")
    model.save_pretrained(hf_dir, safe_serialization=True)
    tokenizer.save_pretrained(hf_dir)
    # A GGUF-loaded tokenizer saves the whole source GGUF as its "vocab file"; the converter
    # would take it for a SentencePiece model. tokenizer.json has everything it needs.
    stray = os.path.join(hf_dir, "tokenizer.model")
    if os.path.exists(stray):
        os.remove(stray)
    trained = steps - start_step
    emit(event="done", hf_dir=hf_dir, steps=steps, train_seconds=round(train_s, 1),
         seconds_per_step=round(train_s / max(1, trained), 2),
         seconds_per_epoch=round(train_s / max(1, trained) * per_epoch, 1), load_seconds=round(load_s, 1))


if __name__ == "__main__":
    main()
