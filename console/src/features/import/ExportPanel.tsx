import { useState } from 'react';
import { api } from '../../api/client';
import { ErrorNotice } from '../../shared/ErrorNotice';

export const FORMATS: [string, string][] = [
  ['native', 'Native JSON (this library)'],
  ['card-v2', 'Character Card V2 (JSON)'],
  ['card-v3', 'Character Card V3 (JSON)'],
  ['eliza', 'Eliza character file'],
];

/** Saves the persona in one of the interop formats (docs/interop.md) as a file. */
export function ExportPanel({ id }: { id: string }) {
  const [format, setFormat] = useState('native');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function download() {
    setBusy(true);
    setError(null);
    try {
      const { blob, filename } = await api.exportPersona(id, format);
      const href = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = href;
      a.download = filename;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(href), 10_000);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="export-h">
      <h2 id="export-h">Export</h2>
      <div className="row">
        <label>
          Format
          <select value={format} onChange={(e) => setFormat(e.target.value)}>
            {FORMATS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={download} disabled={busy}>
          {busy ? 'Exporting…' : 'Download export'}
        </button>
      </div>
      <ErrorNotice error={error} title="Export failed" />
    </section>
  );
}
