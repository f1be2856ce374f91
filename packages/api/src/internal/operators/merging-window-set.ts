import type { MergingWindowAssigner } from '../../windowing/assigners.js';
import type { Window } from '../../windowing/windows.js';

/**
 * What a merge does to state: `mergeResult` replaces `mergedWindows`; the contents of
 * `mergedStateWindows` go into `stateWindowResult` (Flink's MergingWindowSet.MergeFunction).
 */
export interface MergeFunction<W> {
  merge(mergeResult: W, mergedWindows: W[], stateWindowResult: W, mergedStateWindows: W[]): void;
}

/**
 * The session windows of one key in flight (Flink's MergingWindowSet). Each window maps to the
 * window its state is kept under: when windows merge, the state of one of them stays where it is
 * and the others' is merged into it, so a merge moves as little state as possible. The mapping is
 * persisted in the operator's keyed state as [window id, state window id] pairs.
 */
export class MergingWindowSet<W extends Window> {
  /** window id -> [window, state window]. */
  private readonly mapping = new Map<string, [W, W]>();
  private readonly initial: string;

  constructor(
    private readonly assigner: MergingWindowAssigner<unknown, W>,
    private readonly idOf: (window: W) => string,
    private readonly windowOf: (id: string) => W,
    persisted: readonly (readonly [string, string])[] | undefined,
  ) {
    for (const [id, stateId] of persisted ?? []) this.mapping.set(id, [windowOf(id), windowOf(stateId)]);
    this.initial = this.signature();
  }

  /** The window whose state holds `window`'s contents; undefined when `window` is not in flight. */
  getStateWindow(window: W): W | undefined {
    return this.mapping.get(this.idOf(window))?.[1];
  }

  /** Removes a window that was purged for good. */
  retireWindow(window: W): void {
    if (!this.mapping.delete(this.idOf(window))) throw new Error(`Window ${String(window)} is not in in-flight window set.`);
  }

  /**
   * Adds `newWindow`, merging it with the windows in flight it overlaps; calls `mergeFunction` for
   * every merge that involves existing state. Returns the window `newWindow` ended up in.
   */
  addWindow(newWindow: W, mergeFunction: MergeFunction<W>): W {
    const windows = [...this.mapping.values()].map(([window]) => window);
    windows.push(newWindow);
    const results: [W, W[]][] = [];
    this.assigner.mergeWindows(windows, (toBeMerged, mergeResult) => results.push([mergeResult, toBeMerged]));
    const newId = this.idOf(newWindow);
    let resultWindow = newWindow;
    let mergedNewWindow = false;
    for (const [mergeResult, toBeMerged] of results) {
      const mergedWindows = toBeMerged.filter((window) => this.idOf(window) !== newId);
      if (mergedWindows.length !== toBeMerged.length) {
        mergedNewWindow = true;
        resultWindow = mergeResult;
      }
      const first = mergedWindows[0];
      if (first === undefined) continue;
      const mergedStateWindow = (this.mapping.get(this.idOf(first)) as [W, W])[1];
      const mergedStateWindows: W[] = [];
      for (const window of mergedWindows) {
        const id = this.idOf(window);
        const entry = this.mapping.get(id);
        this.mapping.delete(id);
        if (entry !== undefined && this.idOf(entry[1]) !== this.idOf(mergedStateWindow)) mergedStateWindows.push(entry[1]);
      }
      this.mapping.set(this.idOf(mergeResult), [mergeResult, mergedStateWindow]);
      // Only the new window merged into one existing window that contains it: nothing to merge.
      const resultId = this.idOf(mergeResult);
      if (!(mergedWindows.length === 1 && this.idOf(first) === resultId)) {
        mergeFunction.merge(mergeResult, mergedWindows, mergedStateWindow, mergedStateWindows);
      }
    }
    if (results.length === 0 || (this.idOf(resultWindow) === newId && !mergedNewWindow)) this.mapping.set(newId, [resultWindow, resultWindow]);
    return resultWindow;
  }

  /** The pairs to persist, or undefined when nothing changed since this set was read. */
  changedState(): [string, string][] | undefined {
    if (this.signature() === this.initial) return undefined;
    return [...this.mapping].map(([id, [, state]]) => [id, this.idOf(state)]);
  }

  /** The windows in flight (for tests and messages). */
  windows(): W[] {
    return [...this.mapping.values()].map(([window]) => window);
  }

  private signature(): string {
    let text = '';
    for (const [id, [, state]] of this.mapping) text += `${id}=${this.idOf(state)};`;
    return text;
  }
}
