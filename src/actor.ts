/** Who is acting: an id, and roles; the role `admin` may read and change everything. */
export type Actor = { id: string; roles?: string[] };

/** True when the actor holds the `admin` role. */
export function isAdmin(actor: Actor): boolean {
  return actor.roles?.includes('admin') ?? false;
}
