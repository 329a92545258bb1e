import type { RJSFSchema } from '@rjsf/utils';
import { FormEvent, useState } from 'react';
import { api } from '../../api/client';
import type { Json, LabelPolicy } from '../../api/types';
import { ErrorNotice } from '../../shared/ErrorNotice';
import { ServerForm, useSubmitErrors } from '../../shared/ServerForm';

/** A label policy (docs/releases.md) as a form: who may move the label, and the checks of its gate. */
const policySchema: RJSFSchema = {
  type: 'object',
  properties: {
    roles: { type: 'array', title: 'Roles that may move the label', description: 'Besides admins. Empty: the owner and admins. Only an admin may set roles.', items: { type: 'string', minLength: 1, maxLength: 100 } },
    checks: {
      type: 'array',
      title: 'Gate checks',
      description: 'Each check renders every version the label would serve; one failure refuses the move.',
      items: {
        type: 'object',
        properties: {
          context: { type: 'string', title: 'Context (a conversation to render with)' },
          tokenBudget: { type: 'integer', title: 'Token budget', minimum: 1 },
          maxPromptTokens: { type: 'integer', title: 'The prompt may take at most (tokens)', minimum: 1 },
          mustInclude: { type: 'array', title: 'Text the prompt must include', items: { type: 'string', minLength: 1 } },
          mustActivate: { type: 'array', title: 'Knowledge domains that must be active', items: { type: 'string', minLength: 1 } },
        },
      },
    },
  },
};
const uiSchema = { 'ui:submitButtonOptions': { norender: true }, checks: { items: { context: { 'ui:widget': 'textarea', 'ui:options': { rows: 2 } } } } };

/** Loads, edits, saves and removes the policy of one label. */
export function PolicyForm({ personaId, onSaved, isAdmin }: { personaId: string; onSaved: (message: string) => void; isAdmin: boolean }) {
  const [label, setLabel] = useState('production');
  const [loaded, setLoaded] = useState<string | null>(null);
  const [formData, setFormData] = useState<Json>({ roles: [], checks: [] });
  const errors = useSubmitErrors();

  async function load(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    try {
      setFormData((await api.policy(personaId, label.trim())) as Json);
      setLoaded(label.trim());
    } catch (e) {
      errors.setError(e);
    }
  }

  async function save(data: Json) {
    if (!loaded) return;
    errors.clear();
    try {
      await api.setPolicy(personaId, loaded, data as LabelPolicy);
      onSaved(`Policy of “${loaded}” saved.`);
    } catch (e) {
      errors.fail(e);
    }
  }

  async function remove() {
    if (!loaded) return;
    errors.setError(null);
    try {
      await api.removePolicy(personaId, loaded);
      setFormData({ roles: [], checks: [] });
      onSaved(`Policy of “${loaded}” removed.`);
    } catch (e) {
      errors.setError(e);
    }
  }

  return (
    <>
      <form className="row" onSubmit={load}>
        <label>
          Label of the policy
          <input value={label} onChange={(e) => setLabel(e.target.value)} required />
        </label>
        <button type="submit" className="secondary">
          Open policy
        </button>
      </form>
      <p className="muted">{isAdmin ? 'As an admin you may name roles.' : 'Only an admin may set a policy that names roles; you may set its checks.'}</p>
      <ErrorNotice error={errors.error} title="Policy not saved" />
      {loaded && (
        <ServerForm id="policy-form" schema={policySchema} uiSchema={uiSchema} formData={formData} extraErrors={errors.serverErrors} onChange={setFormData} onSubmit={(data) => void save(data)}>
          <div className="row">
            <button type="submit">Save policy of “{loaded}”</button>
            <button type="button" className="danger" onClick={() => void remove()}>
              Remove policy of “{loaded}”
            </button>
          </div>
        </ServerForm>
      )}
    </>
  );
}
