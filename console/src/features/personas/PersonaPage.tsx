import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../../api/client';
import type { Persona } from '../../api/types';
import { ErrorNotice, Loading } from '../../shared/ErrorNotice';
import { useLoad } from '../../shared/useLoad';
import { PersonaNav } from './PersonaNav';
import { ExportPanel } from '../import/ExportPanel';
import { DeletePanel } from './DeletePanel';

const LISTS = ['traits', 'knowledgeDomains', 'behaviorRules'];

/** The value a provenance path names in the resolved persona (`traits.patient`, `responseStyle.tone`, `tags.support`). */
function valueAt(persona: Persona, path: string): unknown {
  const [head, ...rest] = path.split('.');
  const tail = rest.join('.');
  const top = persona[head];
  if (!tail) return top;
  if (LISTS.includes(head) && Array.isArray(top)) return (top as { name: string }[]).find((e) => e.name === tail);
  if (head === 'tags') return tail;
  if (top && typeof top === 'object') return (top as Record<string, unknown>)[tail];
  return undefined;
}

function show(value: unknown): string {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'string') return value.length > 160 ? `${value.slice(0, 160)}…` : value;
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

/** A persona: who it is, its lineage, and its resolved view with the ancestor that gave each value. */
export function PersonaPage() {
  const { id = '' } = useParams();
  const resolved = useLoad(() => api.resolved(id), [id]);
  const [names, setNames] = useState<Record<string, { name: string; slug: string }>>({});
  const persona = resolved.data?.persona;
  useEffect(() => void (document.title = `${persona?.name ?? id} — Personas`), [persona?.name, id]);

  useEffect(() => {
    const lineage = resolved.data?.lineage ?? [];
    Promise.all(lineage.map((pid) => api.getPersona(pid).then((r) => [pid, { name: r.record.name, slug: r.record.slug }] as const, () => [pid, { name: pid, slug: pid }] as const))).then((pairs) =>
      setNames(Object.fromEntries(pairs)),
    );
  }, [resolved.data]);

  const nameOf = (source: string) => {
    if (source === 'default') return <span className="muted">default</span>;
    if (source === persona?.id) return <span>this persona</span>;
    const n = names[source];
    return <Link to={`/personas/${encodeURIComponent(n?.slug ?? source)}`}>{n?.name ?? source}</Link>;
  };

  return (
    <>
      <h1>{persona?.name ?? id}</h1>
      <PersonaNav id={id} name={persona?.name} />
      <ErrorNotice error={resolved.error} />
      {resolved.loading && !resolved.data && <Loading what="the persona" />}
      {persona && resolved.data && (
        <>
          <dl className="facts">
            <dt>Slug</dt>
            <dd>
              <code>{persona.slug}</code>
            </dd>
            <dt>Status</dt>
            <dd>
              <span className={`badge status-${persona.status}`}>{persona.status}</span>
            </dd>
            <dt>Version</dt>
            <dd>{persona.version}</dd>
            <dt>Owner</dt>
            <dd>{persona.createdBy}</dd>
            <dt>Visibility</dt>
            <dd>{persona.isPublic ? 'public' : 'private'}</dd>
            <dt>Description</dt>
            <dd>{persona.description || <span className="muted">none</span>}</dd>
          </dl>

          <section aria-labelledby="lineage-h">
            <h2 id="lineage-h">Lineage</h2>
            <p className="muted">Nearest first: a value set on a persona wins over its ancestors'.</p>
            <ol className="lineage">
              {resolved.data.lineage.map((pid, i) => (
                <li key={pid}>
                  {i === 0 ? <strong>{names[pid]?.name ?? persona.name}</strong> : nameOf(pid)}
                  {i === 0 ? ' (this persona)' : i === resolved.data!.lineage.length - 1 ? ' (root)' : ''}
                </li>
              ))}
            </ol>
          </section>

          <section aria-labelledby="resolved-h">
            <h2 id="resolved-h">Resolved values and where they come from</h2>
            <table className="provenance">
              <caption className="sr-only">Each resolved value and the persona it comes from</caption>
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Value</th>
                  <th scope="col">Comes from</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(resolved.data.provenance)
                  .sort(([a], [b]) => a.localeCompare(b))
                  .map(([path, source]) => (
                    <tr key={path} className={source === persona.id ? 'own' : source === 'default' ? 'default' : 'inherited'}>
                      <th scope="row">
                        <code>{path}</code>
                      </th>
                      <td className="cell-json">{show(valueAt(persona, path))}</td>
                      <td>{nameOf(source)}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </section>

          <ExportPanel id={persona.slug} />
          <DeletePanel id={persona.slug} name={persona.name} />
        </>
      )}
    </>
  );
}
