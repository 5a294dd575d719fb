#!/usr/bin/env python3
"""PyTorch reference for `tidal bench scale`: the same step budget on the same series.

Usage:
    python3 Scripts/torch_scale.py --data sensor.csv --target temperature --lookback 48 \
        --steps 4000 [--batch 32] [--hidden 64] [--threads 2] [--seed 0]

Prints one JSON object (train_seconds, total_seconds, steps_per_s, test_mae, ...).

Protocol (Tidal's default forecaster on the level, as far as a short loop goes):
  1. The target column as float32, in file order; n rows. Test part: rows floor(0.8 n) on
     (Tidal's ChronologicalSplit); training targets are the rows before it.
  2. Windows of `lookback` rows, horizon 1; each window is scaled by its own mean and population
     std (Tidal's `--normalize window`), the target by the same figures.
  3. Model: nn.LSTM(1, hidden) -> last hidden state -> nn.Linear(hidden, 1), plus a linear skip
     nn.Linear(lookback, 1) from the scaled window (Tidal's autoregressive skip); PyTorch's default
     initialisation after torch.manual_seed(seed).
  4. `steps` Adam steps (lr 1e-3), each on `batch` training windows drawn uniformly with
     replacement (torch.randint), MSE loss, global gradient-norm clip 1. No setting search, no
     evaluation during training.
  5. Test MAE in original units over every test window (one-step-ahead, true history).
Wall time: train_seconds is the loop alone; total_seconds includes reading the file and scoring.
"""
import argparse
import csv
import json
import os
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self, lookback, hidden):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, 1, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        self.skip = nn.Linear(lookback, 1)

    def forward(self, x):  # x: [B, L]
        out, _ = self.lstm(x.unsqueeze(-1))
        return (self.head(out[:, -1, :]) + self.skip(x)).squeeze(-1)


def scaled(windows, targets=None):
    mean = windows.mean(dim=1, keepdim=True)
    std = windows.std(dim=1, unbiased=False, keepdim=True)
    std = torch.where(std > 1e-6 * torch.clamp(mean.abs(), min=1), std, torch.ones_like(std))
    x = (windows - mean) / std
    y = None if targets is None else (targets - mean.squeeze(1)) / std.squeeze(1)
    return x, y, mean.squeeze(1), std.squeeze(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--lookback", type=int, default=48)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    start = time.perf_counter()
    torch.set_num_threads(args.threads)
    with open(args.data, newline="") as f:
        reader = csv.reader(f)
        column = next(reader).index(args.target)
        y = torch.tensor([float(row[column]) for row in reader], dtype=torch.float32)
    n, L = len(y), args.lookback
    test_start = int(n * 0.8)  # Tidal's ChronologicalSplit: floor(n · (1 − 0.2))
    windows = y.unfold(0, L, 1)  # windows[i] = y[i : i + L], target y[i + L]
    train = torch.arange(0, test_start - L)  # targets L ..< test_start
    test = torch.arange(test_start - L, n - L)  # targets test_start ..< n
    torch.manual_seed(args.seed)
    model = Net(L, args.hidden)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(args.seed)
    t0 = time.perf_counter()
    for _ in range(args.steps):
        idx = train[torch.randint(len(train), (args.batch,), generator=gen)]
        x, target, _, _ = scaled(windows[idx], y[idx + L])
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(x), target)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    train_seconds = time.perf_counter() - t0
    model.eval()
    error = 0.0
    with torch.inference_mode():
        for first in range(0, len(test), 4096):
            idx = test[first:first + 4096]
            x, _, mean, std = scaled(windows[idx])
            error += (model(x) * std + mean - y[idx + L]).abs().double().sum().item()
    print(json.dumps({
        "torch_version": torch.__version__, "rows": n, "train_windows": len(train), "test_windows": len(test),
        "steps": args.steps, "batch": args.batch, "threads": args.threads, "train_seconds": train_seconds,
        "total_seconds": time.perf_counter() - start, "steps_per_s": args.steps / train_seconds,
        "test_mae": error / len(test),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
