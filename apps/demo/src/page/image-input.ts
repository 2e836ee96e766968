/**
 * Wires the three ways to pick an image (file picker, drag and drop, sample buttons) to one callback that
 * receives the image's bytes and a name.
 */
export function wireImageInputs(options: {
  fileInput: HTMLInputElement;
  dropZone: HTMLElement;
  sampleButtons: Iterable<HTMLButtonElement>;
  samplesUrl: string;
  onImage: (blob: Blob, name: string) => void;
  onError: (message: string) => void;
}): void {
  const { fileInput, dropZone, onImage, onError } = options;
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    if (file) onImage(file, file.name);
    fileInput.value = '';
  });
  dropZone.addEventListener('dragover', (event) => {
    event.preventDefault();
    dropZone.classList.add('dragging');
  });
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dragging'));
  dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    dropZone.classList.remove('dragging');
    const file = [...(event.dataTransfer?.files ?? [])].find((candidate) => candidate.type.startsWith('image/'));
    if (file) onImage(file, file.name);
    else onError('drop an image file (JPEG, PNG, WebP, ...)');
  });
  for (const button of options.sampleButtons) {
    button.addEventListener('click', async () => {
      const file = button.dataset.sample ?? '';
      try {
        const response = await fetch(new URL(file, options.samplesUrl));
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        onImage(await response.blob(), file);
      } catch (error) {
        onError(`cannot load the sample ${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  }
}
