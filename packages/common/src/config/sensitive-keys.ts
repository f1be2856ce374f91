/**
 * Which configuration values are secrets, so that whatever shows a configuration (the REST API's
 * job configuration, `eddy status`, logs) shows HIDDEN_CONTENT instead. Flink's rule
 * (GlobalConfiguration.isSensitive): a key is sensitive when it contains one of these words,
 * case-insensitively; `security.auth.token` and `s3.secret-key` are.
 */

/** What a sensitive value is shown as (Flink's). */
export const HIDDEN_CONTENT = '******';

const SENSITIVE_KEY_PARTS = ['password', 'secret', 'fs.azure.account.key', 'apikey', 'auth-params', 'service-key', 'token', 'basic-auth', 'jaas.config', 'http-headers'];

export function isSensitiveKey(key: string): boolean {
  const lower = key.toLowerCase();
  return SENSITIVE_KEY_PARTS.some((part) => lower.includes(part));
}

/** `entries` with the value of every sensitive key replaced by HIDDEN_CONTENT. */
export function hideSensitiveValues(entries: Readonly<Record<string, string>>): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [key, value] of Object.entries(entries)) shown[key] = isSensitiveKey(key) ? HIDDEN_CONTENT : value;
  return shown;
}
