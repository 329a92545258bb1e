import Form from '@rjsf/core';
import type { ErrorSchema } from '@rjsf/utils';
import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError } from '../../api/client';
import type { Json } from '../../api/types';
import { issuesToErrorSchema } from '../../forms/issues';
import { validator } from '../../forms/validator';
import { ErrorNotice } from '../../shared/ErrorNotice';
import { templateSchema } from './schemas';

const uiSchema = {
  description: { 'ui:widget': 'textarea', 'ui:options': { rows: 3 } },
  baseConfiguration: { 'ui:widget': 'textarea', 'ui:options': { rows: 8 } },
};

/** Create a template: its identity, the persona fields it sets, and which fields users may customize. */
export function NewTemplatePage() {
  const navigate = useNavigate();
  const [formData, setFormData] = useState<Json>({});
  const [serverErrors, setServerErrors] = useState<ErrorSchema | undefined>();
  const [error, setError] = useState<unknown>(null);
  const alert = useRef<HTMLDivElement>(null);
  useEffect(() => void (document.title = 'New template — Personas'), []);

  async function submit(data: Json) {
    setError(null);
    setServerErrors(undefined);
    let baseConfiguration: unknown;
    try {
      baseConfiguration = JSON.parse(String(data.baseConfiguration ?? '{}'));
    } catch (e) {
      setServerErrors(issuesToErrorSchema([{ path: 'baseConfiguration', constraint: 'isJson', message: `not valid JSON: ${(e as Error).message}` }]));
      return;
    }
    try {
      const created = await api.createTemplate({ ...data, baseConfiguration });
      navigate(`/templates/${encodeURIComponent(created.slug)}`);
    } catch (e) {
      setError(e);
      if (e instanceof ApiError && e.body.issues) setServerErrors(issuesToErrorSchema(e.body.issues));
      alert.current?.focus();
    }
  }

  return (
    <>
      <h1>New template</h1>
      <div ref={alert} tabIndex={-1}>
        <ErrorNotice error={error} title="Not created" />
      </div>
      <Form
        id="template-form"
        schema={templateSchema}
        uiSchema={uiSchema}
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
        <button type="submit">Create template</button>
      </Form>
    </>
  );
}
