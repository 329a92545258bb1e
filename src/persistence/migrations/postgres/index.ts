import { Init1795595466891 } from './1795595466891-Init';

/** The postgres migrations, oldest first. */
export const POSTGRES_MIGRATIONS: Function[] = [Init1795595466891];
