import { CocoInputError } from './errors.js';

import type { CocoCategory } from './coco-format.js';

/**
 * The correspondence between a dataset's COCO category ids and the model's class indices: categories
 * sorted by ascending id take indices 0, 1, 2, ... So BCCD's ids 1, 2, 3 become classes 0, 1, 2, and
 * COCO's 80 non-contiguous ids 1..90 become 0..79. Training and evaluation both use this mapping, so a
 * model trained on a dataset is evaluated with the same class order.
 */
export interface CategoryMap {
  /** Category ids in class-index order: `categoryIds[classIndex]`. */
  readonly categoryIds: readonly number[];
  /** Category names in class-index order, the model's class names. */
  readonly names: readonly string[];
  /** The number of classes, i.e. of categories. */
  readonly size: number;
  /** @throws CocoInputError for an id the dataset does not declare */
  classIndexOf(categoryId: number): number;
  /** @throws CocoInputError for an index outside `[0, size)` */
  categoryIdOf(classIndex: number): number;
}

/**
 * Builds the category map of a dataset's `categories` (file order does not matter).
 * @throws CocoInputError for an empty list or a duplicate id
 */
export function categoryMap(categories: readonly CocoCategory[]): CategoryMap {
  if (categories.length === 0) throw new CocoInputError('categories', 'at least one category', 'none');
  const sorted = [...categories].sort((a, b) => a.id - b.id);
  sorted.forEach((category, index) => {
    if (index > 0 && sorted[index - 1].id === category.id) {
      throw new CocoInputError('categories', 'unique category ids', `id ${category.id} twice`);
    }
  });
  const categoryIds = Object.freeze(sorted.map((category) => category.id));
  const indexOf = new Map(categoryIds.map((id, index) => [id, index]));
  return {
    categoryIds,
    names: Object.freeze(sorted.map((category) => category.name)),
    size: categoryIds.length,
    classIndexOf(categoryId) {
      const index = indexOf.get(categoryId);
      if (index === undefined) throw new CocoInputError('categoryId', `one of ${categoryIds.join(', ')}`, String(categoryId));
      return index;
    },
    categoryIdOf(classIndex) {
      const id = categoryIds[classIndex];
      if (!Number.isInteger(classIndex) || id === undefined) {
        throw new CocoInputError('classIndex', `an integer from 0 to ${categoryIds.length - 1}`, String(classIndex));
      }
      return id;
    },
  };
}
