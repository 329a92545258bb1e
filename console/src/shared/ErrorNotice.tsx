import { ApiError } from '../api/client';

/** An error as a person reads it: the server's message, its code, and each issue with its field. */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : undefined;
  return (
    <div className="notice notice-error" role="alert">
      <strong>{title ?? (api?.status === 404 ? 'Not found' : 'Something went wrong')}</strong>
      <p>{api ? api.message : String((error as Error)?.message ?? error)}</p>
      {api?.code && <p className="muted">Code: {api.code}</p>}
      {api?.body.issues && api.body.issues.length > 0 && (
        <ul>
          {api.body.issues.map((issue, i) => (
            <li key={i}>
              {issue.path ? <code>{issue.path}</code> : null} {issue.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A short status line for screen readers and eyes alike. */
export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}
