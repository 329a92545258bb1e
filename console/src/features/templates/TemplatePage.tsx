import { useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api } from '../../api/client';
import type { Json } from '../../api/types';
import { ErrorNotice, Loading } from '../../shared/ErrorNotice';
import { JsonBlock } from '../../shared/JsonBlock';
import { ServerForm, useSubmitErrors } from '../../shared/ServerForm';
import { useLoad } from '../../shared/useLoad';
import { instantiateSchema } from './schemas';

/** One template: what it sets, and the instantiate form built from its customizable fields. */
export function TemplatePage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const template = useLoad(() => api.getTemplate(id), [id]);
  const schema = useMemo(() => (template.data ? instantiateSchema(template.data.customizableFields ?? []) : null), [template.data]);
  const [formData, setFormData] = useState<Json>({});
  const errors = useSubmitErrors();
  const alert = useRef<HTMLDivElement>(null);
  useEffect(() => void (document.title = `Template ${template.data?.name ?? id} — Personas`), [template.data?.name, id]);

  async function submit(data: Json) {
    errors.clear();
    try {
      const persona = await api.instantiate(id, {
        name: data.name as string,
        slug: data.slug as string,
        description: (data.description as string) || undefined,
        isPublic: data.isPublic as boolean,
        customizations: data.customizations as Json | undefined,
      });
      navigate(`/personas/${encodeURIComponent(persona.slug)}`);
    } catch (e) {
      // Issues about a customization name its persona path (`temperature`); put them under Customizations.
      const paths = new Set((template.data?.customizableFields ?? []).map((f) => f.path));
      errors.fail(e, (i) => (paths.has(i.path) ? { ...i, path: `customizations["${i.path}"]` } : i));
      alert.current?.focus();
    }
  }

  return (
    <>
      <h1>Template {template.data?.name ?? id}</h1>
      <ErrorNotice error={template.error} />
      {template.loading && !template.data && <Loading what="the template" />}
      {template.data && schema && (
        <>
          <p>{template.data.description}</p>
          <details>
            <summary>What the template sets</summary>
            <JsonBlock value={template.data.baseConfiguration} label="Base configuration" />
          </details>
          <h2>Create a persona from it</h2>
          <div ref={alert} tabIndex={-1}>
            <ErrorNotice error={errors.error} title="Not created" />
          </div>
          <ServerForm id="instantiate-form" schema={schema} formData={formData} extraErrors={errors.serverErrors} showErrorList="top" onChange={setFormData} onSubmit={(data) => void submit(data)}>
            <button type="submit">Create persona</button>
          </ServerForm>
        </>
      )}
    </>
  );
}
