/** Applies the route descriptions (once). */
export function describeRoutes(): void {}

/** The component schemas. */
export function openApiComponents(): Record<string, object> {
  return {};
}
