/** Lifecycle of a persona. New personas start as `draft`. */
export enum PersonaStatus {
  Active = 'active',
  Inactive = 'inactive',
  Draft = 'draft',
  Archived = 'archived',
}

/** What a trait describes. */
export enum TraitCategory {
  Personality = 'personality',
  Communication = 'communication',
  Expertise = 'expertise',
  Behavioral = 'behavioral',
  Cognitive = 'cognitive',
}

/** The overall register of a persona's answers. */
export enum ResponseStyleType {
  Formal = 'formal',
  Casual = 'casual',
  Technical = 'technical',
  Creative = 'creative',
  Educational = 'educational',
  Empathetic = 'empathetic',
}

/** How the persona engages with the user. */
export enum InteractionMode {
  Conversational = 'conversational',
  TaskOriented = 'task_oriented',
  Analytical = 'analytical',
  Creative = 'creative',
  Advisory = 'advisory',
}
