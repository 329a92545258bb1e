import { useEffect, useState } from 'react';
import { useParams } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice, Loading } from '../../shared/ErrorNotice';
import { ListTable } from '../../shared/ListTable';
import { SelectField } from '../../shared/SelectField';
import { ChangeTable, SideBySideDiff } from '../../shared/SideBySideDiff';
import { useLoad } from '../../shared/useLoad';
import { PersonaNav } from '../personas/PersonaNav';

const BOOKKEEPING = ['version', 'createdAt', 'updatedAt'];
const withoutBookkeeping = (snapshot: object) => Object.fromEntries(Object.entries(snapshot).filter(([k]) => !BOOKKEEPING.includes(k)));

/** History: every version with its message and labels, any two side by side, and revert. */
export function HistoryPage() {
  const { id = '' } = useParams();
  const history = useLoad(() => api.history(id), [id]);
  const entries = history.data ?? [];
  const latest = entries.reduce((m, e) => Math.max(m, e.version), 0);
  const versionOptions = entries.map((e) => ({ value: e.version }));
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  const [revertMessage, setRevertMessage] = useState('');
  const [result, setResult] = useState<{ ok?: string; error?: unknown }>({});
  useEffect(() => void (document.title = `History of ${id} — Personas`), [id]);

  useEffect(() => {
    if (!entries.length) return;
    const versions = entries.map((e) => e.version).sort((a, b) => a - b);
    if (to === null || !versions.includes(to)) setTo(versions[versions.length - 1]);
    if (from === null || !versions.includes(from)) setFrom(versions[Math.max(0, versions.length - 2)]);
  }, [history.data]);

  const diff = useLoad(() => (from && to ? api.diff(id, from, to) : Promise.resolve(null)), [id, from, to, history.data]);
  const left = entries.find((e) => e.version === from);
  const right = entries.find((e) => e.version === to);

  async function revert(version: number) {
    setResult({});
    try {
      const { record } = await api.revert(id, version, latest, revertMessage || `Revert to version ${version}`);
      setResult({ ok: `Reverted: version ${record.version} equals version ${version}.` });
      setRevertMessage('');
      history.reload();
    } catch (error) {
      setResult({ error });
    }
  }

  return (
    <>
      <h1>History of {entries[0]?.snapshot.name ?? id}</h1>
      <PersonaNav id={id} />
      <ErrorNotice error={history.error} />
      {history.loading && !history.data && <Loading what="the history" />}
      {result.ok && (
        <p className="notice notice-ok" role="status">
          {result.ok}
        </p>
      )}
      <ErrorNotice error={result.error} title="Not reverted" />
      {entries.length > 0 && (
        <>
          <ListTable
            caption="Versions, newest first"
            captionVisible
            columns={['Version', 'Saved by', 'When', 'Message', 'Labels', 'Actions']}
            items={[...entries].sort((a, b) => b.version - a.version)}
            row={(e) => (
              <tr key={e.version}>
                <td>{e.version}</td>
                <td>{e.changedBy}</td>
                <td>
                  <time dateTime={e.changedAt}>{new Date(e.changedAt).toLocaleString()}</time>
                </td>
                <td>{e.message || <span className="muted">none</span>}</td>
                <td>
                  {e.labels.map((l) => (
                    <span key={l} className="badge">
                      {l}
                    </span>
                  ))}
                </td>
                <td>
                  {e.version !== latest && (
                    <button type="button" className="small" onClick={() => void revert(e.version)}>
                      Revert to version {e.version}
                    </button>
                  )}
                </td>
              </tr>
            )}
          />
          <label className="inline">
            Revert message
            <input value={revertMessage} maxLength={500} onChange={(e) => setRevertMessage(e.target.value)} placeholder="Why (optional)" />
          </label>

          <section aria-labelledby="compare-h">
            <h2 id="compare-h">Compare two versions</h2>
            <div className="row">
              <SelectField label="From version" value={from ?? ''} onChange={(v) => setFrom(Number(v))} options={versionOptions} />
              <SelectField label="To version" value={to ?? ''} onChange={(v) => setTo(Number(v))} options={versionOptions} />
            </div>
            <ErrorNotice error={diff.error} />
            {diff.data && <ChangeTable changes={diff.data.changes} caption={`Changes from version ${diff.data.from} to version ${diff.data.to}`} />}
            {left && right && (
              <SideBySideDiff before={withoutBookkeeping(left.snapshot)} after={withoutBookkeeping(right.snapshot)} beforeTitle={`Version ${left.version}`} afterTitle={`Version ${right.version}`} />
            )}
          </section>
        </>
      )}
    </>
  );
}
