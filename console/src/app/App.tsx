import { useEffect, useState } from 'react';
import { NavLink, Route, Routes, useLocation } from 'react-router';
import { api, onUnauthorized } from '../api/client';
import { config } from '../api/config';
import type { Me } from '../api/types';
import { clearToken, readToken } from '../auth/token';
import { TokenScreen } from '../auth/TokenScreen';
import { ImportPage } from '../features/import/ImportPage';
import { MetricsPage } from '../features/metrics/MetricsPage';
import { EditPage } from '../features/personas/EditPage';
import { PersonaPage } from '../features/personas/PersonaPage';
import { PersonasPage } from '../features/personas/PersonasPage';
import { NewPersonaPage } from '../features/personas/NewPersonaPage';
import { HistoryPage } from '../features/history/HistoryPage';
import { ReleasesPage } from '../features/releases/ReleasesPage';
import { RenderPage } from '../features/render/RenderPage';
import { TemplatesPage } from '../features/templates/TemplatesPage';
import { TemplatePage } from '../features/templates/TemplatePage';
import { NewTemplatePage } from '../features/templates/NewTemplatePage';

type Session = { state: 'checking' } | { state: 'signed-out'; expired: boolean } | { state: 'signed-in'; me: Me | null };

/** Moves focus to the page's heading after each navigation, so keyboard and screen-reader users start at the top. */
function useFocusOnNavigate() {
  const location = useLocation();
  useEffect(() => {
    const heading = document.querySelector<HTMLElement>('main h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: false });
    }
  }, [location.pathname]);
}

/** The console: the token screen until a token is accepted, then the pages. */
export function App() {
  const [session, setSession] = useState<Session>(() => (readToken() || config().auth === 'none' ? { state: 'checking' } : { state: 'signed-out', expired: false }));

  useEffect(() => onUnauthorized(() => setSession({ state: 'signed-out', expired: true })), []);
  useEffect(() => {
    if (session.state !== 'checking') return;
    api.me().then(
      (me) => setSession({ state: 'signed-in', me }),
      () => setSession({ state: 'signed-out', expired: true }),
    );
  }, [session.state]);

  if (session.state === 'checking') return <p role="status">Checking your session…</p>;
  if (session.state === 'signed-out' && config().auth === 'none') {
    // The host application authenticates (a session cookie): there is no token to ask for.
    return (
      <main id="main" className="token-screen">
        <h1>Personas admin console</h1>
        <p className="notice notice-error" role="alert">
          The application did not recognise you: sign in to it, then reload this page.
        </p>
      </main>
    );
  }
  if (session.state === 'signed-out') return <TokenScreen expired={session.expired} onSignedIn={(me) => setSession({ state: 'signed-in', me })} />;
  return (
    <Shell
      me={session.me}
      onSignOut={() => {
        clearToken();
        setSession({ state: 'signed-out', expired: false });
      }}
    />
  );
}

function Shell({ me, onSignOut }: { me: Me | null; onSignOut: () => void }) {
  useFocusOnNavigate();
  return (
    <>
      <a className="skip-link" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Personas</span>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Personas
          </NavLink>
          <NavLink to="/templates">Templates</NavLink>
          <NavLink to="/import">Import</NavLink>
        </nav>
        <span className="who">
          {me ? (
            <>
              Signed in as <strong>{me.id}</strong>
              {me.roles?.length ? ` (${me.roles.join(', ')})` : ''}
            </>
          ) : (
            'Signed in'
          )}
        </span>
        {config().auth === 'bearer' && (
          <button type="button" className="link" onClick={onSignOut}>
            Sign out
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route path="/" element={<PersonasPage />} />
          <Route path="/new-persona" element={<NewPersonaPage />} />
          <Route path="/personas/:id" element={<PersonaPage />} />
          <Route path="/personas/:id/edit" element={<EditPage />} />
          <Route path="/personas/:id/history" element={<HistoryPage />} />
          <Route path="/personas/:id/releases" element={<ReleasesPage me={me} />} />
          <Route path="/personas/:id/render" element={<RenderPage />} />
          <Route path="/personas/:id/metrics" element={<MetricsPage />} />
          <Route path="/templates" element={<TemplatesPage />} />
          <Route path="/templates/new" element={<NewTemplatePage />} />
          <Route path="/templates/:id" element={<TemplatePage />} />
          <Route path="/import" element={<ImportPage />} />
          <Route path="*" element={<h1>Page not found</h1>} />
        </Routes>
      </main>
    </>
  );
}
