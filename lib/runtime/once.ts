/**
 * A value built once per container (a cold start), on first use. A failed build is not kept, so
 * the next invocation tries again instead of failing for the container's whole life.
 */
export function once<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= build().catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
}
