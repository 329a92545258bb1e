import { FormEvent, useEffect, useState } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice, Loading } from '../../shared/ErrorNotice';
import { Pager } from '../../shared/Pager';
import { useLoad } from '../../shared/useLoad';

const LIMIT = 20;
export const STATUSES = ['active', 'inactive', 'draft', 'archived'];

/** Personas: a server-side page with search and status, tag and owner filters, all kept in the URL. */
export function PersonasPage() {
  const [params, setParams] = useSearchParams();
  const notice = (useLocation().state as { notice?: string } | null)?.notice;
  const filters = { search: params.get('search') ?? '', status: params.get('status') ?? '', tag: params.get('tag') ?? '', owner: params.get('owner') ?? '' };
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const [draft, setDraft] = useState(filters);
  useEffect(() => setDraft(filters), [params.toString()]);
  useEffect(() => void (document.title = 'Personas — admin console'), []);

  const list = useLoad(() => api.listPersonas({ ...filters, limit: LIMIT, offset, orderBy: 'name' }).then((page) => ({ ...page, offset })), [params.toString()]);

  function apply(next: Record<string, string>, nextOffset = 0) {
    const out = new URLSearchParams();
    for (const [k, v] of Object.entries(next)) if (v) out.set(k, v);
    if (nextOffset) out.set('offset', String(nextOffset));
    setParams(out);
  }
  function submit(event: FormEvent) {
    event.preventDefault();
    apply(draft);
  }

  return (
    <>
      <div className="row heading-row">
        <h1>Personas</h1>
        <Link className="button" to="/new-persona">
          New persona
        </Link>
      </div>
      {notice && (
        <p className="notice notice-ok" role="status">
          {notice}
        </p>
      )}
      <form className="filters" role="search" aria-label="Find personas" onSubmit={submit}>
        <label>
          Search
          <input type="search" name="search" value={draft.search} onChange={(e) => setDraft({ ...draft, search: e.target.value })} placeholder="name or slug" />
        </label>
        <label>
          Status
          <select name="status" value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value })}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Tag
          <input name="tag" value={draft.tag} onChange={(e) => setDraft({ ...draft, tag: e.target.value })} />
        </label>
        <label>
          Owner
          <input name="owner" value={draft.owner} onChange={(e) => setDraft({ ...draft, owner: e.target.value })} />
        </label>
        <button type="submit">Apply filters</button>
        <button type="button" className="secondary" onClick={() => apply({})}>
          Clear
        </button>
      </form>
      <ErrorNotice error={list.error} />
      {list.loading && !list.data && <Loading what="personas" />}
      {list.data && (
        <>
          <table className="list" aria-busy={list.loading}>
            <caption className="sr-only">Personas, page {Math.floor(list.data.offset / LIMIT) + 1}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Slug</th>
                <th scope="col">Status</th>
                <th scope="col">Tags</th>
                <th scope="col">Owner</th>
                <th scope="col">Version</th>
                <th scope="col">Visibility</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.length === 0 && (
                <tr>
                  <td colSpan={7}>
                    {params.toString() ? (
                      'No persona matches these filters.'
                    ) : (
                      <>
                        No persona yet: <Link to="/new-persona">create one</Link>, start from a <Link to="/templates">template</Link>, or <Link to="/import">import a file</Link>.
                      </>
                    )}
                  </td>
                </tr>
              )}
              {list.data.items.map((p) => (
                <tr key={p.id}>
                  <td>
                    <Link to={`/personas/${encodeURIComponent(p.slug)}`}>{p.name}</Link>
                  </td>
                  <td>
                    <code>{p.slug}</code>
                  </td>
                  <td>
                    <span className={`badge status-${p.status}`}>{p.status}</span>
                  </td>
                  <td>{p.tags?.join(', ')}</td>
                  <td>{p.createdBy}</td>
                  <td>{p.version}</td>
                  <td>{p.isPublic ? 'public' : 'private'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager label="Pages of personas" offset={list.data.offset} limit={LIMIT} total={list.data.total} onChange={(o) => apply(filters, o)} />
        </>
      )}
    </>
  );
}
