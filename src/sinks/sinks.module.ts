import { Global, Module } from '@nestjs/common';
import { JobFiles } from '../domain/job-files.port';
import { AfterCommit } from './after-commit';
import { DecisionFiles } from './decision-files';
import { JsonlWriter } from './jsonl-writer';
import { RunDirs } from './run-dirs';
import { StateFiles } from './state-files';

/** The subscribers of committed events (the list is in after-commit.ts), and the actions' JobFiles port. */
@Global()
@Module({
  providers: [
    JsonlWriter,
    DecisionFiles,
    StateFiles,
    RunDirs,
    AfterCommit,
    { provide: JobFiles, useExisting: RunDirs },
  ],
  exports: [AfterCommit, JsonlWriter, StateFiles, JobFiles],
})
export class SinksModule {}
