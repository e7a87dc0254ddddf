import { ENGINE_BINARIES, EngineName, availableEngines } from '../../kit/engines';

export * from '../../kit/engines';

/**
 * describe() when every named engine is present, else describe.skip() plus ONE visible warning printed to stderr
 * naming what is missing and how to get it.
 */
export function describeWithEngines(names: EngineName[], title: string, body: () => void): void {
  const available = availableEngines();
  const missing = names.filter((name) => !available[name]);
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  const what = missing.map((name) => `${name} (${ENGINE_BINARIES[name]})`).join(', ');
  process.stderr.write(
    `WARNING: "${title}" skipped: ${what} not found. ` +
      `.ci/run installs postgresql, nats-server and nginx from Debian's packages.\n`,
  );
  describe.skip(title, body);
}
