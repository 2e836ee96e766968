/**
 * Runs up to `lookahead` tasks ahead of the consumer and yields their results in order. Image decoding in
 * @napi-rs/canvas runs on libuv's thread pool, so batches decode while the training step computes; the JS
 * parts (resampling) run in the gaps between steps. A task that fails rejects when its turn comes (not
 * earlier, and never as an unhandled rejection). Stopping the loop early leaves the tasks in flight to
 * finish on their own; they hold no tensors.
 */
export async function* prefetch<T>(tasks: Iterable<() => Promise<T>>, lookahead: number): AsyncGenerator<T, void, undefined> {
  const iterator = tasks[Symbol.iterator]();
  const queue: Promise<T>[] = [];
  const fill = () => {
    while (queue.length < Math.max(1, lookahead)) {
      const next = iterator.next();
      if (next.done) return;
      const promise = next.value();
      // Handled here so that a failure waiting in the queue is not reported as unhandled; awaiting it below still throws.
      promise.catch(() => undefined);
      queue.push(promise);
    }
  };
  fill();
  while (queue.length > 0) {
    const result = await queue.shift()!;
    fill();
    yield result;
  }
}
