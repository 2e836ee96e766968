import type { ModelManifest } from './model-manifest.js';

/**
 * One plain sentence on what a trained model can detect, for the CLI and the demo to show beside its
 * detections: a model trained on blood cells draws confident blood-cell boxes on a photo of giraffes, and a
 * user must not take them for detections.
 * @param manifest the model's manifest (its name, labels and training data)
 * @returns the sentence, or `undefined` for a manifest marked untrained (its own notice says more)
 */
export function modelScopeNotice(manifest: Pick<ModelManifest, 'name' | 'labels' | 'dataset' | 'trained'>): string | undefined {
  if (manifest.trained === false) return undefined;
  const classes = manifest.labels.filter((label) => label !== '');
  const trainedOn = typeof manifest.dataset === 'string' && manifest.dataset !== '' ? ` (trained on ${manifest.dataset})` : '';
  return (
    `${manifest.name} knows only ${listInWords(classes)}${trainedOn}: on images of anything else its boxes mean nothing. ` +
    'Load weights trained for your objects to detect them.'
  );
}

/** `a`, `a and b`, `a, b and c`. */
function listInWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
