import { Init1795595464251 } from './1795595464251-Init';
import { Releases1795618612228 } from './1795618612228-Releases';
import { InteropColumn1795628196521 } from './1795628196521-InteropColumn';
import { MetricRollups1795628583084 } from './1795628583084-MetricRollups';
import { ListIndexes1795629147611 } from './1795629147611-ListIndexes';
import { CompactRows1795690000000 } from './1795690000000-CompactRows';
import { PendingMetrics1795700000000 } from './1795700000000-PendingMetrics';
import { ListPageIndex1795710000000 } from './1795710000000-ListPageIndex';

/** The sqlite migrations, oldest first. */
export const SQLITE_MIGRATIONS: Function[] = [Init1795595464251, Releases1795618612228, InteropColumn1795628196521, MetricRollups1795628583084, ListIndexes1795629147611, CompactRows1795690000000, PendingMetrics1795700000000, ListPageIndex1795710000000];
