import { Init1795595466891 } from './1795595466891-Init';
import { Releases1795618615923 } from './1795618615923-Releases';
import { InvalidationNotify1795629114000 } from './1795629114000-InvalidationNotify';

/** The postgres migrations, oldest first. */
export const POSTGRES_MIGRATIONS: Function[] = [Init1795595466891, Releases1795618615923, InvalidationNotify1795629114000];
