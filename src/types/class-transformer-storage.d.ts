/** class-transformer keeps its metadata storage in a module without typings; class-validator-jsonschema reads @Type from it. */
declare module 'class-transformer/cjs/storage' {
  export const defaultMetadataStorage: unknown;
}
