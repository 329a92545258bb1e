import { Init1795595464251 } from './1795595464251-Init';
import { Releases1795618612228 } from './1795618612228-Releases';

/** The sqlite migrations, oldest first. */
export const SQLITE_MIGRATIONS: Function[] = [Init1795595464251, Releases1795618612228];
