/**
 * A job's files under runs/<id>/ as its actions see them (docs/ARCHITECTURE.md, "Files off the
 * event loop"). The sinks write them (src/sinks/run-dirs.ts); an action that creates or changes a
 * job waits here, so its HTTP answer comes after the files that show it.
 */
export abstract class JobFiles {
  /** runs/<id>/ with compiled_brief.json and an empty events.jsonl, before the job's first commit. */
  abstract create(jobId: string, brief: Record<string, unknown>): Promise<void>;

  /** Resolves once the job's state.json holds every change committed before the call. */
  abstract written(jobId: string): Promise<void>;
}
