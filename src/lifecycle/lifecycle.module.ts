import { Global, Module } from '@nestjs/common';
import { GateLifecycle } from './gate-lifecycle.service';
import { JobLifecycle } from './job-lifecycle.service';

/** The only code that changes a job or a gate (docs/ARCHITECTURE.md). */
@Global()
@Module({
  providers: [JobLifecycle, GateLifecycle],
  exports: [JobLifecycle, GateLifecycle],
})
export class LifecycleModule {}
