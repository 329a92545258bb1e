/** Stands in for `@rjsf/validator-ajv8`, which only @rjsf/core's unused test helper imports (see vite.config.ts). */
export default undefined;
