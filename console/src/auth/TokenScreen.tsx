import { FormEvent, useState } from 'react';
import { api, ApiError } from '../api/client';
import type { Me } from '../api/types';
import { saveToken } from './token';

/**
 * Asks for the bearer token (`persona serve` prints an admin token once at start, or one from
 * `--users`), checks it against the server, and keeps it for this tab only.
 */
export function TokenScreen({ onSignedIn, expired }: { onSignedIn: (me: Me | null) => void; expired?: boolean }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const value = token.trim();
    if (!value) return setError('Enter the access token.');
    setBusy(true);
    setError(null);
    try {
      const me = await api.me(value);
      saveToken(value);
      onSignedIn(me);
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? 'The server does not accept this token.' : (e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="token-screen">
      <h1>Personas admin console</h1>
      {expired && (
        <p className="notice" role="status">
          Your session ended or the token was refused: sign in again.
        </p>
      )}
      <form onSubmit={submit} aria-describedby="token-help" noValidate>
        <label htmlFor="token">Access token</label>
        <input id="token" name="token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} aria-invalid={error ? true : undefined} aria-describedby={error ? 'token-error' : undefined} autoFocus />
        <p id="token-help" className="muted">
          <code>persona serve</code> prints an admin token when it starts (or use one from the <code>--users</code> file). It is kept in this tab only.
        </p>
        {error && (
          <p id="token-error" className="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
