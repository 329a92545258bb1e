import { useState } from 'react';
import { api } from '../../api/client';
import { ErrorNotice } from '../../shared/ErrorNotice';

/** Export choices: the format, and whether a card comes as a PNG image with the card inside. */
export const FORMATS: { key: string; format: 'native' | 'card-v2' | 'card-v3' | 'eliza'; png?: boolean; label: string }[] = [
  { key: 'native', format: 'native', label: 'Native JSON (this library)' },
  { key: 'card-v2', format: 'card-v2', label: 'Character Card V2 (JSON)' },
  { key: 'card-v3', format: 'card-v3', label: 'Character Card V3 (JSON)' },
  { key: 'card-v3-png', format: 'card-v3', png: true, label: 'Character Card V3 (PNG image)' },
  { key: 'eliza', format: 'eliza', label: 'Eliza character file' },
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
      const choice = FORMATS.find((f) => f.key === format) ?? FORMATS[0];
      const { blob, filename } = await api.exportPersona(id, choice.format, choice.png);
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
            {FORMATS.map((f) => (
              <option key={f.key} value={f.key}>
                {f.label}
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
