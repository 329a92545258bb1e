import { DragEvent, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../../api/client';
import type { ImportResult } from '../../api/types';
import { ErrorNotice } from '../../shared/ErrorNotice';

// Sent as base64 (4/3 larger) under persona serve's 10 MB body limit.
const MAX_BYTES = 7 * 1024 * 1024;

/** Import: drop (or choose) a character card PNG/JSON, an Eliza character file or our own JSON; the warnings are shown. */
export function ImportPage() {
  const [format, setFormat] = useState('auto');
  const [lenient, setLenient] = useState(false);
  const [slug, setSlug] = useState('');
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [results, setResults] = useState<{ file: string; result?: ImportResult; error?: unknown }[]>([]);
  useEffect(() => void (document.title = 'Import — Personas'), []);

  async function importFiles(files: File[]) {
    for (const file of files) {
      if (file.size > MAX_BYTES) {
        setResults((r) => [{ file: file.name, error: new Error(`The file is ${(file.size / 1048576).toFixed(1)} MB; at most 7 MB is accepted.`) }, ...r]);
        continue;
      }
      setBusy(file.name);
      try {
        const result = await api.importFile(file, { format, lenient: lenient || undefined, slug: files.length === 1 ? slug.trim() || undefined : undefined });
        setResults((r) => [{ file: file.name, result }, ...r]);
      } catch (error) {
        setResults((r) => [{ file: file.name, error }, ...r]);
      } finally {
        setBusy(null);
      }
    }
  }

  function drop(event: DragEvent) {
    event.preventDefault();
    setOver(false);
    void importFiles([...event.dataTransfer.files]);
  }

  return (
    <>
      <h1>Import</h1>
      <p>Character Card V1/V2/V3 (PNG or JSON), Eliza character files, or this library's own JSON. Credentials inside a file are never stored: the warnings say which paths were dropped.</p>
      <div className="row">
        <label>
          Format
          <select value={format} onChange={(e) => setFormat(e.target.value)}>
            <option value="auto">detect</option>
            <option value="card-v2">Character Card V2</option>
            <option value="card-v3">Character Card V3</option>
            <option value="eliza">Eliza character file</option>
            <option value="native">Native JSON</option>
          </select>
        </label>
        <label>
          Slug of the new persona (optional)
          <input value={slug} onChange={(e) => setSlug(e.target.value)} />
        </label>
        <label className="inline">
          <input type="checkbox" checked={lenient} onChange={(e) => setLenient(e.target.checked)} /> Repair known malformations (each repair is a warning)
        </label>
      </div>
      <div
        className={`dropzone${over ? ' over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
        data-testid="dropzone"
      >
        <p>Drop files here, or</p>
        <label className="button">
          Choose files
          <input
            type="file"
            className="visually-hidden-input"
            accept=".png,.json,image/png,application/json"
            multiple
            onChange={(e) => {
              void importFiles([...(e.target.files ?? [])]);
              e.target.value = '';
            }}
          />
        </label>
      </div>
      {busy && <p role="status">Importing {busy}…</p>}
      <section aria-live="polite" aria-label="Import results">
        {results.map((r, i) => (
          <article key={i} className="import-result">
            <h2>{r.file}</h2>
            {r.result ? (
              <>
                <p className="notice notice-ok">
                  Imported as <Link to={`/personas/${encodeURIComponent(r.result.persona.slug)}`}>{r.result.persona.name}</Link> (<code>{r.result.persona.slug}</code>).
                </p>
                {r.result.warnings.length > 0 ? (
                  <>
                    <h3>Warnings</h3>
                    <ul className="warnings">
                      {r.result.warnings.map((w, j) => (
                        <li key={j}>{w}</li>
                      ))}
                    </ul>
                  </>
                ) : (
                  <p className="muted">No warnings.</p>
                )}
              </>
            ) : (
              <ErrorNotice error={r.error} title="Not imported" />
            )}
          </article>
        ))}
      </section>
    </>
  );
}
