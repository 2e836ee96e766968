import { DataError } from './errors.js';
import { childElement, childElements, childText, parseXml } from './xml.js';

/** One object of a VOC annotation file. */
export interface VocObject {
  name: string;
  difficult: boolean;
  /** `xmin, ymin, xmax, ymax` as written (VOC pixels, used without a shift, as the shared datasets do). */
  box: [number, number, number, number];
}

/** What a VOC annotation file says about one image. */
export interface VocAnnotation {
  filename: string | undefined;
  /** Declared size; 0 when absent. */
  width: number;
  height: number;
  objects: VocObject[];
}

/**
 * Reads the VOC subset edet needs from one annotation file's text.
 * @throws XmlError for malformed XML, DataError when the root is not `<annotation>`
 */
export function parseVocAnnotation(xml: string): VocAnnotation {
  const root = parseXml(xml);
  if (root.name !== 'annotation') throw new DataError(`the root element is <${root.name}>, not <annotation>`);
  const size = childElement(root, 'size');
  const number = (text: string | undefined) => (text === undefined || text.trim() === '' ? NaN : Number(text));
  const side = (name: string) => {
    const value = number(size && childText(size, name));
    return Number.isFinite(value) && value > 0 ? value : 0;
  };
  const objects = childElements(root, 'object').map((object): VocObject => {
    const bndbox = childElement(object, 'bndbox');
    const corner = (name: string) => number(bndbox && childText(bndbox, name));
    return {
      name: (childText(object, 'name') ?? '').trim(),
      difficult: (childText(object, 'difficult') ?? '0').trim() === '1',
      box: [corner('xmin'), corner('ymin'), corner('xmax'), corner('ymax')],
    };
  });
  return { filename: childText(root, 'filename')?.trim() || undefined, width: side('width'), height: side('height'), objects };
}

