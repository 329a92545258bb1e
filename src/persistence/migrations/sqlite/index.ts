import { Init1795595464251 } from './1795595464251-Init';

/** The sqlite migrations, oldest first. */
export const SQLITE_MIGRATIONS: Function[] = [Init1795595464251];
