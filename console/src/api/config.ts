/** What the server says about itself (`<mount>/config.json`): where the API is, and how to authenticate. */
export type ConsoleConfig = { apiBase: string; auth: 'bearer' | 'none'; openapi?: string };

let current: ConsoleConfig = { apiBase: '/', auth: 'bearer' };

/** Reads `config.json` beside the console once, before the first render; without one, the API is at `/` with bearer tokens. */
export async function loadConfig(): Promise<void> {
  try {
    const response = await fetch(new URL('config.json', document.baseURI), { headers: { Accept: 'application/json' } });
    if (response.ok) current = { ...current, ...((await response.json()) as Partial<ConsoleConfig>) };
  } catch {
    // keep the defaults
  }
}

export function config(): ConsoleConfig {
  return current;
}
