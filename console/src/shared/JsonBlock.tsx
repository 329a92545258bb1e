/** A JSON value, pretty-printed, in a scrollable, focusable region with a name. */
export function JsonBlock({ value, label }: { value: unknown; label: string }) {
  return (
    <pre className="code" tabIndex={0} role="region" aria-label={label}>
      {typeof value === 'string' ? value : JSON.stringify(value, null, 2)}
    </pre>
  );
}
