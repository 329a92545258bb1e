import { Init1795595466891 } from './1795595466891-Init';
import { Releases1795618615923 } from './1795618615923-Releases';
import { InteropColumn1795628196521 } from './1795628196521-InteropColumn';
import { MetricRollups1795628593460 } from './1795628593460-MetricRollups';
import { InvalidationNotify1795629114000 } from './1795629114000-InvalidationNotify';
import { ListIndexes1795629150518 } from './1795629150518-ListIndexes';
import { CompactRows1795690000000 } from './1795690000000-CompactRows';
import { PendingMetrics1795700000000 } from './1795700000000-PendingMetrics';
import { ListPageIndex1795710000000 } from './1795710000000-ListPageIndex';

/** The postgres migrations, oldest first. */
export const POSTGRES_MIGRATIONS: Function[] = [Init1795595466891, Releases1795618615923, InteropColumn1795628196521, MetricRollups1795628593460, InvalidationNotify1795629114000, ListIndexes1795629150518, CompactRows1795690000000, PendingMetrics1795700000000, ListPageIndex1795710000000];
