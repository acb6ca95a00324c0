/** A stream opened up to its first part. */
export interface Opened<P> {
  readonly first: P;
  /** The rest of the stream, past `first`. */
  readonly rest: AsyncIterator<P>;
}

/**
 * The stream barrier: opens `source` and waits for its first part, so that a stream can
 * fail over like any answer until then. Resolves undefined for a stream that ended without
 * a part. A failure before the first part closes the stream and rejects with it.
 */
export async function firstPart<P>(source: AsyncIterable<P>): Promise<Opened<P> | undefined> {
  const rest = source[Symbol.asyncIterator]();
  let first: IteratorResult<P>;
  try {
    first = await rest.next();
  } catch (error) {
    await rest.return?.().catch(() => {});
    throw error;
  }
  return first.done ? undefined : { first: first.value, rest };
}
