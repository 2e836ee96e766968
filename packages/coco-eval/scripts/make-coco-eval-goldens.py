#!/usr/bin/env python3
"""Golden files for the COCO bbox evaluator (packages/coco-eval/src), computed with pycocotools.

Two uses:

  # rebuild every fixture and golden under packages/coco-eval/test/fixtures/
  python3 packages/coco-eval/scripts/make-coco-eval-goldens.py

  # one golden for any pair of files
  python3 packages/coco-eval/scripts/make-coco-eval-goldens.py --gt GT.json --dets DETS.json --out GOLDEN.json [--use-cats 0]

Needs pycocotools==2.0.11 and numpy (pip install pycocotools==2.0.11). The synthetic fixtures and the
perturbed coco128 detections come from a seeded random.Random, so a rebuild is byte-identical; the coco128
ground truth is read from ../shared/datasets/coco128/instances_val.json (beside the repository) and copied,
without segmentation polygons, into the fixtures so that the tests need neither Python nor ../shared.
Goldens are always computed from the JSON files as written, never from in-memory objects, so the
evaluator under test and pycocotools read exactly the same floats.
"""

import argparse
import contextlib
import io
import json
import os
import random
import sys

import numpy as np
import pycocotools
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))
PACKAGE_DIR = os.path.dirname(SCRIPT_DIR)
FIXTURES = os.path.join(PACKAGE_DIR, 'test', 'fixtures')
COCO128_VAL = os.path.join(PACKAGE_DIR, '..', '..', '..', 'shared', 'datasets', 'coco128', 'instances_val.json')


# ---------------------------------------------------------------------------------------------- goldens

def _quiet(function, *args):
    """Runs a pycocotools call without its progress prints."""
    with contextlib.redirect_stdout(io.StringIO()):
        return function(*args)


def compute_golden(gt_path, dets_path, use_cats=True):
    """COCOeval(gt, dets, 'bbox') -> stats, per-class stats and sums over the precision/recall arrays."""
    coco_gt = _quiet(COCO, gt_path)
    with open(dets_path) as file:
        detections = json.load(file)
    if detections:
        coco_dt = _quiet(coco_gt.loadRes, dets_path)
    else:
        # loadRes cannot take an empty list (it reads anns[0]); an empty results set is built by hand.
        coco_dt = COCO()
        coco_dt.dataset = {'images': coco_gt.dataset['images'], 'categories': coco_gt.dataset['categories'], 'annotations': []}
        _quiet(coco_dt.createIndex)
    evaluator = COCOeval(coco_gt, coco_dt, 'bbox')
    evaluator.params.useCats = 1 if use_cats else 0
    _quiet(evaluator.evaluate)
    _quiet(evaluator.accumulate)
    _quiet(evaluator.summarize)
    stats = evaluator.stats.tolist()

    full = evaluator.eval
    per_class = []
    if use_cats:
        for k, category_id in enumerate(evaluator.params.catIds):
            # summarize() averages over the K axis; a one-category slice gives that category's numbers.
            evaluator.eval = dict(full, precision=full['precision'][:, :, k:k + 1], recall=full['recall'][:, k:k + 1])
            _quiet(evaluator.summarize)
            per_class.append({'categoryId': int(category_id), 'name': coco_gt.cats[category_id]['name'],
                              'stats': evaluator.stats.tolist()})
        evaluator.eval = full

    return {
        'generator': 'packages/coco-eval/scripts/make-coco-eval-goldens.py',
        'pycocotools': getattr(pycocotools, '__version__', '2.0.11'),
        'numpy': np.__version__,
        'groundTruth': os.path.basename(gt_path),
        'detections': os.path.basename(dets_path),
        'useCats': bool(use_cats),
        'stats': stats,
        'perClass': per_class,
        # [K][A][M] sums over the IoU and recall axes: they cover the maxDets 1 and 10 precision that the
        # 12 numbers never read.
        'precisionSums': full['precision'].sum(axis=(0, 1)).tolist(),
        'recallSums': full['recall'].sum(axis=0).tolist(),
    }


def write_golden(gt_path, dets_path, out_path, use_cats=True):
    golden = compute_golden(gt_path, dets_path, use_cats)
    with open(out_path, 'w') as file:
        file.write(_dump_object(golden))
    print(f'{os.path.relpath(out_path)}: AP {golden["stats"][0]:.4f}, AP50 {golden["stats"][1]:.4f}, AR100 {golden["stats"][8]:.4f}')


def _dump_object(value):
    """JSON with one top-level key (and one list entry) per line: compact, yet readable in a diff."""
    lines = []
    for key, item in value.items():
        if isinstance(item, list) and item and isinstance(item[0], (dict, list)):
            body = ',\n'.join('    ' + json.dumps(entry) for entry in item)
            lines.append(f'  {json.dumps(key)}: [\n{body}\n  ]')
        else:
            lines.append(f'  {json.dumps(key)}: {json.dumps(item)}')
    return '{\n' + ',\n'.join(lines) + '\n}\n'


def _write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as file:
        if isinstance(value, list):
            file.write('[\n' + ',\n'.join(json.dumps(entry) for entry in value) + '\n]\n' if value else '[]\n')
        else:
            file.write(_dump_object(value))


# ---------------------------------------------------------------------------------------------- fixtures

def _dataset(images, categories, annotations):
    return {'images': images, 'categories': categories, 'annotations': annotations}


def _image(image_id):
    return {'id': image_id, 'file_name': f'{image_id:06d}.jpg', 'width': 640, 'height': 480}


def _gt(annotation_id, image_id, category_id, box, area=None, crowd=0):
    return {'id': annotation_id, 'image_id': image_id, 'category_id': category_id, 'bbox': box,
            'area': box[2] * box[3] if area is None else area, 'iscrowd': crowd}


def _det(image_id, category_id, box, score):
    return {'image_id': image_id, 'category_id': category_id, 'bbox': box, 'score': score}


def edges_fixture():
    """Hand-made corner cases, one or two per rule of COCOeval."""
    rng = random.Random(7)
    # Category ids out of order in the file; 7 has nothing, 3 only detections, 5 only ground truth.
    categories = [{'id': 7, 'name': 'unused'}, {'id': 1, 'name': 'person'}, {'id': 2, 'name': 'crowd-prone'},
                  {'id': 3, 'name': 'no-gt'}, {'id': 5, 'name': 'no-dets'}]
    # Image ids out of order; 50 has only false positives, 60 nothing at all.
    images = [_image(i) for i in (30, 10, 20, 40, 50, 60)]
    gts, dets = [], []

    # Image 10: IoUs exactly on thresholds (10x10 boxes: IoU = overlap / 100, exact in float64).
    for n, x in enumerate((0, 100, 200, 300, 400)):
        gts.append(_gt(101 + n, 10, 1, [x, 0, 10, 10]))
    gts.append(_gt(106, 10, 1, [0, 100, 10, 10]))
    dets += [_det(10, 1, [0, 0, 10, 5], 0.9),        # IoU 0.5: matches at .50 only (>= threshold)
             _det(10, 1, [100, 0, 10, 7.5], 0.8),    # IoU 0.75 exactly: AP75's threshold
             _det(10, 1, [200, 0, 10, 5.5], 0.7),    # IoU 0.55 exactly
             _det(10, 1, [300, 0, 10, 9], 0.6),      # IoU 0.9 > linspace's 0.8999999999999999
             _det(10, 1, [400, 0, 10, 10], 0.5),     # IoU 1: capped at 1 - 1e-10 for the .95 search
             _det(10, 1, [0, 100, 10, 4.99], 0.95),  # IoU 0.499: a false positive everywhere
             _det(10, 1, [10, 0, 5, 5], 0.4),        # touches gt 101 along an edge: IoU 0
             _det(10, 1, [0, 100, 0, 10], 0.3),      # zero area
             _det(10, 1, [-5, -5, 8, 8], 0.35)]      # partly outside the image
    # Two overlapping ground truths a detection overlaps equally (IoU 180/220): the later one wins ties;
    # their areas put them in different ranges, so the ignore-last order changes the winner per range.
    gts += [_gt(107, 10, 1, [500, 100, 20, 10], area=350), _gt(108, 10, 1, [504, 100, 20, 10], area=2000)]
    dets += [_det(10, 1, [502, 100, 20, 10], 0.77), _det(10, 1, [502, 100, 20, 10], 0.77)]  # exact duplicates
    # IoU exactly 0.8999999999999999, linspace's 9th threshold (a 0.9 threshold would miss it), and one ulp below.
    gts += [_gt(110, 10, 1, [600, 0, 1, 128]), _gt(111, 10, 1, [620, 0, 1, 128])]
    dets += [_det(10, 1, [600, 0, 1, 115.19999999999999], 0.58), _det(10, 1, [620, 0, 1, 115.19999999999997], 0.57)]
    gts.append(_gt(109, 10, 5, [600, 400, 20, 20]))  # category 5: ground truth never detected
    dets += [_det(10, 3, [600, 400, 20, 20], 0.5)]   # category 3: detections without ground truth

    # Image 20: annotation id 0 (pycocotools counts its match as a false positive), area-range boundaries.
    gts.append(_gt(0, 20, 1, [50, 50, 40, 40]))
    dets.append(_det(20, 1, [50, 50, 40, 40], 0.85))
    gts.append(_gt(201, 20, 1, [200, 200, 32, 32]))         # area 1024: small and medium
    gts.append(_gt(202, 20, 1, [300, 300, 96, 96]))         # area 9216: medium and large
    gts.append(_gt(203, 20, 1, [0, 300, 50, 50], area=900))  # small by its area field, medium by its box
    gts.append(_gt(204, 20, 1, [300, 0, 200, 100]))          # large
    dets += [_det(20, 1, [200, 200, 32, 32], 0.5),   # ties with image 10's 0.5 across images
             _det(20, 1, [301, 301, 96, 96], 0.5),
             _det(20, 1, [0, 300, 50, 50], 0.45),    # matched to 203, which is ignored in 'medium'
             _det(20, 1, [310, 0, 200, 100], 0.65),  # IoU 19000/21000
             _det(20, 1, [400, 400, 32, 32], 0.2)]   # unmatched, area 1024: counts in small and medium
    gts.append(_gt(205, 20, 5, [10, 10, 60, 60]))

    # Image 30: a crowd region with a regular object inside it.
    gts += [_gt(301, 30, 2, [100, 100, 200, 200], area=30000, crowd=1), _gt(302, 30, 2, [120, 120, 50, 50])]
    dets += [_det(30, 2, [120, 120, 50, 50], 0.9),    # the regular object
             _det(30, 2, [121, 121, 50, 50], 0.9),    # same score; object taken -> the crowd (IoU = 1)
             _det(30, 2, [150, 150, 20, 20], 0.8),    # inside the crowd: ignored, crowd reused
             _det(30, 2, [280, 280, 40, 40], 0.7),    # a quarter inside: 0.25, a false positive
             _det(30, 2, [250, 100, 100, 100], 0.6),  # half inside: 0.5 exactly, ignored at .50 only
             _det(30, 2, [400, 300, 10, 10], 0.55)]   # small and far: a false positive in 'small'
    gts.append(_gt(303, 30, 1, [0, 0, 30, 30], crowd=1))  # a crowd with nothing on it
    # Image 40: ground truth of category 2 with no detection, and a flood of category 1 detections.
    gts.append(_gt(401, 40, 2, [10, 10, 100, 100]))
    for n in range(10):
        gts.append(_gt(410 + n, 40, 1, [n * 60, 200, 40, 40]))
    flood = []
    # Ranks by design: two tied best scores (the first in file order a false positive, so AR1 sees it),
    # true positives spread through the list, a block of 20 tied scores across the 100 cap.
    flood.append(_det(40, 1, [5, 5, 20, 20], 0.99))
    flood.append(_det(40, 1, [0, 200, 40, 40], 0.99))
    for n in range(1, 10):
        score = 0.3 if n >= 8 else round(0.95 - n * 0.05, 2)
        flood.append(_det(40, 1, [n * 60 + 1, 201, 40, 40], score))
    while len(flood) < 90:
        flood.append(_det(40, 1, [rng.randrange(0, 600), rng.randrange(300, 460), 16, 16],
                          round(0.9 - len(flood) * 0.005, 3)))
    while len(flood) < 130:
        flood.append(_det(40, 1, [rng.randrange(0, 600), rng.randrange(300, 460), 16, 16],
                          0.3 if len(flood) < 115 else 0.1))
    # File order decides which tied boxes make the cut; shuffle (seeded), keeping the two 0.99s in order.
    head, tail = flood[:2], flood[2:]
    rng.shuffle(tail)
    # The last true positive ties with the block and comes last in the file: ranked 115th, it is cut.
    cut = next(det for det in tail if det['bbox'] == [9 * 60 + 1, 201, 40, 40])
    tail.remove(cut)
    dets += head + tail + [cut]

    # Image 50: no ground truth, only false positives (and detections of the category without ground truth).
    dets += [_det(50, 1, [10, 10, 30, 30], 0.5), _det(50, 1, [100, 10, 120, 120], 0.45), _det(50, 3, [0, 0, 5, 5], 0.9)]
    return _dataset(images, categories, gts), dets


def random_fixture(seed=2024, flood_image=True):
    """Seeded random scenes on an integer grid, so IoUs often land on thresholds and scores often tie."""
    rng = random.Random(seed)
    categories = [{'id': c, 'name': f'class-{c}'} for c in (8, 1, 4, 2)]
    image_ids = rng.sample(range(1, 1000), 24)
    images = [_image(i) for i in image_ids]
    gts, dets = [], []
    annotation_id = 1
    for image_id in image_ids:
        for _ in range(rng.randrange(0, 9)):
            side = rng.choice([(4, 31), (33, 95), (97, 220)])
            w, h = rng.randrange(*side), rng.randrange(*side)
            x, y = rng.randrange(0, 640 - w), rng.randrange(0, 480 - h)
            category = rng.choice((1, 2, 4, 4, 8))
            area = w * h if rng.random() < 0.7 else round(w * h * rng.uniform(0.4, 1.1), 1)
            crowd = 1 if rng.random() < 0.06 else 0
            gts.append(_gt(annotation_id, image_id, category, [x, y, w, h], area=area, crowd=crowd))
            annotation_id += 1
            if rng.random() < 0.85:
                jitter = [rng.randrange(-3, 4) for _ in range(4)]
                box = [x + jitter[0], y + jitter[1], max(1, w + jitter[2]), max(1, h + jitter[3])]
                label = category if rng.random() > 0.06 else rng.choice((1, 2, 4, 8))
                dets.append(_det(image_id, label, box, round(rng.random(), 1)))
                if rng.random() < 0.12:  # duplicate, maybe with the same score
                    dets.append(_det(image_id, label, list(box), round(rng.random(), 1)))
        for _ in range(rng.randrange(0, 5)):
            w, h = rng.randrange(5, 150), rng.randrange(5, 150)
            dets.append(_det(image_id, rng.choice((1, 2, 4, 8)), [rng.randrange(0, 500), rng.randrange(0, 330), w, h],
                             round(rng.random(), 1)))
    if flood_image:
        image_id = image_ids[3]
        for _ in range(115):
            w, h = rng.randrange(5, 60), rng.randrange(5, 60)
            dets.append(_det(image_id, 4, [rng.randrange(0, 580), rng.randrange(0, 420), w, h], round(rng.random(), 1)))
    rng.shuffle(dets)
    return _dataset(images, categories, gts), dets


def degenerate_fixtures():
    """Inputs with nothing to measure: only crowd ground truth (-1 everywhere), and no detections at all (0)."""
    categories = [{'id': 1, 'name': 'a'}, {'id': 2, 'name': 'b'}]
    images = [_image(1), _image(2)]
    crowd_only = _dataset(images, categories, [_gt(1, 1, 1, [0, 0, 100, 100], crowd=1), _gt(2, 2, 2, [10, 10, 50, 50], crowd=1)])
    crowd_dets = [_det(1, 1, [10, 10, 20, 20], 0.9), _det(2, 2, [200, 200, 20, 20], 0.8)]
    no_dets = _dataset(images, categories, [_gt(1, 1, 1, [0, 0, 100, 100]), _gt(2, 2, 2, [10, 10, 50, 50]), _gt(3, 2, 1, [5, 5, 5, 5])])
    return {'crowd-only': (crowd_only, crowd_dets), 'no-detections': (no_dets, [])}


def coco128_fixture(seed=128):
    """coco128's val split (real COCO annotations: crowd, segmentation areas, 80 categories, 30 used) with
    detections made from its ground truth: jittered boxes, misses, wrong classes, duplicates, false positives
    (some of classes absent from val), and one image with more than 100 detections."""
    with open(COCO128_VAL) as file:
        source = json.load(file)
    images = [{key: image[key] for key in ('id', 'file_name', 'width', 'height')} for image in source['images']]
    categories = [{key: category[key] for key in ('id', 'name', 'supercategory')} for category in source['categories']]
    annotations = [{key: annotation[key] for key in ('id', 'image_id', 'category_id', 'bbox', 'area', 'iscrowd')}
                   for annotation in source['annotations']]
    ground_truth = _dataset(images, categories, annotations)

    rng = random.Random(seed)
    category_ids = [category['id'] for category in categories]
    by_image = {}
    for annotation in annotations:
        by_image.setdefault(annotation['image_id'], []).append(annotation)
    dets = []
    for image in sorted(images, key=lambda entry: entry['id']):
        width, height = image['width'], image['height']
        for annotation in by_image.get(image['id'], []):
            if rng.random() < 0.15:
                continue  # missed
            x, y, w, h = annotation['bbox']
            quality = rng.random()
            spread = 0.25 * (1 - quality)
            box = [x + rng.gauss(0, spread * w), y + rng.gauss(0, spread * h),
                   w * (1 + rng.gauss(0, spread)), h * (1 + rng.gauss(0, spread))]
            box = [round(box[0], 2), round(box[1], 2), round(max(box[2], 1), 2), round(max(box[3], 1), 2)]
            label = annotation['category_id'] if rng.random() > 0.07 else rng.choice(category_ids)
            score = round(min(0.999, max(0.001, 0.35 + 0.6 * quality + rng.gauss(0, 0.1))), 2)
            dets.append(_det(image['id'], label, box, score))
            if rng.random() < 0.1:
                dets.append(_det(image['id'], label, [round(v + rng.uniform(-2, 2), 2) for v in box], round(score * 0.8, 2)))
        for _ in range(rng.randrange(0, 6)):
            w, h = rng.uniform(4, width / 2), rng.uniform(4, height / 2)
            dets.append(_det(image['id'], rng.choice(category_ids),
                             [round(rng.uniform(0, width - w), 2), round(rng.uniform(0, height - h), 2), round(w, 2), round(h, 2)],
                             round(rng.uniform(0.001, 0.6), 2)))
    # One image floods a category past the 100 cap, scores on a coarse grid so that they tie.
    flood_image = sorted(images, key=lambda entry: entry['id'])[0]
    flood_category = next(a['category_id'] for a in annotations if a['image_id'] == flood_image['id'] and not a['iscrowd'])
    for _ in range(110):
        w, h = rng.uniform(8, 120), rng.uniform(8, 120)
        dets.append(_det(flood_image['id'], flood_category,
                         [round(rng.uniform(0, flood_image['width'] - w), 2), round(rng.uniform(0, flood_image['height'] - h), 2),
                          round(w, 2), round(h, 2)], round(rng.uniform(0.05, 0.5), 1)))
    return ground_truth, dets


def build_all():
    cases = {'edges': edges_fixture(), 'random': random_fixture(), **degenerate_fixtures()}
    if os.path.exists(COCO128_VAL):
        cases['coco128-val'] = coco128_fixture()
    else:
        print(f'warning: {COCO128_VAL} is missing; keeping the committed coco128-val fixture', file=sys.stderr)
    for name, (ground_truth, dets) in cases.items():
        folder = os.path.join(FIXTURES, name)
        _write_json(os.path.join(folder, 'gt.json'), ground_truth)
        _write_json(os.path.join(folder, 'dets.json'), dets)
    for name in sorted(os.listdir(FIXTURES)):
        folder = os.path.join(FIXTURES, name)
        if not os.path.isdir(folder):
            continue
        gt, dets = os.path.join(folder, 'gt.json'), os.path.join(folder, 'dets.json')
        write_golden(gt, dets, os.path.join(folder, 'golden.json'))
        if name in ('edges', 'random', 'coco128-val'):
            write_golden(gt, dets, os.path.join(folder, 'golden-class-agnostic.json'), use_cats=False)
    # The thresholds as numpy makes them, to check the evaluator's linspace bit for bit.
    from pycocotools.cocoeval import Params
    params = Params(iouType='bbox')
    with open(os.path.join(FIXTURES, 'params.json'), 'w') as file:
        json.dump({'iouThresholds': params.iouThrs.tolist(), 'recallThresholds': params.recThrs.tolist(),
                   'maxDetections': params.maxDets, 'areaRanges': params.areaRng}, file)
        file.write('\n')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--gt', help='ground-truth COCO JSON')
    parser.add_argument('--dets', help='COCO results JSON')
    parser.add_argument('--out', help='golden JSON to write')
    parser.add_argument('--use-cats', type=int, default=1, choices=(0, 1))
    args = parser.parse_args()
    if args.gt or args.dets or args.out:
        if not (args.gt and args.dets and args.out):
            parser.error('--gt, --dets and --out go together')
        write_golden(args.gt, args.dets, args.out, use_cats=bool(args.use_cats))
    else:
        build_all()


if __name__ == '__main__':
    main()
