import { FormEvent, useEffect, useState } from 'react';
import { useParams } from 'react-router';
import { api, ApiError } from '../../api/client';
import type { RenderedPrompt } from '../../api/types';
import { ErrorNotice } from '../../shared/ErrorNotice';
import { JsonBlock } from '../../shared/JsonBlock';
import { ListTable } from '../../shared/ListTable';
import { PersonaNav } from '../personas/PersonaNav';

const PROVIDERS: [string, string][] = [
  ['', 'none (prompt only)'],
  ['openai-chat', 'OpenAI Chat Completions'],
  ['openai-responses', 'OpenAI Responses'],
  ['anthropic', 'Anthropic Messages'],
  ['gemini', 'Gemini generateContent'],
];

function sectionsOf(result: RenderedPrompt): { name: string; tokens: number }[] {
  return (result.sections ?? []).map((x) => ({ name: x.name ?? '', tokens: x.tokens ?? 0 }));
}

/** Render preview: the prompt a context would get, its tokens per section, what was dropped and why, what activated, and the provider body. */
export function RenderPage() {
  const { id = '' } = useParams();
  const [context, setContext] = useState('');
  const [budget, setBudget] = useState('');
  const [label, setLabel] = useState('');
  const [subject, setSubject] = useState('');
  const [provider, setProvider] = useState('');
  const [model, setModel] = useState('');
  const [result, setResult] = useState<RenderedPrompt | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  useEffect(() => void (document.title = `Render preview of ${id} — Personas`), [id]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    const body: Parameters<typeof api.render>[1] = {};
    if (context) body.context = context;
    if (budget.trim()) body.tokenBudget = Number(budget);
    if (label.trim()) body.label = label.trim();
    if (subject.trim()) body.subject = subject.trim();
    if (provider) body.provider = provider;
    if (provider && model.trim()) body.model = model.trim();
    try {
      setResult(await api.render(id, body));
    } catch (e) {
      setResult(null);
      setError(e);
      if (e instanceof ApiError && e.body.issues) {
        setFieldErrors(
          Object.fromEntries(
            e.body.issues.map((i) => [
              i.path,
              // A server older than provider requests (#16) refuses the field as unknown.
              (i.path === 'provider' || i.path === 'model') && i.constraint === 'whitelistValidation' ? 'This server does not build provider requests yet: choose "none".' : i.message,
            ]),
          ),
        );
      }
    } finally {
      setBusy(false);
    }
  }

  const describe = (name: string, help?: string) => [fieldErrors[name] ? `${name}-error` : '', help ?? ''].filter(Boolean).join(' ') || undefined;
  const fieldError = (name: string) =>
    fieldErrors[name] ? (
      <span id={`${name}-error`} className="field-error">
        {fieldErrors[name]}
      </span>
    ) : null;
  const sections = result ? sectionsOf(result) : [];

  return (
    <>
      <h1>Render preview</h1>
      <PersonaNav id={id} />
      <form onSubmit={submit} className="stack render-form" noValidate>
        <label>
          Context (the conversation so far)
          <textarea rows={4} value={context} onChange={(e) => setContext(e.target.value)} aria-invalid={!!fieldErrors.context || undefined} aria-describedby={describe('context')} />
          {fieldError('context')}
        </label>
        <div className="row">
          <label>
            Token budget
            <input type="number" min={1} inputMode="numeric" value={budget} onChange={(e) => setBudget(e.target.value)} aria-invalid={!!fieldErrors.tokenBudget || undefined} aria-describedby={describe('tokenBudget')} />
            {fieldError('tokenBudget')}
          </label>
          <label>
            Label
            <input value={label} onChange={(e) => setLabel(e.target.value)} placeholder="latest" aria-invalid={!!fieldErrors.label || undefined} aria-describedby={describe('label')} />
            {fieldError('label')}
          </label>
          <label>
            Subject (for splits)
            <input value={subject} onChange={(e) => setSubject(e.target.value)} aria-describedby={describe('subject')} />
            {fieldError('subject')}
          </label>
          <label>
            Provider request
            <select value={provider} onChange={(e) => setProvider(e.target.value)} aria-describedby={describe('provider')}>
              {PROVIDERS.map(([v, t]) => (
                <option key={v} value={v}>
                  {t}
                </option>
              ))}
            </select>
            {fieldError('provider')}
          </label>
          {provider && (
            <label>
              Model (optional)
              <input value={model} onChange={(e) => setModel(e.target.value)} placeholder="the persona's preference" aria-invalid={!!fieldErrors.model || undefined} aria-describedby={describe('model')} />
              {fieldError('model')}
            </label>
          )}
        </div>
        <button type="submit" disabled={busy}>
          {busy ? 'Rendering…' : 'Render'}
        </button>
      </form>
      <ErrorNotice error={error} title={error instanceof ApiError && error.code === 'BUDGET_EXCEEDED' ? 'The budget is too small' : 'Not rendered'} />
      {result && (
        <div className="render-result" aria-live="polite">
          <h2>Prompt</h2>
          <p>
            <strong>{result.tokens}</strong> tokens{result.version !== undefined ? `, version ${result.version}` : ''}
            {result.label ? `, label ${result.label}` : ''}
            {result.model ? `, model ${result.model}` : ''}, temperature {result.temperature}
            {result.maxTokens ? `, response limit ${result.maxTokens} tokens` : ''}.
          </p>
          {result.stablePrefixLength !== undefined && (
            <p className="muted">
              Shaded: the stable prefix ({result.stablePrefixLength.toLocaleString()} characters), the same for every context at this version, which providers can cache.
            </p>
          )}
          {result.stablePrefixLength !== undefined ? (
            <pre className="code prompt" tabIndex={0} role="region" aria-label="Rendered prompt">
              <span className="stable" title="Stable prefix (cacheable)">
                {result.text.slice(0, result.stablePrefixLength)}
              </span>
              {result.text.slice(result.stablePrefixLength)}
            </pre>
          ) : (
            <JsonBlock value={result.text} label="Rendered prompt" />
          )}

          <div className="columns">
            <section aria-labelledby="sections-h">
              <h2 id="sections-h">Tokens per section</h2>
              <table className="list">
                <thead>
                  <tr>
                    <th scope="col">Section</th>
                    <th scope="col">Tokens</th>
                  </tr>
                </thead>
                <tbody>
                  {sections.map((s) => (
                    <tr key={s.name}>
                      <td>{s.name}</td>
                      <td className="num">
                        {s.tokens}
                        <meter min={0} max={Math.max(1, result.tokens)} value={s.tokens} aria-label={`${s.name}: ${s.tokens} of ${result.tokens} tokens`} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>

            <section aria-labelledby="activations-h">
              <h2 id="activations-h">Activated knowledge</h2>
              {result.activations ? (
                <table className="list">
                  <thead>
                    <tr>
                      <th scope="col">Domain</th>
                      <th scope="col">Activated by</th>
                    </tr>
                  </thead>
                  <tbody>
                    {result.activations.length === 0 && (
                      <tr>
                        <td colSpan={2}>No domain is active.</td>
                      </tr>
                    )}
                    {result.activations.map((a) => (
                      <tr key={a.name}>
                        <td>{a.name}</td>
                        <td>{a.matched === null ? <span className="muted">always active</span> : <mark>{a.matched}</mark>}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <ul>
                  {(result.activeDomains ?? []).length === 0 && <li>No domain is active.</li>}
                  {(result.activeDomains ?? []).map((d) => (
                    <li key={d}>{d}</li>
                  ))}
                </ul>
              )}
            </section>
          </div>

          <section aria-labelledby="dropped-h">
            <h2 id="dropped-h">Left out, and why</h2>
            <ListTable
              columns={['Kind', 'Name', 'Reason']}
              items={result.dropped ?? []}
              empty="Nothing was left out."
              row={(d, i) => (
                <tr key={i}>
                  <td>{d.kind}</td>
                  <td>{d.name}</td>
                  <td>{d.reason}</td>
                </tr>
              )}
            />
          </section>

          {result.request && (
            <section aria-labelledby="provider-h">
              <h2 id="provider-h">
                Provider request: {PROVIDERS.find(([v]) => v === result.request!.provider)?.[1] ?? result.request.provider}, model {result.request.model}
              </h2>
              <p className="muted">The body to send to the provider's API (no call is made); the context is the user message.</p>
              {result.request.warnings.length > 0 && (
                <ul className="warnings" aria-label="Warnings">
                  {result.request.warnings.map((w) => (
                    <li key={w}>{w}</li>
                  ))}
                </ul>
              )}
              <JsonBlock value={result.request.body} label="Provider request body" />
            </section>
          )}
        </div>
      )}
    </>
  );
}
