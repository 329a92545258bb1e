import type { ErrorSchema } from '@rjsf/utils';
import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError } from '../../api/client';
import type { Json } from '../../api/types';
import { issuesToErrorSchema } from '../../forms/issues';
import { PersonaForm } from '../../forms/PersonaForm';
import { ErrorNotice, Loading } from '../../shared/ErrorNotice';
import { useLoad } from '../../shared/useLoad';

/** A new persona from the same form as editing; the server sets its owner and first version. */
export function NewPersonaPage() {
  const navigate = useNavigate();
  const schema = useLoad(() => api.personaSchema(), []);
  const [formData, setFormData] = useState<Json>({ status: 'draft' });
  const [issues, setIssues] = useState<{ errorSchema: ErrorSchema; error: ApiError } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const summary = useRef<HTMLDivElement>(null);
  useEffect(() => void (document.title = 'New persona — Personas'), []);
  useEffect(() => {
    if (issues) summary.current?.focus();
  }, [issues]);

  async function create(data: Json) {
    setSaving(true);
    setError(null);
    try {
      const created = await api.createPersona(data);
      navigate(`/personas/${encodeURIComponent(created.slug)}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 400 && e.body.issues) setIssues({ errorSchema: issuesToErrorSchema(e.body.issues), error: e });
      else setError(e);
    } finally {
      setSaving(false);
    }
  }

  return (
    <>
      <h1>New persona</h1>
      <ErrorNotice error={schema.error ?? error} title={error ? 'Not created' : undefined} />
      {schema.loading && <Loading what="the persona schema" />}
      {issues && (
        <div className="notice notice-error" role="alert" ref={summary} tabIndex={-1}>
          <strong>The server refused the persona</strong>
          <p>{issues.error.message}. Each problem is shown at its field below.</p>
        </div>
      )}
      {schema.data && (
        <PersonaForm formId="new-persona-form" creating schema={schema.data} formData={formData} onChange={setFormData} onSubmit={(d) => void create(d)} extraErrors={issues?.errorSchema}>
          <div className="row">
            <button type="submit" disabled={saving}>
              {saving ? 'Creating…' : 'Create persona'}
            </button>
          </div>
        </PersonaForm>
      )}
    </>
  );
}
