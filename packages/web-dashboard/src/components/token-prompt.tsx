/** The form that asks for the cluster's auth token when the JobManager answers 401 (auth.ts). */
import { useEffect, useState } from 'preact/hooks';
import { authToken, onAuthRequired, setAuthToken } from '../auth.js';

export function TokenPrompt() {
  const [required, setRequired] = useState(false);
  const [value, setValue] = useState('');
  useEffect(() => onAuthRequired(setRequired), []);
  if (!required) return null;
  const hadToken = authToken() !== undefined;
  return (
    <form
      class="token-prompt"
      data-form="auth-token"
      onSubmit={(event) => {
        event.preventDefault();
        setAuthToken(value.trim());
        setValue('');
      }}
    >
      <label>
        {hadToken ? 'The JobManager refused the token this tab has. ' : 'This JobManager needs its auth token (security.auth.token). '}
        <input type="password" name="token" autocomplete="off" placeholder="token" value={value} onInput={(event) => setValue((event.target as HTMLInputElement).value)} />
      </label>
      <button type="submit">Sign in</button>
    </form>
  );
}
