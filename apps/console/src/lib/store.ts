/**
 * A value that components follow: `set` replaces it and tells every listener. The console keeps its
 * live state (inbox, connection, conversations) in a few of these, outside the component tree, so
 * a session lost and found again, or a view switched, loses none of it.
 */
import { useEffect, useState } from 'preact/hooks';

/** A followed value. */
export class Store<T> {
  private readonly listeners = new Set<() => void>();

  constructor(private value: T) {}

  get(): T {
    return this.value;
  }

  set(value: T): void {
    if (Object.is(value, this.value)) return;
    this.value = value;
    for (const listener of this.listeners) listener();
  }

  /** Changes the value from the one before. */
  update(change: (value: T) => T): void {
    this.set(change(this.value));
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The store's value, rendering again when it changes. */
export function useStore<T>(store: Store<T>): T {
  const [, rerender] = useState(0);
  useEffect(() => store.subscribe(() => rerender((n) => n + 1)), [store]);
  return store.get();
}
