// Runs elizaOS's own `validateCharacter` (the published @elizaos/core, an ES module that jest's
// CommonJS runtime cannot load) over the JSON list on standard input; prints one verdict per item.
import { validateCharacter } from '@elizaos/core';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const verdicts = JSON.parse(input).map((doc) => {
  const result = validateCharacter(doc);
  return result.success ? { ok: true } : { ok: false, issues: (result.error?.issues ?? []).map((i) => `${(i.path ?? []).join('.') || '(root)'}: ${i.message}`) };
});
process.stdout.write(JSON.stringify(verdicts));
