/** A box in image pixels with its class index: `[x1, y1, x2, y2, classId]`. */
export type Box = [number, number, number, number, number];

/** One image of a dataset split and its boxes. */
export interface Sample {
  /** Path of the image file: under the dataset folder as it was given (relative to the working folder, or absolute). */
  file: string;
  /** The name the annotations use (`BloodImage_00000.jpg`), for messages. */
  name: string;
  /** Size the annotations declare (boxes were clipped to it); 0 when they do not say. */
  width: number;
  height: number;
  /** Boxes already converted, clipped and checked (see `boxes.ts`). */
  boxes: Box[];
  /** The dataset's own image id (COCO `image.id`; VOC: the index in the split), for evaluation. */
  imageId: number;
}

/** What was wrong with the annotations and what was done about it. */
export interface AnnotationIssue {
  image: string;
  /** `dropped` or `clipped`. */
  action: 'dropped' | 'clipped';
  reason: string;
}

/** A loaded dataset split. */
export interface DetectionDataset {
  format: 'coco' | 'voc';
  /** The folder given (or the bundled one). */
  root: string;
  split: string;
  /** Class names by class index (0..C-1). */
  classNames: string[];
  /** COCO category id of each class index (VOC: index + 1), for COCO-style evaluation. */
  categoryIds: number[];
  samples: Sample[];
  /** Box problems found while loading (already fixed or dropped). */
  issues: AnnotationIssue[];
  /** Other things worth a line when loading (crowd regions left out, difficult objects, ...). */
  notes: string[];
  /** The split's annotations in COCO form, for mAP (COCO: the instances file itself, crowd regions included). */
  groundTruth: GroundTruth;
  /** Where the annotations came from (the instances file, or the Annotations folder). */
  annotationSource: string;
}

/** A COCO detection ground truth, the fields an evaluation reads. */
export interface GroundTruth {
  images: { id: number; file_name?: string; width?: number; height?: number }[];
  annotations: { id: number; image_id: number; category_id: number; bbox: [number, number, number, number]; area?: number; iscrowd?: number }[];
  categories: { id: number; name: string }[];
}

/** A ground truth built from checked samples (VOC, or anything not read from a COCO file). */
export function groundTruthOf(samples: readonly Sample[], classNames: readonly string[], categoryIds: readonly number[]): GroundTruth {
  let id = 0;
  return {
    images: samples.map((sample) => ({ id: sample.imageId, file_name: sample.name, width: sample.width, height: sample.height })),
    annotations: samples.flatMap((sample) =>
      sample.boxes.map(([x1, y1, x2, y2, classId]) => ({
        id: ++id,
        image_id: sample.imageId,
        category_id: categoryIds[classId],
        bbox: [x1, y1, x2 - x1, y2 - y1] as [number, number, number, number],
        area: (x2 - x1) * (y2 - y1),
        iscrowd: 0,
      })),
    ),
    categories: classNames.map((name, index) => ({ id: categoryIds[index], name })),
  };
}
