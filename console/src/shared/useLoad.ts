import { useCallback, useEffect, useRef, useState } from 'react';

/** The state of one load: the data once it came, the error if it failed, and a way to load again. */
export type Load<T> = { data: T | undefined; error: unknown; loading: boolean; reload: () => void };

/** Runs `load` now and whenever `deps` change; an answer that arrives after a newer request started is ignored. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Load<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const request = ++latest.current;
    setState((s) => ({ data: s.data, loading: true }));
    load().then(
      (data) => request === latest.current && setState({ data, loading: false }),
      (error) => request === latest.current && setState({ error, loading: false }),
    );
    // `load` is a new closure on every render: `deps` say when to run it again.
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}
