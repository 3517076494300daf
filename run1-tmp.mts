import { withManifest, withoutManifest } from '/work/main/bench/tasks/offline-manifest-tasks.ts';
const w = '/work/main/bench-results/work/offline.manifest-quick';
const args = { dir: `${w}/store-1000000`, entities: `${w}/entities-1000000-1000000.parquet` };
const which = process.argv[2];
const c = process.cpuUsage(); const s = performance.now();
if (which === 'base') await withoutManifest({ ...args, out: `${w}/without.parquet` });
else await withManifest({ ...args, out: `${w}/lineage.parquet`, statistics: false });
const u = process.cpuUsage(c);
console.error(which, (performance.now() - s).toFixed(0), 'ms', ((u.user + u.system) / 1000).toFixed(0), 'cpu');
