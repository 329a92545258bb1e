import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError } from '../../api/client';
import { ErrorNotice } from '../../shared/ErrorNotice';

/** Deleting a persona, in two steps (ask, then confirm); a persona others still inherit from is refused with their names. */
export function DeletePanel({ id, name }: { id: string; name: string }) {
  const navigate = useNavigate();
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function remove() {
    setError(null);
    try {
      await api.deletePersona(id);
      navigate('/', { state: { notice: `${name} was deleted.` } });
    } catch (e) {
      setAsking(false);
      if (e instanceof ApiError && e.code === 'PERSONA_IN_USE') {
        const children = (e.body.children as string[] | undefined) ?? [];
        setError(new ApiError(e.status, { ...e.body, message: `Personas still inherit from ${name}${children.length ? `: ${children.join(', ')}` : ''}. Detach or delete them first.` }));
      } else setError(e);
    }
  }

  return (
    <section className="danger-zone" aria-labelledby="delete-h">
      <h2 id="delete-h">Delete</h2>
      {!asking ? (
        <button type="button" className="danger" onClick={() => setAsking(true)}>
          Delete {name}…
        </button>
      ) : (
        <div className="row" role="group" aria-label="Confirm deletion">
          <p>
            Delete <strong>{name}</strong> and its history? This cannot be undone.
          </p>
          <button type="button" className="danger" onClick={() => void remove()} autoFocus>
            Yes, delete {name}
          </button>
          <button type="button" className="secondary" onClick={() => setAsking(false)}>
            Keep it
          </button>
        </div>
      )}
      <ErrorNotice error={error} title="Not deleted" />
    </section>
  );
}
