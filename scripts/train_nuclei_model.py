#!/usr/bin/env python3
"""Trains CellColoc's built-in nuclei network `cellcoloc-nuclei` (issue 22) and exports it to ONNX.

Cellpose's formulation (Stringer et al., Nature Methods 18:100, 2021; cellpose 3 `train.train_seg`):
a U-Net predicts, per pixel, the flow field (dY, dX) — targets from the instance labels by Cellpose's heat
diffusion `masks_to_flows`, precomputed by the project's own TypeScript implementation
(scripts/make-flow-targets.ts → src/segmentation/cellpose/dynamics/masks-to-flows.ts, Cellpose 3 CPU variant) —
and the cell-probability logit. Loss = MSE(net dY/dX, 5 × unit flows) / 2 + BCE-with-logits(cellprob, label > 0)
(cellpose 3 `_loss_fn_seg`). Images are normalised to their 1st/99th percentiles (NumPy linear), as the
backend does at inference. Augmentation as cellpose 3 `random_rotate_and_resize`: random rotation (any angle)
and flip, scale = (diam_mean / image diameter) × U(0.75, 1.25), flow vectors rotated/flipped with the image;
plus intensity jitter (gain, offset) in normalised units. Fixed seeds.

Data: BBBC039 `train/` only (CC0); `dev/` for checkpoint selection (loss on whole dev images) and the final
report. No other BBBC039 image is read.

Usage (maintainers only; users never run this):
  node --import tsx scripts/make-flow-targets.ts              # flow targets → .cache/nuclei-train/
  nice -n 19 /usr/bin/python3 scripts/train_nuclei_model.py    # → models/cellcoloc-nuclei.onnx
  npm run eval:nuclei -- --methods cellcoloc-nuclei            # dev F1 through the real pipeline

Needs Debian's python3-torch (1.13), python3-onnx, python3-tifffile, python3-numpy.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import tifffile
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# ---------------------------------------------------------------- data

def normalize99(img):
    """Cellpose `normalize99`: (x - p1) / (p99 - p1), NumPy 'linear' percentiles, float32."""
    x = img.astype(np.float32)
    p1, p99 = np.percentile(x, [1, 99])
    if p99 - p1 <= 1e-3:
        return np.zeros_like(x)
    return (x - p1) / (p99 - p1)


def diameter_of(labels):
    """Cellpose `utils.diameters`: median over objects of sqrt(area), divided by sqrt(pi)/2 (px)."""
    counts = np.bincount(labels.ravel())[1:]
    counts = counts[counts > 0]
    if len(counts) == 0:
        return 0.0
    return float(np.median(np.sqrt(counts)) / (math.sqrt(math.pi) / 2))


def load_split(data_dir, flows_dir, split):
    idx = json.load(open(os.path.join(flows_dir, split, 'index.json')))
    imgs, flows, masks, diams, names = [], [], [], [], []
    for e in idx:
        name, Y, X = e['name'], e['Y'], e['X']
        img = tifffile.imread(os.path.join(data_dir, split, 'images', name + '.tif'))
        lab = tifffile.imread(os.path.join(data_dir, split, 'labels', name + '_labels.tif')).astype(np.int64)
        assert img.shape == (Y, X) and lab.shape == (Y, X), name
        fl = np.fromfile(os.path.join(flows_dir, split, name + '.flows.f32'), dtype='<f4').reshape(2, Y, X)
        imgs.append(normalize99(img))
        flows.append(fl)
        masks.append((lab > 0).astype(np.float32))
        diams.append(diameter_of(lab))
        names.append(name)
    return names, imgs, flows, masks, diams


def all_diameters(data_dir, split):
    """Per-object equivalent diameters 2·sqrt(area/π) over a split (the training set's median → diam_mean)."""
    out = []
    d = os.path.join(data_dir, split, 'labels')
    for f in sorted(os.listdir(d)):
        lab = tifffile.imread(os.path.join(d, f)).astype(np.int64)
        c = np.bincount(lab.ravel())[1:]
        c = c[c > 0]
        out.append(np.sqrt(c) / (math.sqrt(math.pi) / 2))
    return np.concatenate(out)


class Augmenter:
    """Random crops with rotation, flip, scale and intensity jitter; flows rotated as vectors."""

    def __init__(self, imgs, flows, masks, diams, diam_mean, crop, rng):
        # one tensor per image: channels img, dY, dX, mask
        self.stacks = [torch.from_numpy(np.concatenate([i[None], f, m[None]], 0)).float()[None]
                       for i, f, m in zip(imgs, flows, masks)]
        self.rescale = [diam_mean / d if d > 0 else 1.0 for d in diams]
        self.crop = crop
        self.rng = rng

    def sample(self, n):
        c = self.crop
        xs, ys = [], []
        # output pixel grid, centred, in pixels
        g = torch.arange(c, dtype=torch.float32) - (c - 1) / 2
        gy, gx = torch.meshgrid(g, g, indexing='ij')
        for _ in range(n):
            k = int(self.rng.integers(len(self.stacks)))
            st = self.stacks[k]
            _, _, H, W = st.shape
            scale = self.rescale[k] * (0.75 + 0.5 * self.rng.random())
            theta = 2 * math.pi * self.rng.random()
            flip = self.rng.random() < 0.5
            # forward map source → output: out = s · R · F · (src − centre);  F flips x
            cos, sin = math.cos(theta), math.sin(theta)
            R = np.array([[cos, -sin], [sin, cos]])  # acting on (y, x) column vectors
            Fm = np.diag([1.0, -1.0 if flip else 1.0])
            A = scale * R @ Fm
            Ainv = np.linalg.inv(A)
            # random centre such that the crop mostly stays inside the image
            half = (c / 2) / scale
            cy = self.rng.uniform(min(half, H / 2), max(H - half, H / 2))
            cx = self.rng.uniform(min(half, W / 2), max(W - half, W / 2))
            sy = Ainv[0, 0] * gy + Ainv[0, 1] * gx + cy
            sx = Ainv[1, 0] * gy + Ainv[1, 1] * gx + cx
            # grid_sample wants (x, y) in [-1, 1] (align_corners=True: -1 ↔ pixel 0)
            grid = torch.stack([sx / (W - 1) * 2 - 1, sy / (H - 1) * 2 - 1], -1)[None]
            lin = F.grid_sample(st[:, :3], grid, mode='bilinear', padding_mode='zeros', align_corners=True)[0]
            msk = F.grid_sample(st[:, 3:], grid, mode='nearest', padding_mode='zeros', align_corners=True)[0, 0]
            img = lin[0]
            # flow vectors (dy, dx) transform with the linear part's direction: v_out ∝ R·F·v_src
            RF = torch.from_numpy(R @ Fm).float()
            dy = RF[0, 0] * lin[1] + RF[0, 1] * lin[2]
            dx = RF[1, 0] * lin[1] + RF[1, 1] * lin[2]
            # intensity jitter in normalised units (percentile normalisation varies with content)
            gain = 0.7 + 0.6 * self.rng.random()
            off = 0.1 * (self.rng.random() - 0.5)
            img = img * gain + off
            xs.append(torch.stack([img, torch.zeros_like(img)]))
            ys.append(torch.stack([dy, dx, msk]))
        return torch.stack(xs), torch.stack(ys)


# ---------------------------------------------------------------- network

class ConvBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.net(x)


class NucleiUNet(nn.Module):
    """4-level U-Net (max-pool down, nearest up, concatenated skips): [N, 2, H, W] → [N, 3, H, W] = dY, dX, cellprob.

    H, W multiples of 8 (the backend pads to multiples of 16). Two input channels as Cellpose 3's CPnet
    ([image, 0] for a single-channel image), so the backend's CPnet path runs it unchanged.
    """

    def __init__(self, nbase=(12, 24, 48, 96), cin=2):
        super().__init__()
        self.down = nn.ModuleList()
        c = cin
        for n in nbase:
            self.down.append(ConvBlock(c, n))
            c = n
        self.up = nn.ModuleList()
        for n in reversed(nbase[:-1]):
            self.up.append(ConvBlock(c + n, n))
            c = n
        self.out = nn.Conv2d(c, 3, 1)

    def forward(self, x):
        skips = []
        for i, blk in enumerate(self.down):
            x = blk(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        skips.pop()
        for blk in self.up:
            x = F.interpolate(x, scale_factor=2.0, mode='nearest')
            x = blk(torch.cat([x, skips.pop()], 1))
        return self.out(x)


def loss_fn(y, lbl):
    """cellpose 3 `_loss_fn_seg`: MSE(y[:, :2], 5 · flows) / 2 + BCE-with-logits(y[:, 2], mask > 0.5)."""
    mse = F.mse_loss(y[:, :2], 5.0 * lbl[:, :2]) / 2.0
    bce = F.binary_cross_entropy_with_logits(y[:, 2], (lbl[:, 2] > 0.5).float())
    return mse + bce


@torch.no_grad()
def dev_loss(net, imgs, flows, masks):
    """Mean loss on whole dev images (padded to a multiple of 16), in eval mode."""
    net.eval()
    tot = 0.0
    for i, f, m in zip(imgs, flows, masks):
        H, W = i.shape
        ph, pw = (-H) % 16, (-W) % 16
        x = torch.zeros(1, 2, H + ph, W + pw)
        x[0, 0, :H, :W] = torch.from_numpy(i)
        y = net(x)[:, :, :H, :W]
        lbl = torch.from_numpy(np.concatenate([f, m[None]], 0))[None]
        tot += float(loss_fn(y, lbl))
    net.train()
    return tot / len(imgs)


# ---------------------------------------------------------------- export

def export_onnx(net, path, diam_mean, tile_size, extra):
    import onnx
    net.eval()
    x = torch.zeros(1, 2, tile_size, tile_size)
    tmp = path + '.tmp'
    torch.onnx.export(net, x, tmp, input_names=['input'], output_names=['flows'], opset_version=17,
                      dynamic_axes={'input': {0: 'batch', 2: 'height', 3: 'width'},
                                    'flows': {0: 'batch', 2: 'height', 3: 'width'}},
                      do_constant_folding=True)
    m = onnx.load(tmp)
    meta = {'cellpose_version': '3', 'architecture': 'cpnet', 'input_channels': '2', 'tile_size': str(tile_size),
            'diam_mean': f'{diam_mean:.4f}', **extra}
    del m.metadata_props[:]
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key, p.value = k, str(v)
    m.producer_name = 'cellcoloc scripts/train_nuclei_model.py'
    onnx.checker.check_model(m)
    onnx.save(m, tmp)
    os.replace(tmp, path)
    net.train()


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default=os.path.join(ROOT, '..', 'shared', 'data', 'bbbc039-u2os-nuclei'))
    ap.add_argument('--flows', default=os.path.join(ROOT, '.cache', 'nuclei-train'), help='output of scripts/make-flow-targets.ts')
    ap.add_argument('--out', default=os.path.join(ROOT, 'models', 'cellcoloc-nuclei.onnx'))
    ap.add_argument('--workdir', default=os.path.join(ROOT, '.cache', 'nuclei-run'), help='checkpoints and log')
    ap.add_argument('--steps', type=int, default=0,
                    help='optimizer steps, cosine schedule by step count; 0 = schedule by wall-clock time instead, over --minutes '
                         '(the shared 2-core machine\'s throughput varies several-fold; the steps reached are printed)')
    ap.add_argument('--minutes', type=float, default=72.0, help='wall-clock budget (with --steps 0); checkpoints hold the state when it is spent')
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--crop', type=int, default=112)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--nbase', default='12,24,48,96', help='channels per level (12,24,48,96: 0.27 M parameters; the shared 2-core budget favours steps over width)')
    ap.add_argument('--eval-every', type=int, default=300)
    ap.add_argument('--tile-size', type=int, default=224)
    ap.add_argument('--threads', type=int, default=1, help='torch threads; on a loaded machine 2 threads spin-wait on each other (measured: 7x slower per step than 1)')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--resume', action='store_true', help='continue from <workdir>/last.pt')
    ap.add_argument('--export-only', action='store_true', help='export <workdir>/best.pt and evaluate')
    ap.add_argument('--no-eval', action='store_true', help='skip the final dev F1 through npm run eval:nuclei')
    a = ap.parse_args()

    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.workdir, exist_ok=True)
    log = open(os.path.join(a.workdir, 'train.log'), 'a')

    def say(s):
        print(s, flush=True)
        log.write(s + '\n')
        log.flush()

    diam_all = all_diameters(a.data, 'train')
    diam_mean = float(np.median(diam_all))
    say(f'train objects {len(diam_all)}; median nucleus diameter (diam_mean) {diam_mean:.3f} px')

    nbase = tuple(int(v) for v in a.nbase.split(','))
    net = NucleiUNet(nbase)
    say(f'parameters {sum(p.numel() for p in net.parameters())}')
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=1e-5)
    by_time = a.steps <= 0
    warm = 100

    def lr_at(step, elapsed):
        """Linear warm-up over 100 steps, then cosine to 1 % of lr over the steps (or over the time budget)."""
        if step < warm:
            return a.lr * (step + 1) / warm
        t = min(1.0, elapsed / (a.minutes * 60)) if by_time else (step - warm) / max(1, a.steps - warm)
        return a.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * t)))

    start, best = 0, (float('inf'), -1)
    if (a.resume or a.export_only) and os.path.exists(os.path.join(a.workdir, 'last.pt')):
        ck = torch.load(os.path.join(a.workdir, 'last.pt'))
        net.load_state_dict(ck['net'])
        opt.load_state_dict(ck['opt'])
        start, best = ck['step'], tuple(ck['best'])
        rng = np.random.default_rng([a.seed, start])
        say(f'resumed at step {start}')

    extra = {'training_set': 'BBBC039 train split (U2OS, Hoechst), CC0', 'nbase': a.nbase}
    if not a.export_only:
        _, ti, tf, tm, td = load_split(a.data, a.flows, 'train')
        _, di, dfl, dm, _ = load_split(a.data, a.flows, 'dev')
        # checkpoint selection on every fifth dev image (9 of 43): a whole-image pass costs ~2 training steps
        di, dfl, dm = di[::5], dfl[::5], dm[::5]
        say(f'train images {len(ti)}, dev images for checkpoint selection {len(di)}')
        aug = Augmenter(ti, tf, tm, td, diam_mean, a.crop, rng)
        net.train()
        t0 = time.time()
        step = start
        total = a.steps if not by_time else None
        lrlog = open(os.path.join(a.workdir, 'lr.txt'), 'a')
        while True:
            elapsed = time.time() - t0
            last = (step + 1 == total) if total else (elapsed + 2 * (elapsed / max(1, step - start)) > a.minutes * 60 and step > warm)
            if total is not None and step >= total:
                break
            lr = lr_at(step, elapsed)
            for gparam in opt.param_groups:
                gparam['lr'] = lr
            lrlog.write(f'{step} {lr:.6e}\n')
            x, y = aug.sample(a.batch)
            loss = loss_fn(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 25 == 0:
                el = time.time() - t0
                say(f'step {step} loss {float(loss):.4f} lr {lr:.2e} {el / (step - start + 1):.2f} s/step, {el / 60:.1f} min')
            if (step + 1) % a.eval_every == 0 or last:
                dl = dev_loss(net, di, dfl, dm)
                ck = {'net': net.state_dict(), 'opt': opt.state_dict(), 'step': step + 1, 'diam_mean': diam_mean, 'nbase': a.nbase}
                if dl < best[0]:
                    best = (dl, step + 1)
                    torch.save(ck, os.path.join(a.workdir, 'best.pt.tmp'))
                    os.replace(os.path.join(a.workdir, 'best.pt.tmp'), os.path.join(a.workdir, 'best.pt'))
                    os.makedirs(os.path.dirname(a.out), exist_ok=True)
                    export_onnx(net, a.out, diam_mean, a.tile_size, {**extra, 'training_steps': str(step + 1)})
                ck['best'] = best
                torch.save(ck, os.path.join(a.workdir, 'last.pt.tmp'))
                os.replace(os.path.join(a.workdir, 'last.pt.tmp'), os.path.join(a.workdir, 'last.pt'))
                say(f'step {step + 1}: dev loss {dl:.4f} (best {best[0]:.4f} at step {best[1]}); {(time.time() - t0) / 60:.1f} min')
            step += 1
            if last:
                break
        say(f'training done: {step} steps, {(time.time() - t0) / 60:.1f} min; best dev loss {best[0]:.4f} at step {best[1]}')
    else:
        ck = torch.load(os.path.join(a.workdir, 'best.pt'))
        net.load_state_dict(ck['net'])
        export_onnx(net, a.out, diam_mean, a.tile_size, {**extra, 'training_steps': str(ck['step'])})
        say(f'exported best checkpoint (step {ck["step"]}) to {a.out}')

    if not a.no_eval:
        cmd = ['npm', 'run', '--silent', 'eval:nuclei', '--', '--methods', 'cellcoloc-nuclei']
        say('dev F1 through the CellColoc pipeline: ' + ' '.join(cmd))
        r = subprocess.run(cmd, cwd=ROOT)
        if r.returncode != 0:
            say(f'evaluation failed (exit {r.returncode})')
            sys.exit(r.returncode)


if __name__ == '__main__':
    main()
