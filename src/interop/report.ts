/**
 * The fidelity report of an import or an export: per field, what became of it.
 *
 * - `mapped`: carried into the target as it is (a card's `data.description` → `description`).
 * - `approximated`: carried, but not exactly (cut to a limit, several fields folded into one,
 *   Eliza adjectives written as a card's `personality` text).
 * - `kept`: the target has no place for it, but the interchange record keeps it, so an export in
 *   the source format gives it back (a card's `first_mes`).
 * - `dropped`: lost (a credential, a Letta agent's messages, persona fields a card cannot carry).
 */
export type FidelityStatus = 'mapped' | 'approximated' | 'kept' | 'dropped';

/**
 * One line of a fidelity report. `field` is the path in the foreign document (the source of an
 * import, the document an export writes); `persona` names the persona fields it went to or came
 * from (dot paths; `traits#personality` is the entry of that name); `note` says why, in words.
 */
export type FidelityEntry = { field: string; status: FidelityStatus; persona?: string; note?: string };

/** The lines of a report, in document order. */
export type FidelityReport = FidelityEntry[];

/** The counts per status, for a one-line summary (`mapped 6, approximated 1, kept 14, dropped 2`). */
export function summarizeReport(report: FidelityReport): Record<FidelityStatus, number> {
  const counts: Record<FidelityStatus, number> = { mapped: 0, approximated: 0, kept: 0, dropped: 0 };
  for (const entry of report) counts[entry.status] += 1;
  return counts;
}

/** The report as aligned text lines (what `persona import --report` prints). */
export function formatReport(report: FidelityReport): string[] {
  const width = Math.min(40, Math.max(0, ...report.map((e) => e.field.length)));
  return report.map((e) => {
    const target = e.persona ? ` → ${e.persona}` : '';
    const note = e.note ? ` (${e.note})` : '';
    return `  ${e.status.padEnd(12)} ${e.field.padEnd(width)}${target}${note}`;
  });
}
