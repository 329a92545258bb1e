import { FormEvent, useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice, Loading } from '../../shared/ErrorNotice';
import { ListTable } from '../../shared/ListTable';
import { Pager } from '../../shared/Pager';
import { useLoad } from '../../shared/useLoad';

const LIMIT = 20;

/** Templates: a server-side page with search; each opens its instantiate form. */
export function TemplatesPage() {
  const [params, setParams] = useSearchParams();
  const search = params.get('search') ?? '';
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const [draft, setDraft] = useState(search);
  const list = useLoad(() => api.listTemplates({ search, limit: LIMIT, offset }).then((page) => ({ ...page, offset })), [search, offset]);
  useEffect(() => void (document.title = 'Templates — Personas'), []);

  function submit(event: FormEvent) {
    event.preventDefault();
    setParams(draft ? { search: draft } : {});
  }

  return (
    <>
      <h1>Templates</h1>
      <div className="row">
        <form role="search" aria-label="Find templates" className="filters" onSubmit={submit}>
          <label>
            Search
            <input type="search" value={draft} onChange={(e) => setDraft(e.target.value)} />
          </label>
          <button type="submit">Search</button>
        </form>
        <Link className="button" to="/templates/new">
          New template
        </Link>
      </div>
      <ErrorNotice error={list.error} />
      {list.loading && !list.data && <Loading what="templates" />}
      {list.data && (
        <>
          <ListTable
            caption="Templates"
            columns={['Name', 'Category', 'Customizable fields', 'Owner', 'Visibility']}
            items={list.data.items}
            empty={
              search ? (
                'No template matches.'
              ) : (
                <>
                  No template yet: <Link to="/templates/new">create one</Link>, or store the five starter templates with <code>npx persona template create --starters</code> on the same database.
                </>
              )
            }
            row={(t) => (
              <tr key={t.id}>
                <td>
                  <Link to={`/templates/${encodeURIComponent(t.slug)}`}>{t.name}</Link>
                  <div className="muted">{t.description}</div>
                </td>
                <td>{t.category}</td>
                <td>{(t.customizableFields ?? []).map((f) => f.path).join(', ') || <span className="muted">none</span>}</td>
                <td>{t.createdBy}</td>
                <td>{t.isPublic ? 'public' : 'private'}</td>
              </tr>
            )}
          />
          <Pager label="Pages of templates" offset={list.data.offset} limit={LIMIT} total={list.data.total} onChange={(o) => setParams({ ...(search ? { search } : {}), ...(o ? { offset: String(o) } : {}) })} />
        </>
      )}
    </>
  );
}
