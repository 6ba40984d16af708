/**
 * A page loaded on its first visit: its module becomes a chunk of its own (Vite splits at a dynamic
 * import), so what few operators open stays out of the script every console loads first.
 */
import type { ComponentType, FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** A component whose module `load` imports when it is first drawn; "Loading…" meanwhile. */
export function lazy<P extends object>(load: () => Promise<ComponentType<P>>): FunctionComponent<P> {
  let loaded: ComponentType<P> | undefined;
  let loading: Promise<ComponentType<P>> | undefined;
  return function Lazy(props: P) {
    const [, setReady] = useState(false);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (loaded) return;
      loading ??= load();
      loading.then(
        (component) => {
          loaded = component;
          setReady(true);
        },
        () => {
          // Tried again on the next visit: the chunk may be back, or the connection.
          loading = undefined;
          setFailed(true);
        },
      );
    }, []);
    if (loaded) {
      const Component = loaded;
      return <Component {...props} />;
    }
    if (failed) {
      return (
        <p class="page error" role="alert">
          This page could not be loaded. Check the connection and reload the console (a new version may have been
          installed).
        </p>
      );
    }
    return <p class="page loading">Loading…</p>;
  };
}
