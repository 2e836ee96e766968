/**
 * The Train section's offer to resume a run that did not finish (the tab was closed, reloaded or crashed):
 * on page load, when IndexedDB holds a run with a checkpoint (`checkpoint-store.ts`), a prompt names it and
 * how far it got, with Resume and Discard. The prompt's `data-checked` is set once the lookup is done.
 */
import { byId } from '../page/elements.js';
import { type UnfinishedRun, clearRun, findUnfinishedRun } from './checkpoint-store.js';

/** The prompt's text for a stored run. */
export function describeUnfinishedRun({ run, summary }: UnfinishedRun): string {
  const { settings } = run;
  const saved = new Date(summary.savedAt).toLocaleString();
  return (
    `An unfinished training run is saved in this browser: ${settings.model} at ${settings.inputSize} px on ${run.samples.length} images ` +
    `(${settings.classNames.join(', ')}), step ${summary.progress.step} of ${settings.steps} (epoch ${summary.progress.epoch}), saved ${saved}.`
  );
}

/**
 * Looks for an unfinished run and, when there is one, shows the prompt; `resume` is called on Resume
 * (the prompt hides), Discard forgets the run. Returns `hide` for a new run, which replaces the stored one.
 */
export function offerResume(resume: (found: UnfinishedRun) => void): { hide(): void } {
  const offer = byId('train-resume-offer', HTMLElement);
  const text = byId('train-resume-text', HTMLElement);
  const resumeButton = byId('train-resume', HTMLButtonElement);
  const discardButton = byId('train-discard', HTMLButtonElement);
  let found: UnfinishedRun | undefined;
  // Once a run starts (or the offer is answered) a late answer from IndexedDB is not shown.
  let answered = false;
  const hide = () => {
    offer.hidden = true;
    found = undefined;
    answered = true;
  };
  resumeButton.addEventListener('click', () => {
    const run = found;
    hide();
    if (run) resume(run);
  });
  discardButton.addEventListener('click', () => {
    hide();
    void clearRun();
  });
  findUnfinishedRun()
    .then((run) => {
      if (run === undefined || answered) return;
      found = run;
      text.textContent = describeUnfinishedRun(run);
      Object.assign(offer.dataset, { step: String(run.summary.progress.step), steps: String(run.run.settings.steps), sha256: run.summary.sha256 });
      offer.hidden = false;
    })
    // No IndexedDB (or a damaged database): nothing to offer; new runs say so when they start.
    .catch(() => undefined)
    .finally(() => (offer.dataset.checked = 'true'));
  return { hide };
}
