/**
 * The labelling section: images added to a list and shown one at a time in the box editor; the boxes drawn
 * on them are exported as a COCO instances file, or handed to the Train section as that file plus the
 * images, as if they had been chosen there (the same reader, so the same checks and the same split).
 */
import { IMAGE_FILE } from '../train/read-upload.js';
import type { TrainingSection } from '../train/train-section.js';
import { BoxEditor } from './box-editor.js';
import { type ClassedBox, type LabelledImage, classesInUse, labelsToCoco } from './coco-labels.js';
import { labelElements } from './label-elements.js';

/** The name the labels are exported and trained under. */
export const LABELS_FILE = 'labels.json';
/** The training worker's decoding, so that the sizes written in the file are the sizes it trains on. */
const DECODE: ImageBitmapOptions = { colorSpaceConversion: 'none', premultiplyAlpha: 'none' };

/** An image of the list: its file, its size, and its boxes (changed in place by the editor). */
interface ListedImage extends LabelledImage {
  file: File;
  boxes: ClassedBox[];
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : /(s|x)$/.test(word) ? 'es' : 's'}`;

/** Wires the labelling section; "Train on these labels" hands the files to `training`. */
export function setUpLabelling(training: Pick<TrainingSection, 'useFiles'>): void {
  const elements = labelElements();
  const images: ListedImage[] = [];
  /** The image the counter and the arrows are at; `editing` is the one whose pixels the editor shows. */
  let current = -1;
  let editing: ListedImage | undefined;
  let bitmap: ImageBitmap | undefined;
  let request = 0;
  let classes: string[] = [];
  let exportUrl: string | undefined;
  let adding = Promise.resolve();

  const showError = (text: string | undefined) => {
    elements.error.hidden = text === undefined;
    elements.error.textContent = text ?? '';
  };

  /** The class list of the datalist: the classes in use, in first-use order. */
  function refreshClassList(): void {
    elements.classes.replaceChildren(...classes.map((name) => Object.assign(document.createElement('option'), { value: name })));
  }

  /** Counter, arrows, delete button and summary, after any change. The datalist waits for a finished class name (`refreshClassList`). */
  function refresh(): void {
    classes = classesInUse(images);
    const boxes = images.reduce((sum, image) => sum + image.boxes.length, 0);
    const image = images[current];
    elements.counter.textContent = image === undefined ? 'no images' : `${current + 1} / ${images.length}: ${image.fileName} (${plural(image.boxes.length, 'box')})`;
    elements.previous.disabled = current <= 0;
    elements.next.disabled = current >= images.length - 1;
    elements.remove.disabled = editor.selected === undefined;
    elements.summary.textContent = `${plural(images.length, 'image')}, ${plural(boxes, 'box')}, ${plural(classes.length, 'class')}${classes.length ? `: ${classes.join(', ')}` : ''}`;
    Object.assign(elements.summary.dataset, { images: String(images.length), boxes: String(boxes), classes: String(classes.length) });
  }

  const editor: BoxEditor = new BoxEditor(elements.canvas, {
    newClass: () => elements.className.value.trim(),
    classIndex: (name) => classes.indexOf(name),
    changed: (what) => {
      if (what === 'selection') {
        const box = editor.selected === undefined ? undefined : editing?.boxes[editor.selected];
        // The field shows the selected box's class; with none selected it keeps the class of the next box.
        if (box !== undefined) elements.className.value = box.className;
      }
      refresh();
      if (what === 'boxes') refreshClassList();
    },
  });

  /** Shows image `index`; a later request wins over one still decoding. */
  async function show(index: number): Promise<void> {
    const ticket = ++request;
    current = index;
    refresh();
    const image = images[index];
    let decoded: ImageBitmap;
    try {
      decoded = await createImageBitmap(image.file, DECODE);
    } catch (error) {
      if (ticket === request) showError(`images: ${image.fileName} could not be decoded (${error instanceof Error ? error.message : String(error)})`);
      return;
    }
    if (ticket !== request) return decoded.close();
    editing = image;
    editor.show(decoded, image.boxes);
    bitmap?.close();
    bitmap = decoded;
    elements.canvas.dataset.image = image.fileName;
    refresh();
  }

  /** Adds the images to the list (by file name: a name already listed is skipped), and shows the first one if none is shown. */
  async function add(files: readonly File[]): Promise<void> {
    const skipped: string[] = [];
    for (const file of files) {
      if (!IMAGE_FILE.test(file.name)) {
        skipped.push(`${file.name} (expected a .jpg, .jpeg, .png, .gif, .bmp or .webp image)`);
      } else if (images.some((image) => image.fileName === file.name)) {
        skipped.push(`${file.name} (an image of that name is already listed)`);
      } else {
        try {
          // Decoded once for its size: only the shown image is kept decoded.
          const decoded = await createImageBitmap(file, DECODE);
          images.push({ file, fileName: file.name, width: decoded.width, height: decoded.height, boxes: [] });
          decoded.close();
        } catch {
          skipped.push(`${file.name} (not an image this browser decodes)`);
        }
      }
    }
    showError(skipped.length > 0 ? `images: skipped ${skipped.length}: ${skipped.join('; ')}` : undefined);
    if (editing === undefined && images.length > 0) await show(0);
    else refresh();
  }

  function exportLabels(): void {
    try {
      const text = JSON.stringify(labelsToCoco(images));
      if (exportUrl !== undefined) URL.revokeObjectURL(exportUrl);
      exportUrl = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      const link = Object.assign(document.createElement('a'), { href: exportUrl, download: LABELS_FILE });
      link.click();
      showError(undefined);
    } catch (error) {
      showError(error instanceof Error ? error.message : String(error));
    }
  }

  function trainOnLabels(): void {
    try {
      const json = new File([JSON.stringify(labelsToCoco(images))], LABELS_FILE, { type: 'application/json' });
      training.useFiles([json, ...images.map((image) => image.file)]);
      showError(undefined);
      document.getElementById('train')?.scrollIntoView({ block: 'start' });
    } catch (error) {
      showError(error instanceof Error ? error.message : String(error));
    }
  }

  elements.files.addEventListener('change', () => {
    const files = [...(elements.files.files ?? [])];
    elements.files.value = '';
    // One batch after another, so that the name check sees the images of earlier batches.
    adding = adding.then(() => add(files));
  });
  elements.previous.addEventListener('click', () => {
    if (current > 0) void show(current - 1);
  });
  elements.next.addEventListener('click', () => {
    if (current < images.length - 1) void show(current + 1);
  });
  elements.className.addEventListener('input', () => editor.setSelectedClass(elements.className.value));
  elements.className.addEventListener('change', refreshClassList);
  elements.remove.addEventListener('click', () => editor.deleteSelected());
  elements.exportCoco.addEventListener('click', exportLabels);
  elements.train.addEventListener('click', trainOnLabels);
  elements.canvas.hidden = true;
  refresh();
}
