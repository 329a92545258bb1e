/** Injection token of the DataSource the persona services use. */
export const PERSONA_DATA_SOURCE = Symbol('PERSONA_DATA_SOURCE');
/** Injection token of the function that turns a request into an Actor. */
export const PERSONA_ACTOR_RESOLVER = Symbol('PERSONA_ACTOR_RESOLVER');
