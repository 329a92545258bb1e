import type { Served } from './support';

/** Fails loudly when the API refuses a seeding request: the tests must start from known data. */
async function ok(served: Served, user: 'admin' | 'alice' | 'bob', method: string, path: string, body?: unknown): Promise<any> {
  const res = await served.api(user, method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * The data the console tests read: a public base persona and its child (alice's), three
 * versions of the child with messages, a gate on its `production` label, interactions for its
 * metrics, 24 more personas for pagination, and a template with customizable fields.
 */
export async function seed(served: Served): Promise<void> {
  await ok(served, 'alice', 'POST', '/personas', {
    name: 'Base Support',
    slug: 'base-support',
    description: 'The support voice every support persona starts from.',
    isPublic: true,
    status: 'active',
    tags: ['support'],
    traits: [{ name: 'patient', category: 'personality', value: 80 }],
    knowledgeDomains: [{ name: 'billing', expertiseLevel: 8, topics: ['invoices', 'refunds'], activationKeywords: ['invoice', 'refund'], description: 'Invoices, refunds and payment plans for every product we sell.' }],
    behaviorRules: [{ name: 'no-legal-advice', condition: 'the user asks for legal advice', action: 'refer them to a lawyer', priority: 5, isMandatory: true }],
  });
  const base = await ok(served, 'alice', 'GET', '/personas/base-support');
  await ok(served, 'alice', 'POST', '/personas', {
    name: 'Ada',
    slug: 'ada',
    description: 'Ada answers billing questions.',
    parentId: base.id,
    status: 'active',
    tags: ['support', 'billing'],
    temperature: 0.4,
    traits: [{ name: 'witty', category: 'personality', value: 30 }],
    modelPreferences: ['gpt-4o'],
  });
  await ok(served, 'alice', 'PATCH', '/personas/ada', { expectedVersion: 1, description: 'Ada answers billing questions, kindly.', message: 'Kinder description' });
  await ok(served, 'alice', 'PATCH', '/personas/ada', { expectedVersion: 2, temperature: 0.5, message: 'Warmer' });
  await ok(served, 'alice', 'PUT', '/personas/ada/labels/staging', { version: 2 });
  await ok(served, 'alice', 'PUT', '/personas/ada/policies/production', { checks: [{ context: 'Where is my invoice?', mustInclude: ['NEVER-IN-ANY-PROMPT'] }] });
  const now = Date.now();
  for (let i = 0; i < 12; i++) {
    await ok(served, 'alice', 'POST', '/personas/ada/interactions', {
      success: i % 4 !== 0,
      latencyMs: 200 + i * 50,
      rating: (i % 5) + 1,
      version: i < 6 ? 2 : 3,
      at: new Date(now - (i + 1) * 5 * 3_600_000).toISOString(),
    });
  }
  for (let i = 1; i <= 24; i++) {
    await ok(served, i % 2 ? 'alice' : 'bob', 'POST', '/personas', {
      name: `Helper ${String(i).padStart(2, '0')}`,
      slug: `helper-${i}`,
      description: `Generated helper number ${i}.`,
      status: i % 3 === 0 ? 'archived' : 'draft',
      isPublic: true,
      tags: i % 4 === 0 ? ['internal'] : [],
    });
  }
  await ok(served, 'alice', 'POST', '/templates', {
    name: 'Friendly Tutor',
    slug: 'friendly-tutor',
    description: 'A patient tutor for one subject.',
    category: 'education',
    isPublic: true,
    baseConfiguration: { description: 'A tutor.', temperature: 0.6, traits: [{ name: 'encouraging', category: 'personality', value: 90 }] },
    customizableFields: [
      { path: 'temperature', type: 'number', min: 0, max: 1, default: 0.6, description: 'How adventurous the answers are' },
      { path: 'responseStyle.tone', type: 'enum', options: ['neutral', 'friendly', 'formal'], required: true },
    ],
  });
}
