import type { ReactNode } from 'react';

/**
 * A table of records, as every list of the console shows them: a caption (for screen readers only
 * unless `captionVisible`), one header cell per column, a row spanning them all saying `empty`
 * when `items` is an empty array, then `row(item)` for each item (a `<tr>` with its key).
 * Nothing is shown in the body while `items` is undefined (still loading).
 */
export function ListTable<T>({ caption, captionVisible = false, className = 'list', busy, columns, items, empty, row }: {
  caption?: string;
  captionVisible?: boolean;
  className?: string;
  /** Sets aria-busy (a new page is loading over the old one). */
  busy?: boolean;
  columns: readonly string[];
  items: readonly T[] | undefined;
  empty?: ReactNode;
  row: (item: T, index: number) => ReactNode;
}) {
  return (
    <table className={className} aria-busy={busy}>
      {caption !== undefined && <caption className={captionVisible ? undefined : 'sr-only'}>{caption}</caption>}
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {items?.length === 0 && empty !== undefined && (
          <tr>
            <td colSpan={columns.length}>{empty}</td>
          </tr>
        )}
        {items?.map((item, i) => row(item, i))}
      </tbody>
    </table>
  );
}
