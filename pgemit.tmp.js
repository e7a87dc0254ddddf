require('/work/main/node_modules/reflect-metadata');
const { startPostgres, startNats } = require('/work/main/dist/kit/engines');
const { startBenchApp, createJobs, QUIET_JOBS } = require('/work/main/dist/bench/bench-app');
const { measureEmit } = require('/work/main/dist/bench/emit');
(async () => {
  const [pg, nats] = await Promise.all([startPostgres(), startNats()]);
  const url = await pg.createDatabase('emit');
  const bench = await startBenchApp({ ...QUIET_JOBS, storage: { engine: 'postgres', postgres_url: url }, bus: { engine: 'nats', nats_url: nats.url } });
  const jobs = await createJobs(bench, 10, 'emit');
  for (const n of [1, 2]) {
    const r = await measureEmit(bench, jobs, 20000, 2000);
    console.log('pg emit', Math.round(r.eventsPerS), 'events/s');
  }
  await bench.close(); await pg.close(); await nats.close();
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
