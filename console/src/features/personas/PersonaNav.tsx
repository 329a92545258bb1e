import { NavLink } from 'react-router';

/** The pages of one persona, as a second navigation bar. */
export function PersonaNav({ id, name }: { id: string; name?: string }) {
  const base = `/personas/${encodeURIComponent(id)}`;
  const pages: [string, string][] = [
    ['', 'Overview'],
    ['/edit', 'Edit'],
    ['/history', 'History'],
    ['/releases', 'Releases'],
    ['/render', 'Render preview'],
    ['/metrics', 'Metrics'],
  ];
  return (
    <nav className="tabs" aria-label={`Pages of ${name ?? id}`}>
      {pages.map(([path, label]) => (
        <NavLink key={path} to={base + path} end>
          {label}
        </NavLink>
      ))}
    </nav>
  );
}
