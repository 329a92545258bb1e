import { FormEvent, useEffect, useState } from 'react';
import { useParams } from 'react-router';
import { api, ApiError } from '../../api/client';
import type { LabelPolicy, LabelTarget, Me, PersonaLabel, RenderCheck } from '../../api/types';
import { ErrorNotice, Loading } from '../../shared/ErrorNotice';
import { ListTable } from '../../shared/ListTable';
import { useLoad } from '../../shared/useLoad';
import { PersonaNav } from '../personas/PersonaNav';
import { PolicyForm } from './PolicyForm';

function targetText(t: LabelTarget | PersonaLabel | null): string {
  if (!t) return 'none';
  if ('split' in t && t.split) return t.split.map((m) => `v${m.version} × ${m.weight}`).join(' + ');
  return 'version' in t && t.version !== null ? `version ${t.version}` : 'none';
}

function checkText(check: RenderCheck | undefined): string {
  if (!check) return '';
  const parts: string[] = [];
  if (check.context) parts.push(`context “${check.context.length > 60 ? check.context.slice(0, 60) + '…' : check.context}”`);
  if (check.tokenBudget) parts.push(`budget ${check.tokenBudget} tokens`);
  if (check.maxPromptTokens) parts.push(`prompt at most ${check.maxPromptTokens} tokens`);
  if (check.mustInclude?.length) parts.push(`must include ${check.mustInclude.map((s) => `“${s}”`).join(', ')}`);
  if (check.mustActivate?.length) parts.push(`must activate ${check.mustActivate.join(', ')}`);
  return parts.join('; ');
}

type Blocked = { label: string; failures: { check: number; version: number; reason: string }[]; policy: LabelPolicy | null };

/** Releases: labels and their versions, moving a label (through its gate), splits, policies and the moves so far. */
export function ReleasesPage({ me }: { me: Me | null }) {
  const { id = '' } = useParams();
  const labels = useLoad(() => api.labels(id), [id]);
  const moves = useLoad(() => api.labelHistory(id), [id]);
  const history = useLoad(() => api.history(id), [id]);
  const versions = (history.data ?? []).map((h) => h.version).sort((a, b) => b - a);
  useEffect(() => void (document.title = `Releases of ${id} — Personas`), [id]);

  const [label, setLabel] = useState('production');
  const [mode, setMode] = useState<'version' | 'split'>('version');
  const [version, setVersion] = useState<number | ''>('');
  const [split, setSplit] = useState<{ version: number | ''; weight: number }[]>([
    { version: '', weight: 90 },
    { version: '', weight: 10 },
  ]);
  const [blocked, setBlocked] = useState<Blocked | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [ok, setOk] = useState<string | null>(null);

  useEffect(() => {
    if (version === '' && versions.length) setVersion(versions[0]);
  }, [history.data]);

  function refresh() {
    labels.reload();
    moves.reload();
    history.reload();
  }

  async function move(event: FormEvent) {
    event.preventDefault();
    setBlocked(null);
    setError(null);
    setOk(null);
    const target: LabelTarget = mode === 'version' ? { version: Number(version) } : { split: split.filter((m) => m.version !== '').map((m) => ({ version: Number(m.version), weight: Number(m.weight) })) };
    try {
      const result = await api.setLabel(id, label.trim(), target);
      setOk(`Label “${result.label}” now serves ${targetText(result)}.`);
      refresh();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'PROMOTION_BLOCKED') {
        const policy = await api.policy(id, label.trim()).catch(() => null);
        setBlocked({ label: label.trim(), failures: e.body.failures ?? [], policy });
      } else setError(e);
    }
  }

  async function remove(name: string) {
    setError(null);
    setOk(null);
    try {
      await api.removeLabel(id, name);
      setOk(`Label “${name}” removed.`);
      refresh();
    } catch (e) {
      setError(e);
    }
  }

  const versionOptions = versions.map((v) => (
    <option key={v} value={v}>
      {v}
    </option>
  ));

  return (
    <>
      <h1>Releases of {history.data?.[0]?.snapshot.name ?? id}</h1>
      <PersonaNav id={id} />
      <ErrorNotice error={labels.error ?? history.error} />
      {labels.loading && !labels.data && <Loading what="labels" />}
      {ok && (
        <p className="notice notice-ok" role="status">
          {ok}
        </p>
      )}
      <ErrorNotice error={error} title="Not done" />
      {blocked && (
        <div className="notice notice-error gate" role="alert">
          <strong>The gate of “{blocked.label}” refused the promotion</strong>
          <p>Nothing changed: every check must pass on every version the label would serve.</p>
          <ul>
            {blocked.failures.map((f, i) => (
              <li key={i}>
                Check {f.check + 1}
                {blocked.policy?.checks?.[f.check] ? ` (${checkText(blocked.policy.checks[f.check])})` : ''} failed on version {f.version}: {f.reason}
              </li>
            ))}
          </ul>
        </div>
      )}

      <section aria-labelledby="labels-h">
        <h2 id="labels-h">Labels</h2>
        <p className="muted">
          <code>latest</code> always serves the current version{versions.length ? ` (${versions[0]})` : ''}.
        </p>
        <ListTable
          caption="Labels and the versions they serve"
          columns={['Label', 'Serves', 'Moved by', 'When', 'Actions']}
          items={labels.data}
          empty="No label yet."
          row={(l) => (
            <tr key={l.label}>
              <td>
                <span className="badge">{l.label}</span>
              </td>
              <td>{targetText(l)}</td>
              <td>{l.movedBy}</td>
              <td>
                <time dateTime={l.movedAt}>{new Date(l.movedAt).toLocaleString()}</time>
              </td>
              <td>
                <button type="button" className="small" onClick={() => (setLabel(l.label), document.getElementById('move-label')?.focus())} aria-label={`Move label ${l.label}`}>
                  Move
                </button>{' '}
                <button type="button" className="small danger" onClick={() => void remove(l.label)} aria-label={`Remove label ${l.label}`}>
                  Remove
                </button>
              </td>
            </tr>
          )}
        />
      </section>

      <section aria-labelledby="move-h">
        <h2 id="move-h">Point a label</h2>
        <form onSubmit={move} className="stack">
          <label>
            Label
            <input id="move-label" value={label} onChange={(e) => setLabel(e.target.value)} pattern="[a-z][a-z0-9._\-]{0,49}" required aria-describedby="label-help" />
          </label>
          <p id="label-help" className="muted">
            Lowercase letters, digits, <code>.</code>, <code>_</code> and <code>-</code>, starting with a letter.
          </p>
          <fieldset>
            <legend>Target</legend>
            <label className="inline">
              <input type="radio" name="mode" checked={mode === 'version'} onChange={() => setMode('version')} /> One version
            </label>
            <label className="inline">
              <input type="radio" name="mode" checked={mode === 'split'} onChange={() => setMode('split')} /> A split between versions
            </label>
            {mode === 'version' ? (
              <label>
                Version
                <select value={version} onChange={(e) => setVersion(Number(e.target.value))}>
                  {versionOptions}
                </select>
              </label>
            ) : (
              <div className="split">
                {split.map((m, i) => (
                  <div className="row" key={i}>
                    <label>
                      Version of share {i + 1}
                      <select value={m.version} onChange={(e) => setSplit(split.map((s, j) => (j === i ? { ...s, version: e.target.value === '' ? '' : Number(e.target.value) } : s)))}>
                        <option value="">—</option>
                        {versionOptions}
                      </select>
                    </label>
                    <label>
                      Weight of share {i + 1}
                      <input type="number" min={1} step={1} value={m.weight} onChange={(e) => setSplit(split.map((s, j) => (j === i ? { ...s, weight: Number(e.target.value) } : s)))} />
                    </label>
                  </div>
                ))}
                <button type="button" className="secondary small" onClick={() => setSplit([...split, { version: '', weight: 1 }])}>
                  Add a share
                </button>
              </div>
            )}
          </fieldset>
          <button type="submit">Move label</button>
        </form>
      </section>

      <section aria-labelledby="policy-h">
        <h2 id="policy-h">Label policy (who may move it, and its gate)</h2>
        <PolicyForm personaId={id} onSaved={setOk} isAdmin={!!me?.roles?.includes('admin')} />
      </section>

      <section aria-labelledby="moves-h">
        <h2 id="moves-h">Label moves</h2>
        <ErrorNotice error={moves.error} />
        <ListTable
          caption="Every label move, oldest first"
          columns={['Label', 'From', 'To', 'By', 'When']}
          items={moves.data}
          empty="No move yet."
          row={(m, i) => (
            <tr key={i}>
              <td>{m.label}</td>
              <td>{targetText(m.from)}</td>
              <td>{targetText(m.to)}</td>
              <td>{m.movedBy}</td>
              <td>
                <time dateTime={m.movedAt}>{new Date(m.movedAt).toLocaleString()}</time>
              </td>
            </tr>
          )}
        />
      </section>
    </>
  );
}
