import { Module } from '@nestjs/common';
import { AfterCommit } from './after-commit';
import { DecisionFiles } from './decision-files';
import { JsonlWriter } from './jsonl-writer';
import { RunDirs } from './run-dirs';
import { StateFiles } from './state-files';

/** The subscribers of committed events (the list is in after-commit.ts). */
@Module({
  providers: [JsonlWriter, DecisionFiles, StateFiles, RunDirs, AfterCommit],
  exports: [AfterCommit, JsonlWriter, StateFiles],
})
export class SinksModule {}
