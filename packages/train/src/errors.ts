import { EdetError } from '@edet/tensor';

/**
 * An error of `@edet/train`: a run that cannot go on (a non-finite loss, a checkpoint that does not fit the
 * model, a gradient worker that failed). Its message is one sentence that names the argument or file and
 * what was expected, fit to show to the person who started the run.
 */
export class TrainError extends EdetError {}
