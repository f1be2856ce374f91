/**
 * The cluster's auth token in the browser (security.auth.token; docs/security.md). A JobManager
 * with a token answers the API with 401 until a request sends `Authorization: Bearer <token>`.
 * The dashboard asks for the token when an answer is 401 (TokenPrompt), keeps it in this tab's
 * sessionStorage (gone when the tab closes, never sent to other sites, never in the URL), and
 * rest.ts sends it with every API request. No cookie: a cookie would ride along with requests
 * other sites make the browser send (CSRF), a header does not.
 */

const STORAGE_KEY = 'eddy.auth.token';

type Listener = (required: boolean) => void;
const listeners = new Set<Listener>();
let required = false;

/** The token this tab has, or undefined. */
export function authToken(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Keeps `token` for this tab ('' forgets it); the next requests send it. */
export function setAuthToken(token: string): void {
  if (token === '') sessionStorage.removeItem(STORAGE_KEY);
  else sessionStorage.setItem(STORAGE_KEY, token);
  setRequired(false);
}

/** Called by rest.ts on every answer: a 401 means the token is missing or wrong. */
export function noteAuthStatus(status: number): void {
  if (status === 401) setRequired(true);
}

/** Whether the last answers asked for the token; `listener` hears of changes until it is removed. */
export function onAuthRequired(listener: Listener): () => void {
  listeners.add(listener);
  listener(required);
  return () => listeners.delete(listener);
}

function setRequired(next: boolean): void {
  if (next === required) return;
  required = next;
  for (const listener of [...listeners]) listener(required);
}
