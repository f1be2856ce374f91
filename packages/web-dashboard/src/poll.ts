/**
 * Live updates by polling: a page asks for what it shows, then again 1 s after each answer (never
 * two requests of one poll in flight, so a slow JobManager gets fewer requests, not a queue). The
 * timer ends when the page's component unmounts or its inputs change.
 */
import { useEffect, useState } from 'preact/hooks';

/** How often pages refresh. */
export const POLL_INTERVAL_MS = 1_000;

export interface Polled<T> {
  /** The last answer; kept while a later poll fails, so a page does not blank on one lost request. */
  readonly data: T | undefined;
  /** The last poll's error, cleared by the next success. */
  readonly error: unknown;
  /** Number of answers so far (a change re-renders pages that derive rates). */
  readonly updates: number;
}

export function usePoll<T>(load: () => Promise<T>, deps: readonly unknown[], intervalMs = POLL_INTERVAL_MS): Polled<T> {
  const [state, setState] = useState<Polled<T>>({ data: undefined, error: undefined, updates: 0 });
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({ data: undefined, error: undefined, updates: 0 });
    const tick = async (): Promise<void> => {
      try {
        const data = await load();
        if (!stopped) setState((previous) => ({ data, error: undefined, updates: previous.updates + 1 }));
      } catch (error) {
        if (!stopped) setState((previous) => ({ ...previous, error }));
      }
      if (!stopped) timer = setTimeout(() => void tick(), intervalMs);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, deps);
  return state;
}
