import { FormEvent, useEffect, useState } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice, Loading } from '../../shared/ErrorNotice';
import { ListTable } from '../../shared/ListTable';
import { Pager } from '../../shared/Pager';
import { SelectField } from '../../shared/SelectField';
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
        <SelectField label="Status" name="status" value={draft.status} onChange={(status) => setDraft({ ...draft, status })} options={STATUSES.map((value) => ({ value }))}>
          <option value="">any</option>
        </SelectField>
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
          <ListTable
            caption={`Personas, page ${Math.floor(list.data.offset / LIMIT) + 1}`}
            busy={list.loading}
            columns={['Name', 'Slug', 'Status', 'Tags', 'Owner', 'Version', 'Visibility']}
            items={list.data.items}
            empty={
              params.toString() ? (
                'No persona matches these filters.'
              ) : (
                <>
                  No persona yet: <Link to="/new-persona">create one</Link>, start from a <Link to="/templates">template</Link>, or <Link to="/import">import a file</Link>.
                </>
              )
            }
            row={(p) => (
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
            )}
          />
          <Pager label="Pages of personas" offset={list.data.offset} limit={LIMIT} total={list.data.total} onChange={(o) => apply(filters, o)} />
        </>
      )}
    </>
  );
}
