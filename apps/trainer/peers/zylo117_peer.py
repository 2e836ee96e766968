"""The PyTorch peer of `edet bench`: zylo117's EfficientDet, timed one round at a time on request.

`edet bench --pytorch DIR` starts this script with a checkout of zylo117/Yet-Another-EfficientDet-Pytorch
(the reference edet's D0-D7x weights come from) and times it in the same rounds as edet. It is never a
part of edet: it needs python3 with PyTorch (`apt-get install python3-torch`) and numpy.

Arguments: --zylo117 DIR --mode infer|train --coef N --height H --width W --batch B --threads T --classes C
--lead-in-ms MS. The model has zylo117's own initial weights (latency does not depend on them) and takes
seeded normal noise:
- infer: one eval-mode forward pass of the batch under `torch.no_grad()`, outputs computed in full.
- train: one training step as zylo117's train.py takes it: zero_grad, forward, FocalLoss (focal
  classification + smooth-L1 box loss), `cls.mean() + reg.mean()`, backward, AdamW (lr 1e-4, weight decay
  1e-2, edet's bench optimizer). Each image holds the two boxes edet's bench trains on.

Protocol, one line each way: after building the model and one untimed round it prints
`ready {"torch": VERSION, "threads": T, "stubbed": [...]}`; then each `time` line on stdin runs one round
after MS milliseconds of busy waiting and prints `ms ELAPSED`; `quit` or the end of stdin ends it. A
failure prints `error MESSAGE` and exits with status 1.
"""

import argparse
import json
import sys
import time
import traceback
import types


class Inert:
    """What a stubbed module gives for anything asked of it (zylo117 computes its drawing colours when
    imported); the peer never draws, so nothing reads it."""

    def __getattr__(self, name):
        return Inert()

    def __call__(self, *args, **kwargs):
        return Inert()


def stub_modules(names):
    """Stands in for the modules zylo117 imports only to draw and to post-process (OpenCV, webcolors,
    torchvision's NMS), where they are not installed: the peer never draws or post-processes."""
    stubbed = []
    for name in names:
        try:
            __import__(name)
        except ImportError:
            parts = name.split('.')
            for depth in range(1, len(parts) + 1):
                module_name = '.'.join(parts[:depth])
                if module_name not in sys.modules:
                    module = types.ModuleType(module_name)
                    module.__getattr__ = lambda attribute: Inert()
                    sys.modules[module_name] = module
                    if depth > 1:
                        setattr(sys.modules['.'.join(parts[: depth - 1])], parts[depth - 1], module)
            stubbed.append(name)
    return stubbed


def busy_wait(ms):
    until = time.perf_counter() + ms / 1000
    while time.perf_counter() < until:
        pass


def synthetic_annotations(torch, batch, height, width, classes):
    """edet's bench targets: two boxes per image, [x1, y1, x2, y2, class], within the shorter side."""
    side = min(height, width)
    s = side / 8
    rows = [[[s, s * (1 + i), s * 4, s * (3 + i), i % classes], [s * 4, s * 3, s * 7, s * 7, (i + 1) % classes]] for i in range(batch)]
    return torch.tensor(rows, dtype=torch.float32)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--zylo117', required=True)
    parser.add_argument('--mode', choices=['infer', 'train'], required=True)
    parser.add_argument('--coef', type=int, required=True)
    parser.add_argument('--height', type=int, required=True)
    parser.add_argument('--width', type=int, required=True)
    parser.add_argument('--batch', type=int, required=True)
    parser.add_argument('--threads', type=int, required=True)
    parser.add_argument('--classes', type=int, required=True)
    parser.add_argument('--lead-in-ms', type=float, default=0)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    sys.path.insert(0, args.zylo117)
    stubbed = stub_modules(['cv2', 'webcolors', 'torchvision.ops.boxes'])
    from backbone import EfficientDetBackbone
    from efficientdet.loss import FocalLoss

    torch.manual_seed(42)
    model = EfficientDetBackbone(num_classes=args.classes, compound_coef=args.coef)
    images = torch.randn(args.batch, 3, args.height, args.width, generator=torch.Generator().manual_seed(7))

    if args.mode == 'infer':
        model.eval()

        def run_round():
            with torch.no_grad():
                model(images)

    else:
        model.train()
        criterion = FocalLoss()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-2)
        annotations = synthetic_annotations(torch, args.batch, args.height, args.width, args.classes)

        def run_round():
            optimizer.zero_grad()
            _, regression, classification, anchors = model(images)
            cls_loss, reg_loss = criterion(classification, regression, anchors, annotations)
            loss = cls_loss.mean() + reg_loss.mean()
            loss.backward()
            optimizer.step()

    run_round()
    print('ready ' + json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'stubbed': stubbed}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == 'quit':
            break
        if command != 'time':
            raise ValueError(f'unknown command {command!r} (expected time or quit)')
        busy_wait(args.lead_in_ms)
        start = time.perf_counter()
        run_round()
        print(f'ms {(time.perf_counter() - start) * 1000:.3f}', flush=True)


if __name__ == '__main__':
    try:
        main()
    except Exception as error:  # reported to edet as one line; the trace goes to stderr
        traceback.print_exc()
        print('error ' + ' '.join(f'{type(error).__name__}: {error}'.split()), flush=True)
        sys.exit(1)
