import Form from '@rjsf/core';
import type { ErrorSchema } from '@rjsf/utils';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, ApiError } from '../../api/client';
import type { Json } from '../../api/types';
import { issuesToErrorSchema } from '../../forms/issues';
import { validator } from '../../forms/validator';
import { ErrorNotice, Loading } from '../../shared/ErrorNotice';
import { JsonBlock } from '../../shared/JsonBlock';
import { useLoad } from '../../shared/useLoad';
import { instantiateSchema } from './schemas';

/** One template: what it sets, and the instantiate form built from its customizable fields. */
export function TemplatePage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const template = useLoad(() => api.getTemplate(id), [id]);
  const schema = useMemo(() => (template.data ? instantiateSchema(template.data.customizableFields ?? []) : null), [template.data]);
  const [formData, setFormData] = useState<Json>({});
  const [serverErrors, setServerErrors] = useState<ErrorSchema | undefined>();
  const [error, setError] = useState<unknown>(null);
  const alert = useRef<HTMLDivElement>(null);
  useEffect(() => void (document.title = `Template ${template.data?.name ?? id} — Personas`), [template.data?.name, id]);

  async function submit(data: Json) {
    setError(null);
    setServerErrors(undefined);
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
      setError(e);
      if (e instanceof ApiError && e.body.issues) {
        // Issues about a customization name its persona path (`temperature`); put them under Customizations.
        const paths = new Set((template.data?.customizableFields ?? []).map((f) => f.path));
        setServerErrors(issuesToErrorSchema(e.body.issues.map((i) => (paths.has(i.path) ? { ...i, path: `customizations["${i.path}"]` } : i))));
      }
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
            <ErrorNotice error={error} title="Not created" />
          </div>
          <Form
            id="instantiate-form"
            schema={schema}
            formData={formData}
            validator={validator}
            extraErrors={serverErrors}
            noHtml5Validate
            focusOnFirstError
      onError={() => undefined /* the errors are shown in the form; rjsf would also log them */}
            showErrorList="top"
            onChange={(e) => setFormData(e.formData as Json)}
            onSubmit={(e) => void submit(e.formData as Json)}
          >
            <button type="submit">Create persona</button>
          </Form>
        </>
      )}
    </>
  );
}
