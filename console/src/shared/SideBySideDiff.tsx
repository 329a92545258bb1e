import { diffLines } from 'diff';
import { useMemo } from 'react';
import { ListTable } from './ListTable';

type Row = { left?: string; right?: string; kind: 'same' | 'removed' | 'added' | 'changed' };

function lines(text: string): string[] {
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}

/** Pairs jsdiff's line changes into the rows of a two-column view (a removal next to the addition that replaced it). */
function rowsOf(before: string, after: string): Row[] {
  const rows: Row[] = [];
  const parts = diffLines(before, after);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (!part.added && !part.removed) {
      for (const line of lines(part.value)) rows.push({ left: line, right: line, kind: 'same' });
    } else if (part.removed && parts[i + 1]?.added) {
      const left = lines(part.value);
      const right = lines(parts[++i].value);
      for (let j = 0; j < Math.max(left.length, right.length); j++) rows.push({ left: left[j], right: right[j], kind: 'changed' });
    } else if (part.removed) {
      for (const line of lines(part.value)) rows.push({ left: line, kind: 'removed' });
    } else {
      for (const line of lines(part.value)) rows.push({ right: line, kind: 'added' });
    }
  }
  return rows;
}

/**
 * Two JSON documents side by side, line by line, with what changed marked (and announced in
 * words to screen readers, not by colour alone). Unchanged runs longer than `context` lines fold.
 */
export function SideBySideDiff({ before, after, beforeTitle, afterTitle, context = 3 }: { before: unknown; after: unknown; beforeTitle: string; afterTitle: string; context?: number }) {
  const rows = useMemo(() => rowsOf(JSON.stringify(before, null, 2) + '\n', JSON.stringify(after, null, 2) + '\n'), [before, after]);
  const keep = rows.map((row, i) => row.kind !== 'same' || rows.slice(Math.max(0, i - context), i + context + 1).some((r) => r.kind !== 'same'));
  const changed = rows.filter((r) => r.kind !== 'same').length;
  return (
    <div className="diff" role="region" aria-label={`Differences between ${beforeTitle} and ${afterTitle}`} tabIndex={0}>
      {changed === 0 && <p>The two documents are identical.</p>}
      <table>
        <thead>
          <tr>
            <th scope="col">{beforeTitle}</th>
            <th scope="col">{afterTitle}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) =>
            keep[i] ? (
              <tr key={i} className={`diff-${row.kind}`}>
                <td className={row.kind === 'removed' || row.kind === 'changed' ? 'diff-old' : undefined}>
                  {row.kind !== 'same' && row.left !== undefined && <span className="sr-only">{row.kind === 'changed' ? 'changed from: ' : 'removed: '}</span>}
                  {row.left ?? ''}
                </td>
                <td className={row.kind === 'added' || row.kind === 'changed' ? 'diff-new' : undefined}>
                  {row.kind !== 'same' && row.right !== undefined && <span className="sr-only">{row.kind === 'changed' ? 'changed to: ' : 'added: '}</span>}
                  {row.right ?? ''}
                </td>
              </tr>
            ) : keep[i - 1] ? (
              <tr key={i} className="diff-fold">
                <td colSpan={2}>… unchanged lines …</td>
              </tr>
            ) : null,
          )}
        </tbody>
      </table>
    </div>
  );
}

/** The server's structured changes (`GET /personas/:id/diff`) as a table: path, kind, before, after. */
export function ChangeTable({ changes, caption }: { changes: { path: string; kind: string; before?: unknown; after?: unknown }[]; caption: string }) {
  const show = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));
  return (
    <ListTable
      caption={caption}
      captionVisible
      className="changes"
      columns={['Field', 'Change', 'Before', 'After']}
      items={changes}
      empty="No changes."
      row={(c) => (
        <tr key={c.path + c.kind}>
          <td>
            <code>{c.path}</code>
          </td>
          <td>{c.kind}</td>
          <td className="cell-json">{show(c.before)}</td>
          <td className="cell-json">{show(c.after)}</td>
        </tr>
      )}
    />
  );
}
