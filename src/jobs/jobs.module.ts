import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { JobRecords } from './job-records';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';

@Module({
  imports: [EventsModule],
  controllers: [JobsController],
  providers: [JobsService, JobRecords],
  exports: [JobsService, JobRecords],
})
export class JobsModule {}
