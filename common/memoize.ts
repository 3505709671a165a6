/** Compiled values are kept, a bounded number: text from outside must not grow memory without limit. */
const MAX_CACHED = 1000;

/** `build` with its results cached by key; past MAX_CACHED entries the oldest is dropped. */
export function memoized<T>(build: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = build(key);
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
      cache.set(key, value);
    }
    return value;
  };
}
