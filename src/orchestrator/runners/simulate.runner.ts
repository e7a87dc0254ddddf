import { dirname, join, relative } from 'node:path';
import { writeFileAtomicAsync } from '../../common/atomic-write';
import { makeDirOffLoop } from '../../common/file-thread';
import { Stage } from '../../domain/stages';
import { StageAborted, StageContext, StageResult, StageRunner } from './stage-runner';

type Files = Record<string, string>;

/** What each stage "produces": real files, so patches and downloads have something to act on. */
function stageFiles(stage: Stage, context: StageContext): Files {
  const intent = String(context.brief.intent ?? context.slug);
  const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';
  switch (stage) {
    case 'outline':
      return { 'outline.md': `# Outline: ${context.slug}\n\n${intent}\n\n1. Hook\n2. Body\n3. Close\n` };
    case 'research':
      return { 'research.json': json({ topic: intent, sources: [{ id: 'r1', title: 'Background' }], notes: [] }) };
    case 'script':
      return {
        'script.md':
          `# Script: ${context.slug}\n\n## Scene 1\nNarrator: ${intent}.\n\n` +
          `## Scene 2\nNarrator: Here is how it works.\n\n## Scene 3\nNarrator: Thanks for watching.\n`,
      };
    case 'storyboard':
      return {
        'storyboard.json': json({
          sections: [
            {
              id: 's1',
              title: 'Scene 1',
              beats: [
                { id: 'b1', duration: 4, description: 'Title card' },
                { id: 'b2', duration: 6, description: 'Hook' },
              ],
            },
            { id: 's2', title: 'Scene 2', beats: [{ id: 'b3', duration: 8, description: 'Explainer' }] },
            { id: 's3', title: 'Scene 3', beats: [{ id: 'b4', duration: 3, description: 'Outro' }] },
          ],
        }),
      };
    case 'assets':
      return {
        'assets/manifest.json': json({ images: ['placeholder.svg'] }),
        'assets/placeholder.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="9"/>\n',
      };
    case 'animatics':
      return { 'animatics.json': json({ clips: [{ beat_id: 'b1', file: 'b1.mp4' }], fps: 24 }) };
    case 'audio':
      return {
        'audio.json': json({
          level_db: -14,
          tracks: [
            { id: 'voice', level_db: -14 },
            { id: 'music', level_db: -24 },
          ],
        }),
      };
    case 'assemble':
      return { 'final.mp4': 'placeholder video\n' };
    case 'acceptance':
      return { 'acceptance.json': json({ accepted: true, checks: ['duration', 'loudness'] }) };
  }
}

/**
 * pipeline.runner = simulate: each stage takes `stageSeconds` (abortable) and writes its artifact
 * files, off the event loop. The artifacts dir is the stage loop's: a stage stopped meanwhile (a
 * canceled job may be deleted at once) writes nothing more, and a removed dir is not made again.
 */
export class SimulateRunner implements StageRunner {
  constructor(private readonly stageSeconds: number) {}

  async run(context: StageContext): Promise<StageResult> {
    context.log('stdout', `simulating ${context.stage} for ${this.stageSeconds}s`);
    await this.wait(context.signal);
    const artifacts: string[] = [];
    for (const [name, content] of Object.entries(stageFiles(context.stage, context))) {
      const path = join(context.artifactsDir, name);
      if (context.signal.aborted) throw new StageAborted(String(context.signal.reason));
      // A subdirectory of the artifacts dir, never the dir itself (`recursive` would make it again).
      if (dirname(path) !== context.artifactsDir) await makeDirOffLoop(dirname(path), false).catch(ignoreExisting);
      await writeFileAtomicAsync(path, content, false);
      artifacts.push(relative(context.runDir, path));
    }
    return { artifacts, result: { simulated: true, seconds: this.stageSeconds } };
  }

  private wait(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new StageAborted(String(signal.reason)));
      // A 0 ms timer still waits for the next timers phase, 1 ms at least: nine of them were a third
      // of a whole job's time in the bench (docs/PERFORMANCE.md). The caller checks the signal after.
      if (this.stageSeconds === 0) {
        setImmediate(resolve);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(new StageAborted(String(signal.reason)));
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, this.stageSeconds * 1000);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function ignoreExisting(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EEXIST') throw error;
}
