import { Init1795595466891 } from './1795595466891-Init';
import { Releases1795618615923 } from './1795618615923-Releases';
import { InteropColumn1795628196521 } from './1795628196521-InteropColumn';

/** The postgres migrations, oldest first. */
export const POSTGRES_MIGRATIONS: Function[] = [Init1795595466891, Releases1795618615923, InteropColumn1795628196521];
